"""``grades-contract load``: check the preconditions, then hand the process to Locust.

Every Locust flag keeps its meaning (``--users``, ``--processes``, ``--master``, ``--worker``,
``--csv``, ``--html``...), because Locust parses them: this script only adds the kit's
locustfile, turns ``--base-url``/``$GRADES_BASE_URL`` into Locust's ``--host``, and refuses
in one line (exit 2) what would make the run meaningless: no Locust, no token, a bad
``--mix`` or ``--rate-limit``, an unreachable instance or a refused token. Then it replaces
itself with ``python -m locust`` (exec: signals and the exit code are Locust's own), so
gevent patches a fresh interpreter.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from grades_kit.contract_tests.health import NoVerdict
from grades_kit.contract_tests.load.flags import add_kit_flags
from grades_kit.contract_tests.load.mix import parse_mix
from grades_kit.contract_tests.load.readiness_check import preflight
from grades_kit.contract_tests.options import ENV_BASE_URL, ENV_TOKEN, RATE_LIMIT_PATTERN
from grades_kit.contract_tests.reports import baseline

__all__ = ["locust_argv", "main"]

PROG = "grades-contract load"
LOCUSTFILE = Path(__file__).with_name("locustfile.py")
INSTALL_HINT = "pip install 'locust>=2.37,<3' (the kit's [load] extra)"
"""What the extra adds, by a name an index has (the kit itself installs from its git tag)."""
EXIT_NO_VERDICT = 2


class Refused(Exception):
    """A precondition that fails: its message is the one line printed."""


def main(argv: Sequence[str]) -> int:
    try:
        command = locust_argv(list(argv), dict(os.environ))
    except Refused as exc:
        print(f"{PROG}: {exc}", file=sys.stderr)
        return EXIT_NO_VERDICT
    sys.stdout.flush()
    os.execv(sys.executable, command)  # returns only if exec failed (it raises then)
    return EXIT_NO_VERDICT  # pragma: no cover


def locust_argv(argv: list[str], environ: dict[str, str]) -> list[str]:
    """The ``python -m locust`` command for ``argv``, after the preconditions hold."""
    if importlib.util.find_spec("locust") is None:
        raise Refused(f"Locust is not installed: {INSTALL_HINT}")
    own, rest = _own_flags().parse_known_args(argv)
    known, _ = _read_flags().parse_known_args(rest)
    command = [sys.executable, "-m", "locust", "-f", str(LOCUSTFILE)]
    if known.help:
        _kit_help().print_help()
        print("\nLocust's own flags, with their Locust meanings:\n", flush=True)
        return [*command, *rest]
    _check_flags(known)
    if not environ.get(ENV_TOKEN):
        raise Refused(f"no token: set ${ENV_TOKEN} (on every machine that runs a worker)")
    if known.worker:
        return [*command, *rest]
    base_url = own.base_url or environ.get(ENV_BASE_URL) or ""
    if not base_url:
        raise Refused(f"no instance: give --base-url URL or set ${ENV_BASE_URL}")
    try:
        preflight(base_url, environ[ENV_TOKEN], known.request_timeout)
    except NoVerdict as exc:
        raise Refused(f"no verdict: {exc}") from None
    return [*command, "--host", base_url, *rest]


def _kit_help() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        add_help=False,
        usage=f"{PROG} [--base-url URL] [kit flags] [Locust flags]",
        description="Every answer of a Locust run judged by the contract's passive rules. "
        f"The token comes from ${ENV_TOKEN} only.",
        epilog="Exit codes: 0 no violation, 1 violations, 2 no verdict (unreachable, token "
        "refused, too many requests without an answer). See docs/contract-suite.md.",
    )
    parser.add_argument("--base-url", help=f"the instance (${ENV_BASE_URL})")
    add_kit_flags(parser)
    return parser


def _own_flags() -> argparse.ArgumentParser:
    """The one flag Locust does not see (it becomes ``--host``)."""
    parser = argparse.ArgumentParser(prog=PROG, add_help=False, allow_abbrev=False)
    parser.add_argument("--base-url")
    return parser


def _read_flags() -> argparse.ArgumentParser:
    """The flags this script reads before Locust does (they are passed on unchanged)."""
    parser = argparse.ArgumentParser(prog=PROG, add_help=False, allow_abbrev=False)
    parser.add_argument("-h", "--help", action="store_true")
    parser.add_argument("--worker", action="store_true")
    add_kit_flags(parser)
    return parser


def _check_flags(known: argparse.Namespace) -> None:
    try:
        parse_mix(known.mix)
    except ValueError as exc:
        raise Refused(str(exc)) from None
    if known.rate_limit and not RATE_LIMIT_PATTERN.match(known.rate_limit):
        raise Refused(f"--rate-limit {known.rate_limit!r} is not N/UNIT (e.g. 50/s, 600/m)")
    if known.baseline:
        try:
            baseline.load(Path(known.baseline))
        except baseline.BaselineProblem as exc:
            raise Refused(str(exc)) from None
