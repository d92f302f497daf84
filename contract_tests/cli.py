"""``grades-contract``: run the installed contract suite against one instance.

It validates the flags, sends one preflight GET (wrong URL, dead host or rejected token end
here in one line, exit 2), then runs ``pytest`` on the installed ``contract_tests`` package
with its own ``pytest.ini``, so the caller's directory plays no part. Exit codes: 0 the
instance conforms, 1 it violates the contract, 2 no verdict (usage, unreachable, token,
instance unhealthy or rate-limited mid-run, ``--max-duration`` reached). Whatever the
outcome but a pass, the last line on stderr says why, in one line.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import pytest

from contract_tests.health import Budget
from contract_tests.options import (
    ENV_TOKEN,
    RunOptions,
    UsageProblem,
    build_options,
    rate_limit_per_worker,
)
from contract_tests.preflight import preflight_problem
from contract_tests.profiles import PROFILES

if TYPE_CHECKING:  # the plugin imports Hypothesis, which must wait for pytest's assert rewriting
    from contract_tests.plugin import RunState

PACKAGE_DIR = Path(__file__).resolve().parent
EXIT_CONFORMS, EXIT_VIOLATED, EXIT_NO_VERDICT = 0, 1, 2
TRACKER_NAME = "grades-contract-tracker"
"""The name the plugin registers its run tracker under (the CLI reads the outcome from it)."""


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
    add = parser.add_argument
    add("--base-url", help="the instance, e.g. https://staging.example.com")
    add("--token", help=f"a bearer token the instance accepts (prefer ${ENV_TOKEN})")
    add("--profile", choices=tuple(PROFILES), default="ci", help="default: ci")
    add("--seed", type=int, help="replay a run with the seed its output printed")
    add("--max-examples", type=int, help="generated examples per operation and property")
    add("--max-time", type=float, metavar="S", help="stop generating after S seconds")
    add("--rate-limit", metavar="N/UNIT", help="e.g. 10/s, 600/m, 1000/h")
    add("--workers", type=int, default=1, help="run test items in N processes (pytest-xdist)")
    add("--junit-xml", metavar="PATH", help="write a JUnit XML report (for CI)")
    add("--report-dir", metavar="DIR", help="record the traffic (VCR cassette) in DIR")
    add("--max-response-ms", type=float, metavar="MS", help="latency budget per response")
    add("--request-timeout", type=float, metavar="S", help="seconds per request (default 10)")
    add("--max-duration", type=float, metavar="S", help="stop the whole run after S s (exit 2)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    started_at = time.time()
    args = build_parser().parse_args(argv)
    try:
        options = _options(args)
        if args.workers < 1:
            raise UsageProblem(f"--workers must be at least 1, not {args.workers}")
        if options.rate_limit is not None:  # each worker gets its share: refuse what can't
            rate_limit_per_worker(options.rate_limit, args.workers)  # be split, up front
    except UsageProblem as exc:
        return _fail(str(exc))
    problem = preflight_problem(options, _budget(options))
    if problem is not None:
        return _fail(problem)
    outcome = _Outcome()
    code = _run_pytest(args, options, started_at, outcome)
    reason = outcome.state.no_verdict_reason() if outcome.state is not None else None
    if reason is not None:
        return _fail(f"{reason}; no verdict")
    if code == EXIT_VIOLATED:
        return _fail(_violated(outcome.state, options), EXIT_VIOLATED)
    if code != EXIT_CONFORMS:
        return _fail(f"no verdict: pytest ended with exit code {code}; see the output above")
    return EXIT_CONFORMS


class _Outcome:
    """A pytest plugin object that keeps the run's state for the CLI's last line."""

    state: RunState | None = None

    def pytest_unconfigure(self, config: pytest.Config) -> None:
        tracker = config.pluginmanager.get_plugin(TRACKER_NAME)
        self.state = getattr(tracker, "state", None)


def _fail(reason: str, code: int = EXIT_NO_VERDICT) -> int:
    print(f"grades-contract: {reason}", file=sys.stderr)
    return code


def _budget(options: RunOptions) -> Budget:
    """The preflight's share of the run's budget (the run starts now)."""
    limit = options.max_duration_s
    deadline = time.monotonic() + limit if limit is not None else None
    return Budget(options.request_timeout_s, deadline, limit)


def _violated(state: RunState | None, options: RunOptions) -> str:
    failures = state.failures if state is not None else []
    first = f"{len(failures)} failing test(s), first {failures[0]}" if failures else "failures"
    return f"contract violated: {first}; see the report above; replay with --seed {options.seed}"


def _options(args: argparse.Namespace) -> RunOptions:
    return build_options(
        base_url=args.base_url,
        token=args.token,
        profile=args.profile,
        seed=args.seed,
        max_examples=args.max_examples,
        max_time_s=args.max_time,
        rate_limit=args.rate_limit,
        max_response_ms=args.max_response_ms,
        report_dir=args.report_dir,
        request_timeout_s=args.request_timeout,
        max_duration_s=args.max_duration,
    )


def _run_pytest(
    args: argparse.Namespace, options: RunOptions, started_at: float, outcome: _Outcome
) -> int:
    """pytest.main on the installed package; the token travels in the environment, not argv."""
    argv = [
        str(PACKAGE_DIR),
        f"--rootdir={PACKAGE_DIR}",
        f"--config-file={PACKAGE_DIR / 'pytest.ini'}",
        "--tb=short",
        f"--base-url={options.base_url}",
        f"--profile={options.profile.name}",
        f"--seed={options.seed}",
        f"--request-timeout={options.request_timeout_s}",
        f"--run-started-at={started_at}",
        "--preflight-done",
    ]
    optional = {
        "--max-examples": args.max_examples,
        "--max-time": args.max_time,
        "--rate-limit": args.rate_limit,
        "--max-response-ms": args.max_response_ms,
        "--report-dir": options.report_dir,
        "--junitxml": args.junit_xml,
        "--max-duration": args.max_duration,
    }
    argv += [f"{flag}={value}" for flag, value in optional.items() if value is not None]
    if args.workers > 1:
        argv += ["-n", str(args.workers)]
    previous = os.environ.get(ENV_TOKEN)
    os.environ[ENV_TOKEN] = options.token
    try:
        return int(pytest.main(argv, plugins=[outcome]))
    finally:
        if previous is None:
            del os.environ[ENV_TOKEN]
        else:
            os.environ[ENV_TOKEN] = previous


if __name__ == "__main__":
    sys.exit(main())
