"""Slow answers hold no worker: with delayed requests in flight, other requests answer at once.

Against the real default engine (granian, default settings), as a frontend meets it: a page
testing its spinner keeps slow requests pending while the rest of the page loads. The
bounds are loose on purpose (a fast answer under 1 s beside 3 s delays): this checks the
design, not the speed; ``make bench`` measures the tail.
"""

from __future__ import annotations

import threading
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest

from grades_kit.contract.loader import GRADES_PATH
from tests.conftest import AUTH
from tests.hardening.mock_process import started_mock

pytestmark = pytest.mark.slow
SLOW = 4
"""More slow answers in flight than the engine has Python threads (granian's default: 2)."""
DELAY_MS = 3000
FAST_BOUND_S = 1.0


def _get(url: str, headers: dict[str, str]) -> tuple[int, float]:
    started = time.perf_counter()
    request = urllib.request.Request(url, headers=headers)
    with urllib.request.urlopen(request, timeout=30) as response:
        response.read()
        return response.status, time.perf_counter() - started


def test_slow_answers_in_flight_do_not_stall_a_fast_one() -> None:
    with started_mock() as mock:
        url = mock.base + GRADES_PATH
        slow_headers = {**AUTH, "Prefer": f"delay={DELAY_MS}"}
        with ThreadPoolExecutor(SLOW) as pool:
            slow = [pool.submit(_get, url, slow_headers) for _ in range(SLOW)]
            time.sleep(0.5)  # every slow request is now waiting on the server
            assert not any(s.done() for s in slow)
            fast = [_get(f"{url}?username=johndoe", AUTH) for _ in range(3)]
            health = _get(mock.base + "/healthz", {})  # Flask's branch too
            results = [s.result() for s in slow]
    assert all(status == 200 for status, _ in fast + [health] + results)
    assert max(seconds for _, seconds in fast + [health]) < FAST_BOUND_S, fast
    assert all(seconds >= DELAY_MS / 1000 for _, seconds in results)


def test_many_slow_answers_are_served_together_not_in_turns() -> None:
    """Many more slow answers than threads: all of them are served at once, not in turns."""
    count = 12
    with started_mock() as mock:
        headers = {**AUTH, "Prefer": "delay=1000"}
        started = time.perf_counter()
        threads = [
            threading.Thread(target=_get, args=(mock.base + GRADES_PATH, headers))
            for _ in range(count)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
        elapsed = time.perf_counter() - started
    assert elapsed < 2.5, f"{count} answers of 1 s took {elapsed:.1f} s: they were queued"
