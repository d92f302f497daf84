"""``grades-contract``: launch the installed contract suite against one instance.

It only launches: the flags come from the one table of :mod:`contract_tests.options`, and
``pytest`` runs on the installed ``contract_tests`` package with its own ``pytest.ini`` (the
caller's directory plays no part). The suite's plugin does the rest: it validates the flags,
sends the preflight, runs the tests and owns the verdict, the exit code and the last line on
stderr. Exit codes: 0 the instance conforms, 1 it violates the contract, 2 no verdict (usage,
unreachable, token, instance unhealthy or rate-limited, ``--max-duration`` reached).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

import pytest

from grades_kit.contract.registry import registry
from grades_kit.contract_tests.options import ENV_TOKEN, FLAGS, Flag

PACKAGE_DIR = Path(__file__).resolve().parent
EXIT_NO_VERDICT = 2


class _OneLineParser(argparse.ArgumentParser):
    """Usage errors in one line on stderr (the house rule for CLIs), exit 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_NO_VERDICT, f"{self.prog}: {message} (see --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _OneLineParser(
        prog="grades-contract",
        description="Check that a Grades API instance honours the contract (GET/OPTIONS only).",
        epilog="Exit codes: 0 conforms, 1 contract violated, 2 no verdict (usage, unreachable "
        "or unhealthy instance, token rejected, out of time). GRADES_BASE_URL / GRADES_TOKEN "
        "stand in for the flags.",
    )
    for flag in FLAGS:
        flag.add_to(parser.add_argument)
    parser.add_argument("-v", "--verbose", action="count", default=0, help="full failure detail")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv[:1] == ["load"]:  # the Locust run: its own flags (contract_tests/load/cli.py)
        from grades_kit.contract_tests.load.cli import main as load

        return load(argv[1:])
    args = build_parser().parse_args(argv)
    if args.list_rules:
        print("\n".join(registry().listing()))
        return 0
    if args.run_started_at is None:
        args.run_started_at = time.time()  # the --max-duration budget counts from here
    token = args.token  # travels in the environment: never on pytest's (or ps') command line
    previous = os.environ.get(ENV_TOKEN)
    if token is not None:
        os.environ[ENV_TOKEN] = token
    try:
        return int(pytest.main(pytest_argv(args)))
    finally:
        if previous is None:
            os.environ.pop(ENV_TOKEN, None)
        else:
            os.environ[ENV_TOKEN] = previous


def pytest_argv(args: argparse.Namespace) -> list[str]:
    """pytest's arguments for the installed package: each flag of the table, as it was given."""
    argv = [
        str(PACKAGE_DIR),
        f"--rootdir={PACKAGE_DIR}",
        f"--config-file={PACKAGE_DIR / 'pytest.ini'}",
    ]
    if args.verbose:
        argv.append("-" + "v" * args.verbose)
    for flag in _forwarded():
        value = getattr(args, flag.dest)
        if flag.switch:
            argv += [flag.pytest_name or flag.name] if value else []
        elif value is not None and not (flag.pytest_name == "-n" and value == 1):
            argv += [flag.pytest_name or flag.name, str(value)]
    return argv


def _forwarded() -> list[Flag]:
    return [flag for flag in FLAGS if not (flag.secret or flag.cli_only)]


if __name__ == "__main__":
    sys.exit(main())
