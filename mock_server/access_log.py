"""The access log: one line per request, whichever branch of the pipeline answered it.

Method, path, status and time only: never the query, a header or a body, so no token can
reach a log.

Cheap on the request path: a served mock (:meth:`AccessLog.write_to`, called by the CLI)
queues each answered request as a tuple and writes the queue in batches. Under granian the
batch is written by a callback on the worker's event loop: at the next loop iteration when
the last write is :data:`FLUSH_AFTER_S` old or older (an idle mock writes each line as it
answers), else when it gets that old. Under load a batch holds a hundred lines or more, and
a person reading the log sees each line within 20 ms (each worker batches its own lines, so
two workers' lines can arrive up to that much out of order). Through ``logging`` a line cost
about 12 us of the request's time plus a ``write`` of its own, a third of a filtered
request; a batch written at every event-loop iteration still cost 7 % of the requests/s
under load (``docs/benchmarks.md``). Without an event loop (gunicorn's threads) each line is
written at once. Until then (the tests, a library user) lines go to the
``grades_mock.access`` logger.
"""

from __future__ import annotations

import asyncio
import logging
import select
import threading
import time
from collections import deque
from typing import TextIO

from werkzeug.wrappers import Request

from grades_kit.mock_server.answer import Answer

ACCESS_LOGGER = "grades_mock.access"
LOGGER = logging.getLogger(ACCESS_LOGGER)
MAX_QUEUED = 100_000
"""Lines kept at most between two writes (a bound, never reached in a flush interval)."""
FLUSH_AFTER_S = 0.02
"""The least time between two batch writes (a line waits at most this long)."""

Entry = tuple[float, str, str, int, float]
"""Wall-clock time answered, method, path, status, milliseconds taken."""


class QueuedLog:
    """The served mock's access log: queued on the request path, written in batches."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self._queue: deque[Entry] = deque(maxlen=MAX_QUEUED)
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._loop_thread = -1
        self._scheduled = False
        self._written = 0.0
        """``time.monotonic()`` of the last batch write."""
        self._stamp: tuple[int, str] = (-1, "")

    def attach(self, loop: asyncio.AbstractEventLoop) -> None:
        """Write batches from ``loop`` (granian's worker loop; called from its thread)."""
        self._loop, self._loop_thread = loop, threading.get_ident()

    def add(self, entry: Entry) -> None:
        self._queue.append(entry)
        loop = self._loop
        if loop is None:
            self.flush()
        elif not self._scheduled:
            self._scheduled = True
            wait = max(0.0, self._written + FLUSH_AFTER_S - time.monotonic())
            if threading.get_ident() == self._loop_thread:
                loop.call_later(wait, self._scheduled_flush)
            else:  # Flask's branch answers on a pool thread
                loop.call_soon_threadsafe(loop.call_later, wait, self._scheduled_flush)

    def _scheduled_flush(self) -> None:
        self._scheduled = False
        self._written = time.monotonic()
        self.flush()

    def flush(self) -> None:
        """Write every queued line (the logging format: asctime, message), in writes of at
        most ``PIPE_BUF`` bytes: on a pipe each is atomic, so the lines of several worker
        processes never interleave mid-line."""
        pieces: list[str] = []
        piece: list[str] = []
        size = 0
        while self._queue:
            answered, method, path, status, ms = self._queue.popleft()
            line = f"{self._asctime(answered)} {method} {path} {status} {ms:.1f}ms\n"
            length = len(line.encode())
            if size + length > select.PIPE_BUF and piece:
                pieces.append("".join(piece))
                piece, size = [], 0
            piece.append(line)
            size += length
        if piece:
            pieces.append("".join(piece))
        with self._lock:
            try:
                for text in pieces:
                    self._stream.write(text)
                    self._stream.flush()
            except (OSError, ValueError):  # stderr closed: nothing to log to
                pass

    def _asctime(self, answered: float) -> str:
        """``logging``'s default ``asctime`` (``2026-11-29 13:36:55,216``), cached per second."""
        second = int(answered)
        if self._stamp[0] != second:
            self._stamp = (second, time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(second)))
        return f"{self._stamp[1]},{int((answered - second) * 1000):03d}"


class AccessLog:
    """One app's access log, an after-hook of its pipeline (so of both branches).

    Through ``logging`` (tests, an embedding app) until :meth:`write_to` gives it a stream
    (the CLI: stderr); then queued on the request path and written in batches by
    :class:`QueuedLog`. Owned by the app, so no process-wide switch outlives it.
    """

    def __init__(self) -> None:
        self._queued: QueuedLog | None = None

    def write_to(self, stream: TextIO) -> None:
        """Serve the lines through a :class:`QueuedLog` on ``stream``."""
        self._queued = QueuedLog(stream)

    def attach(self, loop: asyncio.AbstractEventLoop) -> None:
        """Batch the lines on ``loop`` (a granian worker, as it starts)."""
        if self._queued is not None:
            self._queued.attach(loop)

    def flush(self) -> None:
        """Write any line still queued (a granian worker, as it stops)."""
        if self._queued is not None:
            self._queued.flush()

    def __call__(self, request: Request, answer: Answer, started: float) -> None:
        """Log one answered request; ``started`` is its ``time.perf_counter()`` at arrival."""
        if self._queued is not None:
            elapsed_ms = (time.perf_counter() - started) * 1000
            self._queued.add((time.time(), request.method, request.path, answer.status,
                              elapsed_ms))  # fmt: skip
        elif LOGGER.isEnabledFor(logging.INFO):  # skip the formatting when nobody listens
            elapsed_ms = (time.perf_counter() - started) * 1000
            LOGGER.info("%s %s %d %.1fms", request.method, request.path,
                        answer.status, elapsed_ms)  # fmt: skip
