"""How the mock scales with ``--generate N``: start-up, memory, filtered p99, the full dump.

Each size is started alone (start-up and memory are not shared with another start), then all
sizes stay up and the filtered-query loads alternate between them, round after round, so the
p99 ratio between 1k and 1M records is not a drift artefact. The filtered queries use the
courses and learners of the first records of the dump: group sizes are bounded by the
generator, so their answers are the same size at every N.
"""

from __future__ import annotations

import json
import re
import socket
import threading
import time
from typing import Any

from bench.compare import alternate, start_mock
from bench.loadgen import Request
from bench.plan import TOKEN, Plan, runner, summary
from bench.servers import HOST, BenchError, Server
from bench.workloads import bearer, target
from grades_kit.contract.loader import GRADES_PATH, Contract

SAMPLE_BYTES = 64 * 1024
KEYS_PER_FILTER = 8
MEMORY_POLL_S = 0.005
RECV_BYTES = 1 << 20
_FIELD = re.compile(rb'"(course_id|username)":"((?:[^"\\]|\\.)*)"')


def scaling(plan: Plan, contract: Contract) -> list[dict[str, Any]]:
    servers: list[Server] = []
    try:
        rows: list[dict[str, Any]] = []
        for n in plan.sizes:
            server = start_mock(plan, contract, ("--generate", str(n), "--seed", str(plan.seed)))
            servers.append(server)
            memory = {"pss_mb": round(server.pss_mb(), 1), "rss_mb": round(server.rss_mb(), 1)}
            rows.append({"n": n, "startup_s": round(server.startup_s, 3), **memory})
        targets = [(s.port, filtered_requests(s.port)) for s in servers]
        label = "filtered queries at " + "/".join(map(str, plan.sizes))
        totals, _ = alternate(plan, runner(plan), targets, plan.connections[0], label)
        for row, server, total in zip(rows, servers, totals, strict=True):
            row["filtered"] = summary(total)
            row["dump"] = dump(server)
        return rows
    finally:
        for server in servers:
            server.stop()


def filtered_requests(port: int) -> list[Request]:
    """By-course and by-learner queries for keys taken from the head of the unfiltered dump."""
    head = _read_head(port, SAMPLE_BYTES)
    keys: dict[bytes, list[str]] = {b"course_id": [], b"username": []}
    for match in _FIELD.finditer(head):
        found = keys[match.group(1)]
        value = json.loads(b'"' + match.group(2) + b'"')
        if value not in found and len(found) < KEYS_PER_FILTER:
            found.append(value)
    if not keys[b"course_id"] or not keys[b"username"]:
        raise BenchError(f"no records to sample on port {port}: is the store empty?")
    auth = (bearer(TOKEN),)
    return [
        Request(target({name.decode(): value}), auth)
        for pair in zip(keys[b"course_id"], keys[b"username"], strict=False)
        for name, value in zip(keys, pair, strict=True)
    ]


def dump(server: Server) -> dict[str, Any]:
    """Stream the unfiltered list once; time it and watch the server's memory meanwhile."""
    watcher = _PeakWatcher(server)
    watcher.start()
    started = time.perf_counter()
    received, first_byte = _read_all(server.port)
    elapsed = time.perf_counter() - started
    growth = watcher.stop()
    return {
        "seconds": round(elapsed, 3),
        "mb": round(received / 1e6, 1),
        "mb_per_s": round(received / 1e6 / elapsed, 1),
        "first_byte_ms": round(first_byte * 1000, 1),
        "peak_growth_mb": round(growth, 1),
    }


def _request_bytes(port: int) -> bytes:
    return (
        f"GET {GRADES_PATH} HTTP/1.1\r\nHost: {HOST}:{port}\r\n"
        f"Authorization: Bearer {TOKEN}\r\nConnection: close\r\n\r\n"
    ).encode()


def _read_head(port: int, limit: int) -> bytes:
    with socket.create_connection((HOST, port), timeout=30) as sock:
        sock.sendall(_request_bytes(port))
        data = b""
        while len(data) < limit:
            chunk = sock.recv(limit)
            if not chunk:
                break
            data += chunk
    return data


def _read_all(port: int) -> tuple[int, float]:
    """Body-and-head bytes of one unfiltered answer, and the time to its first byte."""
    buffer = bytearray(RECV_BYTES)
    total, first = 0, 0.0
    started = time.perf_counter()
    with socket.create_connection((HOST, port), timeout=60) as sock:
        sock.sendall(_request_bytes(port))
        while n := sock.recv_into(buffer):
            first = first or time.perf_counter() - started
            total += n
    return total, first


class _PeakWatcher:
    """Samples the server tree's resident memory in a thread; reports the peak growth."""

    def __init__(self, server: Server) -> None:
        self._server = server
        self._base = server.rss_mb()
        self._peak = self._base
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._poll, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def _poll(self) -> None:
        while not self._done.wait(MEMORY_POLL_S):
            self._peak = max(self._peak, self._server.rss_mb())

    def stop(self) -> float:
        self._done.set()
        self._thread.join()
        self._peak = max(self._peak, self._server.rss_mb())
        return self._peak - self._base
