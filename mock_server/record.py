"""``grades-mock record``: pull grades from a live instance into a fixture file.

The records come through the API itself (the same call a client makes), each is checked
against the spec like any fixture (invalid ones are reported on stderr and left out), and
``--anonymize`` swaps personal data for deterministic pseudonyms: the same input always gives
the same pseudonym, so filters and the spec's cross-record rules still hold. The file is
written atomically: a temporary file in the same folder, renamed over the target.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import orjson
import requests

from grades_kit.contract.loader import GRADES_PATH, SpecError, load_contract
from grades_kit.contract.redaction import Pseudonyms
from grades_kit.mock_server.fixtures import RecordChecker

PROG = "grades-mock record"
EXIT_ERROR = 2
DEFAULT_SALT = "grades-mock-record"
TIMEOUT_S = 60
ENV_TOKEN = "GRADES_TOKEN"


class RecordError(Exception):
    """Recording cannot go on; the message is one line."""


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        token = args.token or os.environ.get(ENV_TOKEN, "").strip()
        if not token:
            raise RecordError(f"no token: set {ENV_TOKEN} (or pass --token)")
        records = fetch(args.source, token, args.course_id, args.username)
        valid = keep_valid(records, args.spec)
        if args.anonymize:
            people = Pseudonyms(args.salt)  # the kit's one pseudonymiser (keyed, deterministic)
            valid = [people.record(r) for r in valid]
            if len(keep_valid(valid, args.spec)) != len(valid):
                raise RecordError("anonymized records do not satisfy the spec (a bug: report it)")
        write_atomically(args.out, orjson.dumps(valid, option=orjson.OPT_INDENT_2) + b"\n")
    except (RecordError, SpecError) as exc:
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    skipped = len(records) - len(valid)
    print(f"{PROG}: wrote {len(valid)} records to {args.out} ({skipped} invalid, skipped)")
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog=PROG, description=__doc__.splitlines()[0] if __doc__ else "", allow_abbrev=False
    )
    p.add_argument(
        "--from",
        dest="source",
        required=True,
        metavar="URL",
        help="base URL of the live instance, e.g. https://lms.example.com",
    )
    p.add_argument(
        "--token",
        help=f"Bearer token for the grades API; prefer ${ENV_TOKEN}: a flag shows in ps",
    )
    p.add_argument("--out", required=True, type=Path, help="fixture file to write")
    p.add_argument("--course-id", help="only this course")
    p.add_argument("--username", help="only this learner")
    p.add_argument(
        "--anonymize",
        action="store_true",
        help="replace username, email and display_name by pseudonyms",
    )
    p.add_argument(
        "--salt", default=DEFAULT_SALT, help="secret of the pseudonyms (same salt, same pseudonyms)"
    )
    p.add_argument("--spec", type=Path, help="the OpenAPI document (default: the bundled one)")
    return p  # fmt: skip


def fetch(base: str, token: str, course_id: str | None, username: str | None) -> list[Any]:
    """The records the live instance answers; any other answer is a :class:`RecordError`."""
    url = base.rstrip("/").removesuffix(GRADES_PATH) + GRADES_PATH
    params = {k: v for k, v in (("course_id", course_id), ("username", username)) if v}
    try:
        response = requests.get(
            url, params=params, headers={"Authorization": f"Bearer {token}"}, timeout=TIMEOUT_S
        )
    except requests.RequestException as exc:
        raise RecordError(f"cannot reach {url}: {type(exc).__name__}") from exc
    if response.status_code != 200:
        raise RecordError(f"{url} answered {response.status_code}: {_detail(response)}")
    try:
        body = orjson.loads(response.content)
    except orjson.JSONDecodeError as exc:
        raise RecordError(f"{url} did not answer JSON: {exc}") from exc
    if not isinstance(body, list):
        raise RecordError(f"{url} answered a {type(body).__name__}, not a list of records")
    return body


def _detail(response: requests.Response) -> str:
    try:
        detail = orjson.loads(response.content).get("detail")
    except (orjson.JSONDecodeError, AttributeError):
        detail = None
    return str(detail) if detail else response.reason or "no detail"


def keep_valid(records: list[Any], spec: Path | None = None) -> list[Any]:
    """The records the spec accepts (as a fixture would), reporting the others on stderr."""
    checker = RecordChecker(load_contract(spec))
    valid = []
    for index, record in enumerate(records):
        problem = checker.add(record)
        if problem is None:
            valid.append(record)
            continue
        field, reason = problem
        where = f"record {index}" + (f", field {field!r}" if field else "")
        print(f"{PROG}: skipped {where}: {reason}", file=sys.stderr)
    return valid


def write_atomically(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so that readers see the old file or the new, never half."""
    folder = path.parent if str(path.parent) else Path(".")
    try:
        fd, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    except OSError as exc:
        raise RecordError(f"cannot write in {folder}: {exc.strerror or exc}") from exc
    try:
        os.fchmod(fd, 0o644)  # mkstemp makes it private; a fixture is meant to be shared
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except OSError as exc:
        Path(temporary).unlink(missing_ok=True)
        raise RecordError(f"cannot write {path}: {exc.strerror or exc}") from exc
