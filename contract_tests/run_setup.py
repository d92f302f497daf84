"""The suite's setup: its flags, their validation, the preflight, the budget and Hypothesis.

Validates the flags and sends the preflight once, before pytest prints anything; builds the
run's :class:`RunState`; configures Hypothesis (seed, profile, files out of the caller's
directory); skips what the budget no longer allows. The outcome is decided by
:mod:`contract_tests.run_report`.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import hypothesis
import pytest

from grades_kit.contract.redaction import Pseudonyms
from grades_kit.contract_tests.health import Budget, OutOfTime
from grades_kit.contract_tests.options import (
    RunOptions,
    UsageProblem,
    build_options,
    option_values,
    plugin_flags,
    rate_limit_per_worker,
)
from grades_kit.contract_tests.pytest_compat import restore_node_nodeid
from grades_kit.contract_tests.readiness import preflight_problem
from grades_kit.contract_tests.reports.gate import GateReports
from grades_kit.contract_tests.requests_sent import RequestTally
from grades_kit.contract_tests.run_report import RunTracker
from grades_kit.contract_tests.run_state import PREFIX, STATE_KEY, RunState, is_worker, last_line
from grades_kit.contract_tests.schema import DISABLED_CHECKS
from grades_kit.contract_tests.transport import pacer

ENV_CACHE = "XDG_CACHE_HOME"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("grades-contract", "Grades API contract suite")
    for flag in plugin_flags():
        flag.add_to(group.addoption, flag.pytest_name)


def _workers(config: pytest.Config) -> int:
    if is_worker(config):
        return int(config.workerinput["workercount"])  # type: ignore[attr-defined]
    count = getattr(config.option, "numprocesses", None)
    return count if isinstance(count, int) else 1


@pytest.hookimpl(tryfirst=True)
def pytest_cmdline_main(config: pytest.Config) -> int | None:
    """Validate the flags and send the preflight once, before pytest prints anything.

    A problem ends the run here with one line on stderr and exit 2. pytest-xdist workers
    inherit the validated values (the seed, the start time) from this process's options.
    """
    if config.option.help or config.option.version or is_worker(config):
        return None
    try:
        state = _prepare(config)
    except UsageProblem as exc:
        return last_line(str(exc))
    problem = preflight_problem(state.options, state.session_for(None, "preflight"))
    if problem is not None:
        return last_line(problem)
    return None


def _prepare(config: pytest.Config) -> RunState:
    """The run's options, budget and pacing, built once per process and kept in the stash."""
    state = config.stash.get(STATE_KEY, None)
    if state is not None:
        return state
    get = config.getoption
    if get("run_started_at") is None:
        config.option.run_started_at = time.time()  # the budget counts from here (or the CLI)
    workers = _workers(config)
    if getattr(config.option, "numprocesses", None) == 0 or workers < 1:
        raise UsageProblem("--workers must be at least 1")
    options = build_options(**option_values(get))
    config.option.seed = options.seed  # what pytest-xdist workers will read
    rate = options.rate_limit
    if rate is not None and workers > 1:  # each worker paces itself with its share
        rate = rate_limit_per_worker(rate, workers)
    state = RunState(options, _budget(options, get("run_started_at")))
    state.people = Pseudonyms(options.token)  # the same pseudonyms in every worker's reports
    state.pace = pacer(rate, options.base_url)
    config.stash[STATE_KEY] = state
    return state


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    if config.option.help:
        return
    try:
        state = _prepare(config)
    except UsageProblem as exc:  # e.g. plain pytest with -p: cmdline_main did not run
        raise pytest.UsageError(str(exc)) from None
    options = state.options
    config.pluginmanager.register(state.coverage, "grades-contract-coverage")
    tracker = RunTracker(state, options)
    config.pluginmanager.register(tracker, "grades-contract-tracker")
    tally = RequestTally(state.budget, is_worker(config))
    config.pluginmanager.register(tally, "grades-contract-tally")
    if not is_worker(config):
        gate = GateReports(options, state.verdict, tally, state.no_verdict_reason, tracker)
        config.pluginmanager.register(gate, "grades-contract-gate")
    config.addinivalue_line("markers", "contract: a rule of the Grades API contract")
    _quiet_unless_verbose(config)
    _keep_hypothesis_files_out_of_the_callers_directory()
    _load_hypothesis_profile(options)
    restore_node_nodeid()
    if options.report_dir is not None:
        options.report_dir.mkdir(parents=True, exist_ok=True)  # where the traffic record goes
    if getattr(config.option, "hypothesis_seed", None) is None:
        # Read by Hypothesis' own plugin right after this hook: every domain property runs
        # with the run's seed, so the printed seed replays them too.
        config.option.hypothesis_seed = options.seed


def _quiet_unless_verbose(config: pytest.Config) -> None:
    """The verdict by rule is the report: no tracebacks nor per-test lines unless ``-v``.

    pytest's quiet mode (one line of dots, no environment header): the run's own header line
    is written by :func:`pytest_sessionstart` instead.
    """
    if config.getoption("verbose") > 0:
        return
    if config.getoption("verbose") == 0:
        config.option.verbose = -1
    if config.option.tbstyle == "auto":
        config.option.tbstyle = "no"
    config.option.reportchars = "N"


def _keep_hypothesis_files_out_of_the_callers_directory() -> None:
    """Hypothesis' files (its constants cache) go to ``$XDG_CACHE_HOME/grades-contract``.

    Its default is ``.hypothesis/`` in the working directory: the caller's, not ours. The
    example database itself is off (see :func:`_load_hypothesis_profile`).
    """
    base = os.environ.get(ENV_CACHE) or str(Path.home() / ".cache")
    hypothesis.configuration.set_hypothesis_home_dir(str(Path(base) / PREFIX / "hypothesis"))


def _budget(options: RunOptions, started_at: float | None) -> Budget:
    """The run's deadlines count from ``started_at`` (the CLI's start, epoch seconds) or now."""
    elapsed = max(0.0, time.time() - started_at) if started_at is not None else 0.0

    def at(seconds: float | None) -> float | None:
        return None if seconds is None else time.monotonic() + seconds - elapsed

    return Budget(
        options.request_timeout_s,
        at(options.max_duration_s),
        options.max_duration_s,
        cut_at=at(options.max_time_s),
        max_time_s=options.max_time_s,
    )


def _load_hypothesis_profile(options: RunOptions) -> None:
    name = f"grades-contract-{options.profile.name}"
    hypothesis.settings.register_profile(
        name,
        max_examples=options.property_examples,
        database=None,  # nothing replayed from earlier runs: the seed alone decides the run
        deadline=None,  # network latency is the latency budget's business, not Hypothesis'
        derandomize=False,
        print_blob=False,
        suppress_health_check=[hypothesis.HealthCheck.too_slow],
        phases=_phases(options.profile.shrink),
    )
    hypothesis.settings.load_profile(name)


def _phases(shrink: bool) -> list[hypothesis.Phase]:
    phases = [hypothesis.Phase.explicit, hypothesis.Phase.generate, hypothesis.Phase.target]
    return phases + [hypothesis.Phase.shrink] if shrink else phases


def pytest_report_header(config: pytest.Config) -> list[str]:
    state = config.stash.get(STATE_KEY, None)
    if state is None:
        return []
    return [_header_line(state.options)]


def _header_line(options: RunOptions) -> str:
    off = ", ".join(DISABLED_CHECKS)
    return (
        f"{PREFIX}: {options.base_url} | profile {options.profile.name} | "
        f"seed {options.seed} (replay with --seed {options.seed}) | "
        f"max examples {options.max_examples} | checks off: {off} (GET/OPTIONS only)"
    )


def pytest_sessionstart(session: pytest.Session) -> None:
    state = session.config.stash.get(STATE_KEY, None)
    if state is None:
        return
    state.session = session
    terminal = session.config.pluginmanager.get_plugin("terminalreporter")
    if terminal is not None and session.config.getoption("verbose") < 0:
        terminal.write_line(_header_line(state.options))  # pytest's header is off in -q


def pytest_runtest_setup(item: pytest.Item) -> None:
    state = item.config.stash.get(STATE_KEY, None)
    if state is None:
        return
    state.cut_in_test, state.failure = False, None
    reason = state.no_verdict_reason()
    if reason is not None:
        pytest.skip(f"not run: {reason}")  # under pytest-xdist: this worker's items after it
    if state.budget.remaining() <= 0:
        raise state.budget.fail(OutOfTime(state.budget.out_of_time_reason()))
    if state.out_of_time():
        pytest.skip(f"not run: --max-time of {state.options.max_time_s:g} s reached")
