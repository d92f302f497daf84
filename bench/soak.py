"""Soak the mock: ``C`` keep-alive connections for ``S`` seconds, mixed requests, RSS watched.

Usage: ``python -m bench.soak [--seconds 60] [--connections 128]``. Starts ``grades-mock`` on
a free loopback port, drives it with :func:`bench.loadgen.run_load` (closed loop; an answer
with another status than expected counts as an error, as does a dropped connection), and
samples the resident memory of every server process (master and workers, from ``/proc``)
twice a second. PASS needs zero errors and RSS growth under 5 % from the first to the last
``WINDOW_S`` seconds. Linux only (``/proc``); loopback only; bounded by ``--seconds``.
"""

from __future__ import annotations

import argparse
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from bench.loadgen import LoadResult, Request, percentile_ms, run_load
from grades_kit.contract.loader import GRADES_PATH, load_contract

HOST = "127.0.0.1"
TOKEN = "local-dev-token"
"""The mock's default token."""
WINDOW_S = 10.0
"""RSS is compared between the first and the last this-many seconds."""
MAX_GROWTH_PCT = 5.0
SAMPLE_EVERY_S = 0.5
MOCK = str(Path(sys.executable).with_name("grades-mock"))


@dataclass
class RssSamples:
    """(seconds since start, summed RSS in KiB) of the server's process tree."""

    points: list[tuple[float, int]] = field(default_factory=list)

    def mean_kib(self, start: float, stop: float) -> float:
        window = [kib for t, kib in self.points if start <= t < stop]
        return statistics.fmean(window) if window else float("nan")


def workload() -> list[Request]:
    """Filtered (the spec's example queries), unfiltered, and unauthenticated requests."""
    auth = (("Authorization", f"Bearer {TOKEN}"),)
    requests = []
    for query in load_contract().example_queries().values():
        target = GRADES_PATH + (f"?{urllib.parse.urlencode(query)}" if query else "")
        requests.append(Request(target, auth, 200))
    requests.append(Request(GRADES_PATH + "?username=johndoe", (), 401))
    requests.append(Request(GRADES_PATH, (("Authorization", "Bearer wrong"),), 401))
    return requests


def tree_rss_kib(root: int) -> int:
    """Summed VmRSS of ``root`` and its descendants (the server's master and workers)."""
    total, pending = 0, [root]
    while pending:
        pid = pending.pop()
        try:
            status = Path(f"/proc/{pid}/status").read_text()
            children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        except OSError:
            continue  # exited meanwhile
        total += next(
            (int(ln.split()[1]) for ln in status.splitlines() if ln.startswith("VmRSS:")), 0
        )
        pending += [int(c) for c in children]
    return total


def sample_rss(root: int, samples: RssSamples, stop: threading.Event) -> None:
    start = time.monotonic()
    while not stop.wait(SAMPLE_EVERY_S):
        samples.points.append((time.monotonic() - start, tree_rss_kib(root)))


@contextmanager
def started_mock() -> Iterator[tuple[int, int]]:
    """``grades-mock`` on a free port: yields (pid, port); SIGTERM on exit."""
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        port = int(probe.getsockname()[1])
    process = subprocess.Popen(
        [MOCK, "--port", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        _wait_healthy(process, port)
        yield process.pid, port
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def _wait_healthy(process: subprocess.Popen[bytes], port: int) -> None:
    for _ in range(150):  # bounded: 15 s
        if process.poll() is not None:
            raise SystemExit("soak: error: grades-mock exited before answering")
        try:
            with urllib.request.urlopen(f"http://{HOST}:{port}/healthz", timeout=1):
                return
        except (urllib.error.URLError, OSError):
            time.sleep(0.1)
    raise SystemExit("soak: error: grades-mock did not answer in 15 s")


def soak(seconds: float, connections: int) -> tuple[LoadResult, RssSamples]:
    samples, stop = RssSamples(), threading.Event()
    with started_mock() as (pid, port):
        sampler = threading.Thread(target=sample_rss, args=(pid, samples, stop), daemon=True)
        sampler.start()
        try:
            result = run_load(HOST, port, workload(), connections, seconds)
        finally:
            stop.set()
            sampler.join(timeout=5)
    return result, samples


def report(result: LoadResult, samples: RssSamples, seconds: float, connections: int) -> bool:
    """Print the table; True when every target is met."""
    window = min(WINDOW_S, seconds / 3)
    first = samples.mean_kib(0, window)
    last = samples.mean_kib(seconds - window, seconds + 1)
    growth = (last - first) / first * 100
    ok = result.errors == 0 and result.requests > 0 and growth < MAX_GROWTH_PCT
    rows = [
        ("duration", f"{result.seconds:.1f} s at {connections} connections"),
        ("requests", f"{result.requests} ({result.rps:.0f}/s)"),
        ("latency p50 / p99", f"{percentile_ms(result.latencies_ns, 0.5):.2f} / "
                              f"{percentile_ms(result.latencies_ns, 0.99):.2f} ms"),
        ("errors", f"{result.errors} (transport or unexpected status) {result.first_error}"),
        (f"RSS first {window:.0f} s", f"{first / 1024:.1f} MiB"),
        (f"RSS last {window:.0f} s", f"{last / 1024:.1f} MiB"),
        ("RSS growth", f"{growth:+.2f} % (target < {MAX_GROWTH_PCT:.0f} %)"),
        ("result", "PASS" if ok else "MISS"),
    ]  # fmt: skip
    for name, value in rows:
        print(f"{name:<20} {value}")
    return ok


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="soak", description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--connections", type=int, default=128)
    args = parser.parse_args(argv)
    if not 3 <= args.seconds <= 3600 or not 1 <= args.connections <= 1024:
        parser.error("--seconds must be in 3..3600 and --connections in 1..1024")
    if not Path("/proc/self/status").exists():
        parser.error("needs Linux /proc to sample the server's memory")
    result, samples = soak(args.seconds, args.connections)
    return 0 if report(result, samples, args.seconds, args.connections) else 1


if __name__ == "__main__":
    sys.exit(main())
