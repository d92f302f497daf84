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
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import NoReturn

import pytest

from grades_kit.contract.registry import registry
from grades_kit.contract_tests.options import ENV_TOKEN, FLAGS, Flag

PACKAGE_DIR = Path(__file__).resolve().parent
EXIT_NO_VERDICT = 2
DISTRIBUTION = "grades-contract-kit"
STEERING_VARIABLES = (
    "PYTEST_ADDOPTS",
    "PYTEST_PLUGINS",
    "PYTEST_DISABLE_PLUGIN_AUTOLOAD",
    "PYTEST_XDIST_AUTO_NUM_WORKERS",
    "PYTEST_DEBUG",
)
"""pytest's environment variables that could add, drop or reorder checks: never inherited."""
PLUGINS = ("xdist.plugin", "_hypothesis_pytestplugin", "schemathesis.pytest.plugin")
"""The only pytest plugins of a run: autoloading is off, so whatever else the caller's
environment has installed (pytest-randomly reseeds, pytest-rerunfailures retries) plays no part."""


class _OneLineParser(argparse.ArgumentParser):
    """Usage errors in one line on stderr (the house rule for CLIs), exit 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_NO_VERDICT, f"{self.prog}: {message} (see --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _OneLineParser(
        prog="grades-contract",
        allow_abbrev=False,  # `--report junit` must be an error, not `--report-dir junit`
        usage="%(prog)s [options]\n       %(prog)s load [load options] (%(prog)s load --help)",
        description="Check that a Grades API instance honours the contract (GET/OPTIONS only).",
        epilog="Subcommands: load (the contract judged on every answer of a Locust load run; "
        "needs grades-contract-kit[load]). Exit codes: 0 conforms, 1 contract violated, 2 no "
        "verdict (usage, unreachable or unhealthy instance, token rejected, out of time). "
        "GRADES_BASE_URL / GRADES_TOKEN stand in for the flags.",
    )
    for flag in FLAGS:
        flag.add_to(parser.add_argument)
    parser.add_argument("-v", "--verbose", action="count", default=0, help="full failure detail")
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    return parser


def _version() -> str:
    try:
        return version(DISTRIBUTION)
    except PackageNotFoundError:  # a checkout that was never installed
        return "(not installed)"


def main(argv: Sequence[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv[:1] == ["load"]:  # the Locust run: its own flags (contract_tests/load/load_cli.py)
        from grades_kit.contract_tests.load.load_cli import main as load

        return load(argv[1:])
    args = build_parser().parse_args(argv)
    if args.list_rules:
        print("\n".join(registry().listing()))
        return 0
    if args.run_started_at is None:
        args.run_started_at = time.time()  # the --max-duration budget counts from here
    # The token travels in the environment: never on pytest's (or ps') command line.
    changes = {ENV_TOKEN: args.token} if args.token is not None else {}
    ignored = [name for name in STEERING_VARIABLES if os.environ.get(name)]
    if ignored:
        print(
            f"grades-contract: ignored {', '.join(ignored)} from the environment "
            "(it cannot change which checks run)",
            file=sys.stderr,
        )
    changes.update({name: None for name in STEERING_VARIABLES})
    changes["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
    with _environment(changes):
        return int(pytest.main(pytest_argv(args)))


@contextmanager
def _environment(changes: Mapping[str, str | None]) -> Iterator[None]:
    """``os.environ`` with ``changes`` (``None`` unsets) for the block, then as it was."""
    previous = {name: os.environ.get(name) for name in changes}
    try:
        for name, value in changes.items():
            _set(name, value)
        yield
    finally:
        for name, value in previous.items():
            _set(name, value)


def _set(name: str, value: str | None) -> None:
    if value is None:
        os.environ.pop(name, None)
    else:
        os.environ[name] = value


def pytest_argv(args: argparse.Namespace) -> list[str]:
    """pytest's arguments for the installed package: each flag of the table, as it was given."""
    argv = [
        str(PACKAGE_DIR),
        f"--rootdir={PACKAGE_DIR}",
        f"--config-file={PACKAGE_DIR / 'pytest.ini'}",
    ]
    for plugin in PLUGINS:
        argv += ["-p", plugin]
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
