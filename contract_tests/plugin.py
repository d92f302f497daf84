"""The suite's pytest plugin: flags, fixtures, preflight, time budget and exit codes.

Loaded by ``contract_tests/conftest.py``, so ``pytest contract_tests --base-url ...`` from
the repo and the ``grades-contract`` console script (``pytest.main`` on the installed
package) run exactly the same thing. Exit codes: 0 conforms, 1 a contract violation,
2 the run could not judge the instance (usage, unreachable, token rejected, unhealthy).
"""

from __future__ import annotations

import argparse
import time
import warnings
from collections.abc import Generator, Iterator
from dataclasses import dataclass, field
from typing import Any

import hypothesis
import pytest
import requests
from schemathesis.schemas import BaseSchema

from contract_tests.client import GradesClient, json_body
from contract_tests.health import (
    SENT,
    Budget,
    NoVerdict,
    OutOfTime,
    as_record,
    count_requests,
    summary,
)
from contract_tests.invariants import AdvisoryInvariantWarning
from contract_tests.live import LiveDataNotice
from contract_tests.options import RunOptions, UsageProblem, build_options, rate_limit_per_worker
from contract_tests.preflight import preflight_problem
from contract_tests.schema import DISABLED_CHECKS, build_schema, pacer
from contract_tests.traffic import TrafficLog
from spec.loader import Contract, load_contract

EXIT_CANNOT_JUDGE = 2
NO_VERDICT_PROPERTY = "grades-contract-no-verdict"
"""A report's ``user_properties`` key for the no-verdict it carries (survives pytest-xdist)."""
OPTIONS_KEY = pytest.StashKey[RunOptions]()
STATE_KEY = pytest.StashKey["RunState"]()


class GradeData:
    """The unfiltered records, boxed for ``@given`` tests.

    Passing the records straight to a Hypothesis test (a list of dicts, or a dataclass
    holding one) made its final replay fail with ``FlakyStrategyDefinition`` once
    Schemathesis had patched Hypothesis' printer; an opaque box avoids it.
    """

    __slots__ = ("records",)

    def __init__(self, records: list[dict[str, Any]]) -> None:
        self.records = records

    def __repr__(self) -> str:
        return f"<{len(self.records)} grade records>"


@dataclass
class RunState:
    """What the run learned about itself while running (for the summary and exit code)."""

    budget: Budget
    deadline: float | None = None
    """When ``--max-time`` stops generating (a soft limit: what ran still gets a verdict)."""
    no_verdict: list[tuple[str, str, str]] = field(default_factory=list)
    """Why the run cannot judge the instance (see :mod:`contract_tests.health`): exit 2."""
    advisories: list[str] = field(default_factory=list)
    failed: bool = False
    failures: list[str] = field(default_factory=list)
    session: pytest.Session | None = None

    def out_of_time(self) -> bool:
        return self.deadline is not None and time.monotonic() > self.deadline

    def no_verdict_reason(self) -> str | None:
        """The one-line reason for exit 2, or ``None`` when the run could judge the instance."""
        records = self.no_verdict or [as_record(e) for e in self.budget.incidents]
        return summary(records) if records else None


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("grades-contract", "Grades API contract suite")
    group.addoption("--base-url", help="the instance, e.g. https://host (env GRADES_BASE_URL)")
    group.addoption("--token", help="a bearer token the instance accepts (env GRADES_TOKEN)")
    group.addoption("--profile", help="smoke | ci (default) | fuzz")
    group.addoption("--seed", type=int, help="replay a run: the seed its output printed")
    group.addoption("--max-examples", type=int, help="generated examples per operation/property")
    group.addoption("--max-time", type=float, help="stop generating after this many seconds")
    group.addoption("--rate-limit", help="at most this many requests, e.g. 10/s, 600/m")
    group.addoption("--max-response-ms", type=float, help="latency budget per response")
    group.addoption("--report-dir", help="write the recorded traffic (VCR cassette) here")
    group.addoption("--request-timeout", type=float, help="seconds per request (default 10)")
    group.addoption("--max-duration", type=float, help="the whole run's budget in seconds")
    group.addoption("--run-started-at", type=float, help=argparse.SUPPRESS)
    group.addoption("--preflight-done", action="store_true", help=argparse.SUPPRESS)


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    if config.option.help:
        return
    options = _options_from(config)
    config.stash[OPTIONS_KEY] = options
    count_requests()
    state = RunState(budget=_budget(options, config.getoption("run_started_at")))
    config.stash[STATE_KEY] = state
    config.pluginmanager.register(RunTracker(state, options), "grades-contract-tracker")
    config.addinivalue_line("markers", "contract: a rule of the Grades API contract")
    _load_hypothesis_profile(options)
    _restore_node_nodeid()
    if options.report_dir is not None:
        options.report_dir.mkdir(parents=True, exist_ok=True)  # where the traffic record goes
    if getattr(config.option, "hypothesis_seed", None) is None:
        # Read by Hypothesis' own plugin right after this hook: every domain property runs
        # with the run's seed, so the printed seed replays them too.
        config.option.hypothesis_seed = options.seed


def _budget(options: RunOptions, started_at: float | None) -> Budget:
    """The run's deadline counts from ``started_at`` (the CLI's start, epoch seconds) or now."""
    deadline = None
    if options.max_duration_s is not None:
        elapsed = max(0.0, time.time() - started_at) if started_at is not None else 0.0
        deadline = time.monotonic() + options.max_duration_s - elapsed
    return Budget(options.request_timeout_s, deadline, options.max_duration_s)


def _restore_node_nodeid() -> None:
    """Give pytest nodes back the ``_nodeid`` attribute Schemathesis' ``from_fixture`` uses.

    pytest 9.2 replaced ``Node._nodeid`` (a str) with ``Node._id`` (a ``NodeId``);
    Schemathesis 4.32.5, the newest release, still reads and rewrites ``_nodeid`` to name
    each operation's subtest (pytest-benchmark#321 is the same break). A no-op on a pytest
    that still has the attribute; remove once Schemathesis supports pytest 9.2.
    """
    from _pytest.nodes import Node

    if hasattr(Node, "_nodeid") or not hasattr(Node, "id"):
        return
    from _pytest.nodeid import coerce_node_id

    def get(node: Node) -> str:
        return node.nodeid

    def set_(node: Node, value: str) -> None:
        node._id = coerce_node_id(value)

    Node._nodeid = property(get, set_)  # type: ignore[attr-defined]


def _options_from(config: pytest.Config) -> RunOptions:
    get = config.getoption
    try:
        rate_limit = get("rate_limit")
        workers = getattr(config, "workerinput", {}).get("workercount", 1)
        if rate_limit is not None and workers > 1:  # each pytest-xdist worker paces itself
            rate_limit = rate_limit_per_worker(rate_limit, workers)
        return build_options(
            base_url=get("base_url"),
            token=get("token"),
            profile=get("profile"),
            seed=get("seed"),
            max_examples=get("max_examples"),
            max_time_s=get("max_time"),
            rate_limit=rate_limit,
            max_response_ms=get("max_response_ms"),
            report_dir=get("report_dir"),
            request_timeout_s=get("request_timeout"),
            max_duration_s=get("max_duration"),
        )
    except UsageProblem as exc:
        raise pytest.UsageError(str(exc)) from None


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
    options = config.stash.get(OPTIONS_KEY, None)
    if options is None:
        return []
    lines = [
        f"grades-contract: {options.base_url} | profile {options.profile.name} | "
        f"seed {options.seed} (replay with --seed {options.seed}) | "
        f"max examples {options.max_examples}",
    ]
    lines += [f"grades-contract: check {name} off: {why}" for name, why in DISABLED_CHECKS.items()]
    return lines


def pytest_sessionstart(session: pytest.Session) -> None:
    state = session.config.stash.get(STATE_KEY, None)
    if state is None:
        return
    options = session.config.stash[OPTIONS_KEY]
    state.session = session
    if options.max_time_s is not None:
        state.deadline = time.monotonic() + options.max_time_s
    if session.config.getoption("preflight_done"):
        return  # grades-contract asked already, and said so in its own one line
    problem = preflight_problem(options, state.budget)
    if problem is not None:
        pytest.exit(problem, returncode=EXIT_CANNOT_JUDGE)


def pytest_runtest_setup(item: pytest.Item) -> None:
    state = item.config.stash.get(STATE_KEY, None)
    if state is None:
        return
    reason = state.no_verdict_reason()
    if reason is not None:
        pytest.skip(f"not run: {reason}")  # under pytest-xdist: this worker's items after it
    if state.budget.remaining() <= 0:
        raise state.budget.fail(OutOfTime(state.budget.out_of_time_reason()))
    if state.out_of_time():
        options = item.config.stash[OPTIONS_KEY]
        pytest.skip(f"--max-time of {options.max_time_s:g} s reached")


class RunTracker:
    """Per-run hooks that need the run's state (registered in ``pytest_configure``)."""

    def __init__(self, state: RunState, options: RunOptions) -> None:
        self.state = state
        self.options = options

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(
        self, item: pytest.Item, call: pytest.CallInfo[None]
    ) -> Generator[None, pytest.TestReport, pytest.TestReport]:
        """Tag a report whose exception is a no-verdict, so the run ends with exit 2."""
        report = yield
        if call.excinfo is not None and isinstance(call.excinfo.value, NoVerdict):
            report.user_properties.append((NO_VERDICT_PROPERTY, as_record(call.excinfo.value)))
        return report

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if not report.failed:
            return
        self.state.failed = True
        records = [_record(v) for k, v in report.user_properties if k == NO_VERDICT_PROPERTY]
        if not records:
            self.state.failures.append(report.nodeid)
            return
        self.state.no_verdict += records
        if self.state.session is not None:
            self.state.session.shouldstop = self.state.no_verdict_reason() or True

    def pytest_warning_recorded(self, warning_message: warnings.WarningMessage) -> None:
        if issubclass(warning_message.category, (AdvisoryInvariantWarning, LiveDataNotice)):
            text = str(warning_message.message)
            if text not in self.state.advisories:
                self.state.advisories.append(text)

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        if self.state.no_verdict_reason() is not None:
            session.exitstatus = EXIT_CANNOT_JUDGE

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        write = terminalreporter.write_line
        if not getattr(terminalreporter.config.option, "numprocesses", None):  # not under xdist
            methods = ", ".join(f"{n} {method}" for method, n in sorted(SENT.items()))
            write(f"grades-contract: {SENT.total()} requests sent after the preflight ({methods})")
        for advisory in self.state.advisories[:20]:
            write(f"grades-contract: advisory: {advisory}")
        reason = self.state.no_verdict_reason()
        if reason is not None:
            write(f"grades-contract: no verdict (exit 2): {reason}")
        elif self.state.failed:
            seed = self.options.seed
            write(f"grades-contract: contract violated; replay this run with --seed {seed}")


def _record(value: object) -> tuple[str, str, str]:
    """A no-verdict record back from a report (a list once pytest-xdist has carried it)."""
    category, reason, request = (str(part) for part in value)  # type: ignore[attr-defined]
    return category, reason, request


@pytest.fixture(scope="session")
def run_options(pytestconfig: pytest.Config) -> RunOptions:
    return pytestconfig.stash[OPTIONS_KEY]


@pytest.fixture(scope="session")
def run_state(pytestconfig: pytest.Config) -> RunState:
    return pytestconfig.stash[STATE_KEY]


@pytest.fixture(scope="session")
def contract() -> Contract:
    return load_contract()


@pytest.fixture(scope="session")
def traffic(run_options: RunOptions, pytestconfig: pytest.Config) -> TrafficLog | None:
    """The replayable traffic record, when ``--report-dir`` (or the fuzz profile) asks for it."""
    if run_options.report_dir is None:
        return None
    # This run's own pytest-xdist worker id, from its config: an inherited environment variable
    # would also name the worker of an outer pytest that started grades-contract.
    worker = getattr(pytestconfig, "workerinput", {}).get("workerid")
    return TrafficLog(run_options.report_dir, run_options.token, worker)


@pytest.fixture(scope="session")
def client(
    run_options: RunOptions,
    run_state: RunState,
    traffic: TrafficLog | None,
    grades_schema: BaseSchema,
) -> Iterator[GradesClient]:
    """The suite's own client: the run's budget, and the rate limiter Schemathesis uses."""
    pace = pacer(grades_schema, run_options.base_url)
    yield GradesClient(run_options, traffic, budget=run_state.budget, pace=pace)


@pytest.fixture(scope="session")
def grades_schema(run_options: RunOptions) -> BaseSchema:
    return build_schema(run_options)


@pytest.fixture(scope="session")
def unfiltered_response(client: GradesClient) -> requests.Response:
    """The unfiltered answer: the oracle every filter answer is compared with."""
    response = client.get()
    if response.status_code != 200 or not isinstance(json_body(response), list):
        raise client.violation(
            "happy-path",
            "the unfiltered GET with a valid token must answer 200 with a JSON array of records",
            response,
        )
    return response


@pytest.fixture(scope="session")
def all_grades(unfiltered_response: requests.Response) -> list[dict[str, Any]]:
    """The records of the unfiltered answer (objects only: the schema checks judge the rest)."""
    return [record for record in unfiltered_response.json() if isinstance(record, dict)]


@pytest.fixture(scope="session")
def grades_data(all_grades: list[dict[str, Any]]) -> GradeData:
    return GradeData(all_grades)
