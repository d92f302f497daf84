"""The suite's pytest plugin: flags, preflight, fixtures, time budget, the verdict and exit codes.

Loaded by ``contract_tests/conftest.py``, so ``pytest contract_tests --base-url ...`` from
the repo and the ``grades-contract`` console script (which only launches ``pytest.main`` on
the installed package) run exactly the same thing, and this plugin alone decides the
outcome: 0 conforms, 1 a contract violation, 2 the run could not judge the instance (usage,
unreachable, token rejected, unhealthy, out of time). Whatever the outcome but a pass, the
last line on stderr says why, in one line (see :mod:`contract_tests.verdict`).
"""

from __future__ import annotations

import os
import sys
import time
import warnings
from collections.abc import Generator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import hypothesis
import pytest
import requests
from schemathesis.core.transport import USER_AGENT
from schemathesis.schemas import BaseSchema

from grades_kit.contract.loader import Contract, load_contract
from grades_kit.contract.redaction import Pseudonyms
from grades_kit.contract_tests.client import GradesClient, json_body
from grades_kit.contract_tests.health import (
    Budget,
    Cut,
    NoVerdict,
    OutOfTime,
    as_record,
    summary,
)
from grades_kit.contract_tests.invariant_severity import AdvisoryInvariantWarning
from grades_kit.contract_tests.live import LiveDataNotice
from grades_kit.contract_tests.options import (
    RunOptions,
    UsageProblem,
    build_options,
    option_values,
    plugin_flags,
    rate_limit_per_worker,
)
from grades_kit.contract_tests.readiness import preflight_problem
from grades_kit.contract_tests.reports.gate import GateReports
from grades_kit.contract_tests.schema import DISABLED_CHECKS, build_schema
from grades_kit.contract_tests.tally import RequestTally
from grades_kit.contract_tests.traffic import FORMAT, TrafficLog
from grades_kit.contract_tests.transport import Pace, pacer, polite_session, route_through
from grades_kit.contract_tests.verdict import (
    VIOLATIONS_PROPERTY,
    Verdict,
    Violation,
    as_property,
    from_property,
    violations_of,
)

EXIT_CANNOT_JUDGE = 2
PREFIX = "grades-contract"
NO_VERDICT_PROPERTY = "grades-contract-no-verdict"
"""A report's ``user_properties`` key for the no-verdict it carries (survives pytest-xdist)."""
EXAMPLES_PROPERTY = "grades-contract-examples"
"""A report's ``user_properties`` key for its (generated, sent, cut) example counts."""
STATE_KEY = pytest.StashKey["RunState"]()
ENV_CACHE = "XDG_CACHE_HOME"


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
    """What the run is and learned while running (for the summary and the exit code)."""

    options: RunOptions
    budget: Budget
    pace: Pace | None = None
    """The one ``--rate-limit`` limiter of this process (this worker's share)."""
    no_verdict: list[tuple[str, str, str]] = field(default_factory=list)
    """Why the run cannot judge the instance (see :mod:`contract_tests.health`): exit 2."""
    advisories: list[str] = field(default_factory=list)
    failed: bool = False
    failure: BaseException | None = None
    """The running test's first failure: what a replay cut by ``--max-time`` raises again."""
    people: Pseudonyms = field(default_factory=lambda: Pseudonyms(""))
    """The run's one pseudonymiser (keyed by the token): every report masks with it."""
    partial: int = 0
    """Tests cut or never started because ``--max-time`` was spent: the run is partial."""
    verdict: Verdict = field(default_factory=Verdict)
    examples: list[int] = field(default_factory=lambda: [0, 0, 0])
    """Schema-driven examples generated, sent and cut by ``--max-time``, not yet reported."""
    cut_in_test: bool = False
    """Examples of the running test were cut: it must not be reported passed."""
    totals: list[int] = field(default_factory=lambda: [0, 0, 0])
    not_run: int = 0
    """Tests skipped because ``--max-time`` was spent before they started."""
    session: pytest.Session | None = None

    def out_of_time(self) -> bool:
        return self.budget.spent()

    def no_verdict_reason(self) -> str | None:
        """The one-line reason for exit 2, or ``None`` when the run could judge the instance."""
        records = self.no_verdict or [as_record(e) for e in self.budget.incidents]
        return summary(records) if records else None

    def session_for(self, traffic: TrafficLog | None, source: str) -> requests.Session:
        """A session on the run's one road (budget, pacing, Retry-After, traffic record)."""
        return polite_session(
            self.budget, self.options.token, self.pace, traffic, source, self.people
        )


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("grades-contract", "Grades API contract suite")
    for flag in plugin_flags():
        flag.add_to(group.addoption, flag.pytest_name)


def _is_worker(config: pytest.Config) -> bool:
    return hasattr(config, "workerinput")


def _workers(config: pytest.Config) -> int:
    if _is_worker(config):
        return int(config.workerinput["workercount"])  # type: ignore[attr-defined]
    count = getattr(config.option, "numprocesses", None)
    return count if isinstance(count, int) else 1


@pytest.hookimpl(tryfirst=True)
def pytest_cmdline_main(config: pytest.Config) -> int | None:
    """Validate the flags and send the preflight once, before pytest prints anything.

    A problem ends the run here with one line on stderr and exit 2. pytest-xdist workers
    inherit the validated values (the seed, the start time) from this process's options.
    """
    if config.option.help or config.option.version or _is_worker(config):
        return None
    try:
        state = _prepare(config)
    except UsageProblem as exc:
        return _last_line(str(exc))
    problem = preflight_problem(state.options, state.session_for(None, "preflight"))
    if problem is not None:
        return _last_line(problem)
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


def _last_line(reason: str, code: int = EXIT_CANNOT_JUDGE) -> int:
    print(f"{PREFIX}: {reason}", file=sys.stderr)
    return code


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    if config.option.help:
        return
    try:
        state = _prepare(config)
    except UsageProblem as exc:  # e.g. plain pytest with -p: cmdline_main did not run
        raise pytest.UsageError(str(exc)) from None
    options = state.options
    tracker = RunTracker(state, options)
    config.pluginmanager.register(tracker, "grades-contract-tracker")
    tally = RequestTally(state.budget, _is_worker(config))
    config.pluginmanager.register(tally, "grades-contract-tally")
    if not _is_worker(config):
        gate = GateReports(options, state.verdict, tally, state.no_verdict_reason, tracker)
        config.pluginmanager.register(gate, "grades-contract-gate")
    config.addinivalue_line("markers", "contract: a rule of the Grades API contract")
    _quiet_unless_verbose(config)
    _keep_hypothesis_files_out_of_the_callers_directory()
    _load_hypothesis_profile(options)
    _restore_node_nodeid()
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


class RunTracker:
    """Per-run hooks that need the run's state (registered in ``pytest_configure``)."""

    def __init__(self, state: RunState, options: RunOptions) -> None:
        self.state = state
        self.options = options

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(
        self, item: pytest.Item, call: pytest.CallInfo[None]
    ) -> Generator[None, pytest.TestReport, pytest.TestReport]:
        """Tag the report with what it found (plain strings: they survive pytest-xdist)."""
        report = yield
        if any(self.state.examples):
            report.user_properties.append((EXAMPLES_PROPERTY, self.state.examples))
            self.state.examples = [0, 0, 0]
        if call.when == "call" and report.passed and self.state.cut_in_test:
            reason = f"--max-time of {self.options.max_time_s:g} s reached: examples cut"
            report.outcome, report.longrepr = "skipped", (str(item.path), 0, reason)
        if call.excinfo is not None and isinstance(call.excinfo.value, Cut):
            report.outcome = "skipped"
            report.longrepr = (str(item.path), 0, str(call.excinfo.value))
        if call.excinfo is None or not report.failed:
            return report
        if isinstance(call.excinfo.value, NoVerdict):
            report.user_properties.append((NO_VERDICT_PROPERTY, as_record(call.excinfo.value)))
            return report
        violations = [self._masked(v) for v in violations_of(call.excinfo.value)]
        report.user_properties.append((VIOLATIONS_PROPERTY, as_property(violations)))
        first = f"[{violations[0].rule}] {violations[0].reason}"
        if item.config.getoption("verbose") > 0:
            crash = getattr(report.longrepr, "reprcrash", None)
            if crash is not None:  # the JUnit message starts with the rule
                crash.message = first
        else:
            more = [f"[{v.rule}] {v.reason}" for v in violations[1:]]
            curl = [f"    {violations[0].curl}"] if violations[0].curl else []
            report.longrepr = "\n".join([first, *curl, *more])
        return report

    def _masked(self, violation: Violation) -> Violation:
        """Reports carry no learner's username or email (nor the token): the pseudonyms."""
        text = self.state.people.text
        return Violation(violation.rule, text(violation.reason), text(violation.curl))

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        for key, value in report.user_properties:
            if key == EXAMPLES_PROPERTY:
                counts = [int(part) for part in value]  # type: ignore[attr-defined]
                self.state.totals = [a + b for a, b in zip(self.state.totals, counts, strict=True)]
        if report.skipped and "--max-time" in str(report.longrepr):
            self.state.partial += 1
            self.state.not_run += report.when == "setup"
        if not report.failed:
            return
        self.state.failed = True
        records = [_record(v) for k, v in report.user_properties if k == NO_VERDICT_PROPERTY]
        if not records:
            for key, value in report.user_properties:
                if key == VIOLATIONS_PROPERTY:
                    self.state.verdict.add(report.nodeid, from_property(value))
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
        elif self.partial_reason() is not None and session.exitstatus in (0, 5):
            session.exitstatus = EXIT_CANNOT_JUDGE
        self.exit_status = int(session.exitstatus)

    def partial_reason(self) -> str | None:
        """Why a run that met no violation cannot pass: part of its profile never ran."""
        if not self.state.partial or self.options.allow_partial:
            return None
        return (
            f"--max-time of {self.options.max_time_s:g} s reached: {self.state.partial} "
            "test(s) cut or not started, so part of the profile never ran; --allow-partial "
            "judges what ran"
        )

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        write = terminalreporter.write_line
        for advisory in self.state.advisories[:5]:
            write(f"{PREFIX}: advisory: {advisory}")
        if self.options.max_time_s is not None:
            generated, sent, cut = self.state.totals
            write(
                f"{PREFIX}: --max-time {self.options.max_time_s:g} s: {generated} examples "
                f"generated, {sent} sent, {cut} cut (not sent: reported skipped, never passed); "
                f"{self.state.not_run} test(s) not started"
            )
        if self.options.report_dir is not None:
            write(
                f"{PREFIX}: traffic record ({FORMAT}, {_masking(self.options)}): "
                f"{self.options.report_dir / 'traffic*.har'}"
            )
        if self.state.no_verdict_reason() is None and self.state.verdict.rules:
            for line in self.state.verdict.summary_lines():
                write(f"{PREFIX}: {line}" if not line.startswith(" ") else line)

    def pytest_unconfigure(self, config: pytest.Config) -> None:
        """The run's last line, on stderr (the controller's, under pytest-xdist)."""
        if _is_worker(config):
            return
        status = getattr(self, "exit_status", None)
        reason = self.state.no_verdict_reason()
        if reason is not None:
            _last_line(f"{reason}; no verdict")
        elif status == EXIT_CANNOT_JUDGE and self.partial_reason() is not None:
            _last_line(f"no verdict: {self.partial_reason()}")
        elif status == 1 and self.state.verdict.rules:
            _last_line(self.state.verdict.last_line(self.options.seed))
        elif status not in (None, 0, 5):
            _last_line(f"no verdict: pytest ended with exit code {status}; see the output above")


def _masking(options: RunOptions) -> str:
    if options.record_bodies:
        return "real values, token masked: local only, never upload it"
    return "token masked, emails and usernames pseudonymised"


def _record(value: object) -> tuple[str, str, str]:
    """A no-verdict record back from a report (a list once pytest-xdist has carried it)."""
    category, reason, request = (str(part) for part in value)  # type: ignore[attr-defined]
    return category, reason, request


@pytest.fixture(scope="session")
def run_options(pytestconfig: pytest.Config) -> RunOptions:
    return pytestconfig.stash[STATE_KEY].options


@pytest.fixture(scope="session")
def run_state(pytestconfig: pytest.Config) -> RunState:
    return pytestconfig.stash[STATE_KEY]


@pytest.fixture(scope="session")
def contract() -> Contract:
    return load_contract()


@pytest.fixture(scope="session")
def traffic(
    run_options: RunOptions, run_state: RunState, pytestconfig: pytest.Config
) -> Iterator[TrafficLog | None]:
    """The replayable traffic record, when ``--report-dir`` (or the fuzz profile) asks for it."""
    if run_options.report_dir is None:
        yield None
        return
    # This run's own pytest-xdist worker id, from its config: an inherited environment variable
    # would also name the worker of an outer pytest that started grades-contract.
    worker = getattr(pytestconfig, "workerinput", {}).get("workerid")
    people = None if run_options.record_bodies else run_state.people
    log = TrafficLog(run_options.report_dir, run_options.token, people, worker)
    yield log
    log.close()


@pytest.fixture(scope="session")
def client(
    run_options: RunOptions, run_state: RunState, traffic: TrafficLog | None
) -> Iterator[GradesClient]:
    """The suite's own client, on the run's one road (budget, pacing, traffic record)."""
    session = run_state.session_for(traffic, "domain")
    yield GradesClient(run_options, session)
    session.close()


@pytest.fixture(scope="session")
def generated_requests_session(
    run_state: RunState, traffic: TrafficLog | None
) -> Iterator[requests.Session]:
    """The session Schemathesis' generated requests (and its auth probes) are sent with."""
    session = run_state.session_for(traffic, "schemathesis")
    session.headers["User-Agent"] = USER_AGENT  # as Schemathesis' own session would send
    yield session
    session.close()


@pytest.fixture(scope="session")
def grades_schema(
    run_options: RunOptions, generated_requests_session: requests.Session
) -> BaseSchema:
    return route_through(build_schema(run_options), generated_requests_session)


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
