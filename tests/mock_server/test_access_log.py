"""The served mock's access log: queued on the request path, written in batches that keep
the logging format and never split a line between two processes' writes."""

from __future__ import annotations

import asyncio
import io
import re
import select
import time

from grades_kit.mock_server.access_log import FLUSH_AFTER_S, QueuedLog

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


def test_on_a_loop_a_batch_is_written_after_the_interval_in_pipe_sized_writes() -> None:
    stream = Recording()
    log = QueuedLog(stream)

    async def answer_many() -> tuple[int, int]:
        log.attach(asyncio.get_running_loop())
        for _ in range(500):
            log.add(_entry())
        await asyncio.sleep(0)  # a loop iteration alone does not write the batch
        for _ in range(500):
            log.add(_entry())
        early = len(stream.writes)
        await asyncio.sleep(FLUSH_AFTER_S * 3)  # the timer has fired
        return early, len(stream.writes)

    early, late = asyncio.run(answer_many())
    assert early == 0 and late > 0
    lines = stream.getvalue().splitlines()
    assert len(lines) == 1000 and all(LINE.fullmatch(line) for line in lines)
    assert 1 < len(stream.writes) < 50
    assert all(len(w.encode()) <= select.PIPE_BUF and w.endswith("\n") for w in stream.writes)
