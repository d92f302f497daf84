"""The served mock's access log: queued on the request path, written in batches that keep
the logging format and never split a line between two processes' writes."""

from __future__ import annotations

import asyncio
import io
import re
import select
import time

import pytest

from grades_kit.mock_server import access_log
from grades_kit.mock_server.access_log import QueuedLog

LINE = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} GET /x 200 0\.3ms")


class Recording(io.StringIO):
    def __init__(self) -> None:
        super().__init__()
        self.writes: list[str] = []

    def write(self, text: str) -> int:
        self.writes.append(text)
        return super().write(text)


def _entry() -> tuple[float, str, str, int, float]:
    return (time.time(), "GET", "/x", 200, 0.3)


def test_without_a_loop_each_line_is_written_at_once() -> None:
    stream = Recording()
    log = QueuedLog(stream)
    log.add(_entry())
    assert len(stream.writes) == 1 and LINE.fullmatch(stream.getvalue().strip())


def test_on_a_loop_an_idle_line_is_written_at_once_a_busy_one_in_a_batch(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Idle, a line is written at the next loop iteration; within FLUSH_AFTER_S of the last
    write, lines wait and go out together, in writes of at most PIPE_BUF bytes."""
    flush_after_s = 0.25  # longer than the shipped 20 ms: a loaded test machine may stall
    monkeypatch.setattr(access_log, "FLUSH_AFTER_S", flush_after_s)
    stream = Recording()
    log = QueuedLog(stream)

    async def answer() -> tuple[int, int, int]:
        log.attach(asyncio.get_running_loop())
        log.add(_entry())
        await asyncio.sleep(0)
        await asyncio.sleep(0)  # a call_later(0) runs within two iterations
        idle = len(stream.writes)
        for _ in range(999):
            log.add(_entry())
        await asyncio.sleep(0)
        await asyncio.sleep(0)
        busy = len(stream.writes)
        await asyncio.sleep(flush_after_s * 3)  # the batch's timer has fired
        return idle, busy, len(stream.writes)

    idle, busy, late = asyncio.run(answer())
    assert idle == 1 and busy == 1 and late > busy
    lines = stream.getvalue().splitlines()
    assert len(lines) == 1000 and all(LINE.fullmatch(line) for line in lines)
    assert 1 < len(stream.writes) < 50
    assert all(len(w.encode()) <= select.PIPE_BUF and w.endswith("\n") for w in stream.writes)
