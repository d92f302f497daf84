"""Honest budgets, visible throttling: ``--max-time`` is the whole run's budget, a run it cut
is no verdict unless ``--allow-partial``, and every 429 waited out is counted and recorded.

Each test runs the real console script against the mock behind a counting middleware, so
the summary's numbers are checked against what the server itself received.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from grades_kit.mock_server import Settings, create_app
from tests.contract_tests.test_cli_surprises import SENT
from tests.contract_tests.test_verdict import run
from tests.serve_in_thread import serve_in_thread

MAX_TIME_S = 15.0
REQUEST_TIMEOUT_S = 2.0
STARTUP_S = 15.0
"""The interpreter's start before the budget counts, and pytest's teardown after it, on a
busy 2-core machine (the budget itself is checked on the server's clock)."""


@dataclass
class Counting:
    """The mock, answering after ``delay_s``; every ``throttle_every``-th request a 429."""

    delay_s: float = 0.0
    throttle_every: int = 0
    arrivals: list[float] = field(default_factory=list)
    throttled: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self.mock = create_app(Settings())

    def __call__(self, environ: dict[str, Any], start: Callable[..., Any]) -> Iterable[bytes]:
        with self._lock:
            self.arrivals.append(time.monotonic())
            throttle = self.throttle_every and len(self.arrivals) % self.throttle_every == 0
            self.throttled += bool(throttle)
        if throttle:
            start("429 Too Many Requests", [("Retry-After", "1"), ("Content-Length", "0")])
            return [b""]
        time.sleep(self.delay_s)
        return self.mock(environ, start)


@pytest.fixture()
def slow() -> Iterator[tuple[str, Counting]]:
    server = Counting(delay_s=0.02)
    with serve_in_thread(server) as url:
        yield url, server


@pytest.mark.slow
@pytest.mark.parametrize("allow_partial", [False, True])
def test_max_time_is_the_whole_runs_budget(
    slow: tuple[str, Counting], tmp_path: Path, allow_partial: bool
) -> None:
    url, server = slow
    args = ["--profile", "fuzz", "--max-time", f"{MAX_TIME_S:g}"]
    args += ["--request-timeout", f"{REQUEST_TIMEOUT_S:g}", "--report-dir", str(tmp_path)]
    started = time.monotonic()
    done = run(url, *args, *(["--allow-partial"] if allow_partial else []), cwd=tmp_path)
    ended = time.monotonic()
    output = done.stdout + done.stderr
    # No request starts after the budget (the first one, the preflight, came after the start).
    assert server.arrivals[-1] - server.arrivals[0] <= MAX_TIME_S, output
    assert ended - started <= MAX_TIME_S + REQUEST_TIMEOUT_S + STARTUP_S, output
    sent = SENT.search(done.stdout)
    assert sent is not None and int(sent.group(1)) == len(server.arrivals), output
    counts = re.search(r"(\d+) examples generated, (\d+) sent, (\d+) cut", done.stdout)
    assert counts is not None, output
    generated, sent_examples, cut = map(int, counts.groups())
    assert generated == sent_examples + cut, output
    assert "skipped" in done.stdout  # 2,000 examples and 200 per property cannot fit
    if allow_partial:
        assert done.returncode == 0, output
    else:
        assert done.returncode == 2, output
        last = done.stderr.splitlines()[-1]
        assert last.startswith("grades-contract: no verdict: --max-time of 15 s reached"), last
        assert "--allow-partial" in last


@pytest.mark.slow
def test_throttling_is_counted_waited_out_and_recorded(tmp_path: Path) -> None:
    server = Counting(throttle_every=25)
    with serve_in_thread(server) as url:
        done = run(url, "--profile", "smoke", "--seed", "1", "--report-dir", str(tmp_path))
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    assert server.throttled >= 2, output
    line = re.search(r"throttled: (\d+) answer\(s\) 429/503 with Retry-After, ([\d.]+) s", output)
    assert line is not None, output
    assert int(line.group(1)) == server.throttled
    assert server.throttled * 0.9 <= float(line.group(2)) <= server.throttled * 1.5
    sent = SENT.search(done.stdout)
    assert sent is not None and int(sent.group(1)) == len(server.arrivals)
    entries = json.loads((tmp_path / "traffic.har").read_text())["log"]["entries"]
    throttled = [e for e in entries if e["response"]["status"] == 429]
    assert len(throttled) == server.throttled  # the preflight is never the 25th request
    retry_after = [h for e in throttled for h in e["response"]["headers"]]
    assert {"name": "Retry-After", "value": "1"} in retry_after
    assert sum(e["timings"]["blocked"] >= 900 for e in entries) == server.throttled
