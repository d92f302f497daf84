"""``grades-contract`` against a misbehaving instance: it ends in time, with the right code and
one line on stderr, and never calls a broken network a pass.

Each scenario runs the real console script (a subprocess with a hard timeout: "never hangs"
is only honest from outside) against a fault server of ``fault_servers.py``: healthy for the
first requests, so the fault hits mid-run, or from the first request (the preflight). The
scenarios run three at a time in one module fixture; each test then asserts on one outcome.

The exit-1 side of the line (an origin's own ``500``, an HTML page served as the grades) is
the broken-server catalogue's business: ``server-error`` and ``html-content-type`` there.
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from grades_kit.contract_tests.health import Budget, parse_retry_after, retry_wait_s
from tests.contract_tests import fault_servers as faults
from tests.contract_tests.catch_rate import GRADES_CONTRACT, TOKEN
from tests.contract_tests.fault_servers import FaultServer, Seen

REQUEST_TIMEOUT_S = 1.0
SMALL_RUN = ("--profile", "smoke", "--max-examples", "2", "--seed", "1")
HARD_TIMEOUT_S = 90
MID_RUN_BUDGET_S = 40.0
"""Below the fault server's 60 s hang limit (a run that waited for a hung answer fails), with
room for three runs at a time on a loaded 2-core machine (alone, a run takes 5 to 10 s)."""
PREFLIGHT_BUDGET_S = 12.0
MAX_DURATION_S = 12.0
RATE_LIMIT = 15
pytestmark = pytest.mark.xdist_group("faults")  # one worker makes the runs, three at a time


@dataclass(frozen=True)
class Scenario:
    name: str
    server: Callable[[], FaultServer]
    exit_code: int
    reason: str
    """Must appear in the one line on stderr."""
    budget_s: float
    args: tuple[str, ...] = ()


@dataclass(frozen=True)
class Run:
    code: int
    stdout: str
    stderr: str
    seconds: float
    server: FaultServer


def mid_run(fault: faults.Fault, **kwargs: object) -> Callable[[], FaultServer]:
    """Healthy for the two preflights and a few of the suite's requests, then ``fault``."""
    return lambda: FaultServer(fault, healthy=6, **kwargs)  # type: ignore[arg-type]


def at_preflight(fault: faults.Fault) -> Callable[[], FaultServer]:
    return lambda: FaultServer(fault, healthy=0)


ST = {"targets": faults.from_schemathesis}
SCENARIOS = (
    Scenario(
        "never-answers", mid_run(faults.never_answers), 2, "timed out after 1 s", MID_RUN_BUDGET_S
    ),
    Scenario(
        "slower-than-timeout-schemathesis",
        lambda: FaultServer(faults.answers_after(3), healthy=2, targets=faults.from_schemathesis),
        2,
        "instance unhealthy: 1 request timed out after 1 s (first: GET /api/so2/v1/grades",
        MID_RUN_BUDGET_S,
    ),
    Scenario("resets", mid_run(faults.resets), 2, "got a connection reset", MID_RUN_BUDGET_S),
    Scenario(
        "html-502-from-proxy", mid_run(faults.html_error_page()), 2, "HTTP 502", MID_RUN_BUDGET_S
    ),
    Scenario("garbage", mid_run(faults.garbage), 2, "an answer that is not HTTP", MID_RUN_BUDGET_S),
    Scenario(
        "goes-down",
        lambda: FaultServer(faults.goes_down, healthy=6, down_after_healthy=True),
        2,
        "got a refused connection (nothing listening: the instance is down)",
        MID_RUN_BUDGET_S,
    ),
    Scenario(
        "429-then-recovers-under-rate-limit",
        mid_run(faults.rate_limited(for_s=1.5), **ST),
        0,
        "",
        MID_RUN_BUDGET_S,
        ("--rate-limit", f"{RATE_LIMIT}/s"),
    ),
    Scenario(
        "two-workers-under-rate-limit",
        lambda: FaultServer(faults.garbage, healthy=10**6),  # never faulty: only pacing counts
        0,
        "",
        MID_RUN_BUDGET_S,
        ("--rate-limit", f"{RATE_LIMIT}/s", "--workers", "2"),
    ),
    Scenario(
        "429-persists",
        mid_run(faults.rate_limited()),
        2,
        "instance rate-limited: 1 request got HTTP 429 4 times in a row",
        MID_RUN_BUDGET_S,
    ),
    Scenario(
        "max-duration",
        lambda: FaultServer(faults.answers_after(0.8), healthy=2),  # a full run: over 50 s
        2,
        f"out of time: --max-duration of {MAX_DURATION_S:g} s reached",
        MAX_DURATION_S + 8,  # the budget starts in main(): interpreter start-up comes first
        ("--max-duration", str(MAX_DURATION_S)),
    ),
    Scenario(
        "preflight-never-answers",
        at_preflight(faults.never_answers),
        2,
        "instance unreachable: GET http",
        PREFLIGHT_BUDGET_S,
    ),
    Scenario("preflight-resets", at_preflight(faults.resets), 2, "connection reset", 12),
    Scenario("preflight-garbage", at_preflight(faults.garbage), 2, "not HTTP", 12),
    Scenario("preflight-html-502", at_preflight(faults.html_error_page()), 2, "HTTP 502", 12),
    Scenario(
        "preflight-429-persists",
        at_preflight(faults.rate_limited()),
        2,
        "instance rate-limited: GET http",
        PREFLIGHT_BUDGET_S,
    ),
)


def run(scenario: Scenario) -> Run:
    server = scenario.server()
    with server as url:
        started = time.perf_counter()
        done = subprocess.run(
            [GRADES_CONTRACT, "--base-url", url, "--token", TOKEN, *SMALL_RUN]
            + ["--request-timeout", str(REQUEST_TIMEOUT_S), *scenario.args],
            capture_output=True,
            text=True,
            timeout=HARD_TIMEOUT_S,
            check=False,
        )
        seconds = time.perf_counter() - started
    return Run(done.returncode, done.stdout, done.stderr, seconds, server)


@pytest.fixture(scope="module")
def runs() -> dict[str, Run]:
    with ThreadPoolExecutor(max_workers=3) as pool:
        return dict(zip((s.name for s in SCENARIOS), pool.map(run, SCENARIOS), strict=True))


@pytest.mark.slow
@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.name for s in SCENARIOS])
def test_fault_ends_in_time_with_its_exit_code_and_one_line(
    scenario: Scenario, runs: dict[str, Run]
) -> None:
    outcome = runs[scenario.name]
    assert outcome.code == scenario.exit_code, outcome.stderr + outcome.stdout[-3000:]
    if scenario.exit_code == 0:
        assert outcome.stderr == "", outcome.stderr
    else:
        assert outcome.stderr.startswith("grades-contract: "), outcome.stderr
        assert outcome.stderr.count("\n") == 1, outcome.stderr
        assert scenario.reason in outcome.stderr, outcome.stderr
    assert outcome.seconds < scenario.budget_s
    assert TOKEN not in outcome.stdout + outcome.stderr


@pytest.mark.slow
def test_429_waits_as_long_as_retry_after_asks(runs: dict[str, Run]) -> None:
    """The retry after each ``Retry-After: 1`` comes at least a second later, then passes."""
    seen = runs["429-then-recovers-under-rate-limit"].server.seen
    throttled = [i for i, s in enumerate(seen) if s.answer == "429"]
    assert throttled, "the fault was never hit"
    for index in throttled:
        retry = next(s for s in seen[index + 1 :] if s.line == seen[index].line)
        assert retry.at - seen[index].at >= 0.95
    assert seen[throttled[-1] + 1 :], "nothing was sent after the instance recovered"


def busiest_window(seen: list[Seen]) -> int:
    """The most requests the server saw within any 0.95 s (a window opening at each one)."""
    times = [s.at for s in seen]
    return max(sum(1 for t in times if start <= t < start + 0.95) for start in times)


@pytest.mark.slow
def test_rate_limit_holds_for_generated_and_own_requests(runs: dict[str, Run]) -> None:
    """No one-second window holds more than the limit (plus the two unpaced preflights).

    The same run as the 429 test: the retries after a ``Retry-After`` wait are paced too.
    """
    seen = runs["429-then-recovers-under-rate-limit"].server.seen
    assert len(seen) > 2 * RATE_LIMIT, "too few requests to say anything about the rate"
    assert busiest_window(seen) <= RATE_LIMIT + 2
    assert {"GET", "OPTIONS"} <= {s.line.split(" ")[0] for s in seen}


@pytest.mark.slow
def test_rate_limit_is_shared_by_the_workers(runs: dict[str, Run]) -> None:
    """With ``--workers 2`` each process paces itself at half the limit: the sum holds."""
    seen = runs["two-workers-under-rate-limit"].server.seen
    assert len(seen) > 2 * RATE_LIMIT, "too few requests to say anything about the rate"
    assert busiest_window(seen) <= RATE_LIMIT + 2  # the same slack as above


@pytest.mark.parametrize(
    ("value", "expected"),
    [("1", 1.0), ("120", 120.0), (" 0 ", 0.0), ("soon", None), ("-1", None), ("1.5", None)],
)
def test_retry_after_seconds(value: str, expected: float | None) -> None:
    assert parse_retry_after(value) == expected


def test_retry_after_http_date() -> None:
    when = format_datetime(datetime.now(UTC) + timedelta(seconds=30), usegmt=True)
    seconds = parse_retry_after(when)
    assert seconds is not None and 28 <= seconds <= 31


def test_retry_wait_is_capped_by_60_s_and_the_remaining_budget() -> None:
    assert retry_wait_s(429, "3600", Budget(1.0)) == 60.0
    assert retry_wait_s(429, None, Budget(1.0)) == 1.0
    assert retry_wait_s(503, None, Budget(1.0)) is None
    assert retry_wait_s(500, "1", Budget(1.0)) is None
    soon = Budget(1.0, deadline=time.monotonic() + 5, max_duration_s=10)
    wait = retry_wait_s(429, "3600", soon)
    assert wait is not None and wait <= 5
