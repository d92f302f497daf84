"""A closed-loop HTTP/1.1 load generator on raw asyncio protocols (wrk's model, in Python).

``C`` keep-alive connections each send a request, read the whole answer, and send the next one
at once, until the deadline; every answer's latency is recorded (no sampling, no coordinated
omission within the loop). Why not httpx/aiohttp: their per-request overhead (header objects,
decoding) is 5-10x this one's, and a generator that costs as much CPU as the server under test
measures itself. The request bytes are built once; a response is parsed only as far as its
status line and ``Content-Length``, and body bytes are counted, never copied. The generator's
own CPU time is measured on every run (:attr:`LoadResult.client_cpu_us`), so a reader can see
how far it is from being the bottleneck.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

HEADER_END = b"\r\n\r\n"
MAX_HEAD_BYTES = 64 * 1024
GRACE_S = 10.0
"""After the deadline, answers still outstanding get this long before they count as errors."""


@dataclass(frozen=True)
class Request:
    """One request of a workload: a target (path and query) and its headers."""

    target: str
    headers: tuple[tuple[str, str], ...] = ()
    expect_status: int = 200

    def wire(self, host: str, port: int) -> bytes:
        lines = [f"GET {self.target} HTTP/1.1", f"Host: {host}:{port}"]
        lines += [f"{name}: {value}" for name, value in self.headers]
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


@dataclass
class LoadResult:
    """What one load run measured; latencies are in nanoseconds, unsorted."""

    seconds: float
    latencies_ns: list[int] = field(default_factory=list)
    errors: int = 0
    body_bytes: int = 0
    client_cpu_s: float = 0.0
    first_error: str = ""

    @property
    def requests(self) -> int:
        return len(self.latencies_ns)

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def client_cpu_us(self) -> float:
        """Generator CPU per request: 1e6 / this is its ceiling on one core."""
        return self.client_cpu_s * 1e6 / self.requests if self.requests else 0.0

    def merge(self, other: LoadResult) -> None:
        self.seconds += other.seconds
        self.latencies_ns += other.latencies_ns
        self.errors += other.errors
        self.body_bytes += other.body_bytes
        self.client_cpu_s += other.client_cpu_s
        self.first_error = self.first_error or other.first_error


def percentile_ms(latencies_ns: Sequence[int], q: float) -> float:
    """The nearest-rank ``q``-quantile (0 < q <= 1), in milliseconds."""
    if not latencies_ns:
        return float("nan")
    ordered = sorted(latencies_ns)
    rank = max(1, min(len(ordered), int(q * len(ordered) + 0.999999)))
    return ordered[rank - 1] / 1e6


class _Connection(asyncio.Protocol):
    """One keep-alive connection cycling through the workload's requests."""

    def __init__(self, run: _Run, offset: int) -> None:
        self._run = run
        self._next = offset
        self._head = b""
        self._remaining = -1  # body bytes still expected; -1: reading the head; -2: closing
        self._status = 0
        self._sent_ns = 0
        self._expect = 200
        self._transport: asyncio.Transport | None = None
        self._close_after = False
        self.reopen = False
        """The server asked to close (``Connection: close``): the caller opens a new one."""
        self.closed = asyncio.get_running_loop().create_future()

    @property
    def next_offset(self) -> int:
        return self._next

    def abort(self) -> None:
        """Give up on an answer that never came (the run's grace period is over)."""
        if self._transport is not None and self._remaining != -2:
            self._fail("no complete answer within the grace period")

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self._transport = transport
        self._send()

    def connection_lost(self, exc: Exception | None) -> None:
        if self._remaining != -2 and time.perf_counter_ns() < self._run.deadline_ns:
            self._record_error(f"connection closed by the server ({exc or 'EOF'})")
        if not self.closed.done():
            self.closed.set_result(None)

    def _send(self) -> None:
        assert self._transport is not None
        if time.perf_counter_ns() >= self._run.deadline_ns:
            self._remaining = -2
            self._transport.close()
            return
        request = self._run.requests[self._next % len(self._run.requests)]
        self._next += 1
        self._expect = request.expect_status
        self._head, self._remaining = b"", -1
        self._sent_ns = time.perf_counter_ns()
        self._transport.write(self._run.wires[request])

    def data_received(self, data: bytes) -> None:
        if self._remaining < 0:
            self._head += data
            end = self._head.find(HEADER_END)
            if end < 0:
                if len(self._head) > MAX_HEAD_BYTES:
                    self._fail("response head over 64 KiB")
                return
            data = self._head[end + 4 :]
            if not self._parse_head(self._head[:end]):
                return
        if len(data) > self._remaining:
            self._fail("more bytes than Content-Length (pipelining is not used)")
            return
        self._remaining -= len(data)
        self._run.result.body_bytes += len(data)
        if self._remaining == 0:
            self._finish()

    def _parse_head(self, head: bytes) -> bool:
        try:
            self._status = int(head[9:12])
            lowered = head.lower()
            start = lowered.index(b"\r\ncontent-length:") + 17
            stop = lowered.find(b"\r\n", start)
            self._remaining = int(lowered[start : stop if stop > 0 else None])
            self._close_after = b"\r\nconnection: close" in lowered
        except ValueError:
            self._fail(f"unparsable response head: {head[:80]!r}")
            return False
        return True

    def _finish(self) -> None:
        result = self._run.result
        result.latencies_ns.append(time.perf_counter_ns() - self._sent_ns)
        if self._status != self._expect:
            self._record_error(f"status {self._status}, expected {self._expect}")
        if self._close_after:
            assert self._transport is not None
            self._remaining, self.reopen = -2, True
            self._transport.close()
            return
        self._send()

    def _fail(self, reason: str) -> None:
        self._record_error(reason)
        self._remaining = -2  # closed on purpose: connection_lost must not count it again
        assert self._transport is not None
        self._transport.close()

    def _record_error(self, reason: str) -> None:
        self._run.result.errors += 1
        self._run.result.first_error = self._run.result.first_error or reason


@dataclass
class _Run:
    requests: Sequence[Request]
    wires: dict[Request, bytes]
    deadline_ns: int
    result: LoadResult


async def _load(
    host: str, port: int, requests: Sequence[Request], connections: int, seconds: float
) -> LoadResult:
    loop = asyncio.get_running_loop()
    wires = {r: r.wire(host, port) for r in requests}
    run = _Run(requests, wires, 0, LoadResult(seconds=0.0))
    live: set[_Connection] = set()
    cpu0 = time.process_time()
    start = time.perf_counter_ns()
    run.deadline_ns = start + int(seconds * 1e9)

    async def slot(offset: int) -> None:
        """One client: a connection, reopened whenever the server closes it politely."""
        while True:
            proto = _Connection(run, offset)
            live.add(proto)
            await loop.create_connection(lambda p=proto: p, host, port)  # type: ignore[misc]
            await proto.closed
            live.discard(proto)
            if not proto.reopen or time.perf_counter_ns() >= run.deadline_ns:
                return
            offset = proto.next_offset

    tasks = [asyncio.ensure_future(slot(offset)) for offset in range(connections)]
    _, pending = await asyncio.wait(tasks, timeout=seconds + GRACE_S)
    for proto in list(live):
        proto.abort()
    for task in pending:
        task.cancel()
    for task in tasks:
        if not task.cancelled() and task.done() and task.exception():
            raise task.exception()  # type: ignore[misc]
    run.result.seconds = (time.perf_counter_ns() - start) / 1e9
    run.result.client_cpu_s = time.process_time() - cpu0
    return run.result


def run_load(
    host: str, port: int, requests: Sequence[Request], connections: int, seconds: float
) -> LoadResult:
    """Drive ``connections`` closed-loop connections for ``seconds``; requests are cycled."""
    if not requests or connections < 1 or seconds <= 0:
        raise ValueError("need at least one request, one connection and a positive duration")
    return asyncio.run(_load(host, port, requests, connections, seconds))
