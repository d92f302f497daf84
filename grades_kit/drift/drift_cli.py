"""``grades-kit``: check the contract itself, and that the GitBook page still matches it.

``grades-kit validate [--spec SPEC]``
    resolve and validate the spec, print ``OK`` with what it declares.
``grades-kit drift PAGE.md [--spec SPEC]``
    print each difference between the page's swagger blocks and the spec, one per line.

Exit status: 0 clean, 1 differences found, 2 bad usage, unreadable page or invalid spec
(one line on stderr, never a traceback), so CI can tell "the docs drifted" from "broken".
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

from grades_kit.contract.loader import GRADES_PATH, SPEC_PATH, Contract, SpecError, load_contract
from grades_kit.drift.compare import compare, known
from grades_kit.drift.gitbook import GitBookError, read_page

__all__ = ["main"]

PROG = "grades-kit"
EXIT_OK = 0
EXIT_DRIFT = 1
EXIT_USAGE = 2


class UsageError(Exception):
    """Bad command line, unreadable page or invalid spec: one line, exit 2."""


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line (no usage dump) and leaves through main."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{message} (see '{PROG} --help')")


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``grades-kit`` console script; returns the exit status."""
    parser = _build_parser()
    try:
        arguments = parser.parse_args(argv)
        status: int = arguments.run(arguments)
    except (UsageError, SpecError) as exc:
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    return status


def _build_parser() -> _Parser:
    parser = _Parser(
        prog=PROG, description=__doc__.splitlines()[0] if __doc__ else None, allow_abbrev=False
    )
    commands = parser.add_subparsers(title="commands", required=True, metavar="COMMAND")

    validate = commands.add_parser(
        "validate", help="resolve and validate the spec", allow_abbrev=False
    )
    _add_spec_option(validate)
    validate.set_defaults(run=_validate)

    drift = commands.add_parser(
        "drift", help="report differences between a GitBook page and the spec", allow_abbrev=False
    )
    drift.add_argument("page", type=Path, metavar="PAGE.md", help="the GitBook markdown page")
    _add_spec_option(drift)
    drift.set_defaults(run=_drift)
    return parser


def _add_spec_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--spec",
        type=Path,
        default=SPEC_PATH,
        help="the OpenAPI document (default: the bundled one)",
    )


def _validate(arguments: argparse.Namespace) -> int:
    contract = load_contract(arguments.spec)
    print(f"OK {contract.path}: {_summary(contract)}")
    return EXIT_OK


def _summary(contract: Contract) -> str:
    """What the spec declares, read from the document."""
    components = contract.document.get("components", {})
    statuses = ", ".join(str(status) for status in contract.statuses())
    return (
        f"OpenAPI {contract.document['openapi']}, {GRADES_PATH} "
        f"[{', '.join(contract.methods())}], GET statuses {statuses}, "
        f"{len(components.get('schemas', {}))} schemas, "
        f"{len(contract.response_examples())} named 200 examples"
    )


def _drift(arguments: argparse.Namespace) -> int:
    page: Path = arguments.page
    try:
        blocks = read_page(page)
    except (OSError, UnicodeError) as exc:
        raise UsageError(f"cannot read {page}: {getattr(exc, 'strerror', None) or exc}") from exc
    except GitBookError as exc:
        raise UsageError(f"{page}: {exc}") from exc
    if not blocks:
        raise UsageError(f"{page}: no {{% swagger %}} block found")
    contract = load_contract(arguments.spec)
    differences = compare(blocks, contract)
    for difference in differences:
        print(difference)
    left_out = ", ".join(defect.defect for defect in known(blocks, contract))
    notes = f" (known page defects left out: {left_out}, see docs/transcription.md)"
    where = f"{page} ({len(blocks)} swagger block(s)) and {contract.path}"
    where += notes if left_out else ""
    if differences:
        print(f"{len(differences)} difference(s) between {where}")
        return EXIT_DRIFT
    print(f"no difference between {where}")
    return EXIT_OK


if __name__ == "__main__":
    raise SystemExit(main())
