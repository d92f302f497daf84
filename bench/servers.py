"""Start the servers under test on loopback, time them to their first 200, read their memory.

Each server runs in its own session (process group), so stopping it reaches the mock's worker
or Node's children too. Memory is read from ``/proc``: PSS (proportional set size) summed over
the process tree is the honest footprint of a pre-forking server, whose master and workers
share the record buffer's pages (summing RSS would count them twice).
"""

from __future__ import annotations

import http.client
import os
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from bench.loadgen import Request

HOST = "127.0.0.1"
READY_POLL_S = 0.02
STOP_GRACE_S = 10.0
ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = ROOT / ".venv" / "bin"
PRISM = ROOT / "bench" / "node_modules" / ".bin" / "prism"


class BenchError(Exception):
    """The benchmark cannot go on (a server did not start, a tool is missing); one line."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


@dataclass
class Server:
    """A running server: where it listens, how long it took to answer, its process tree."""

    name: str
    port: int
    process: subprocess.Popen[bytes]
    log: IO[bytes]
    startup_s: float = 0.0

    def pids(self) -> list[int]:
        """The server's process and all its descendants (the mock's workers, Node's children)."""
        found, todo = [], [self.process.pid]
        while todo:
            pid = todo.pop()
            found.append(pid)
            todo += _children(pid)
        return found

    def pss_mb(self) -> float:
        return sum(_proc_kb(pid, "smaps_rollup", "Pss:") for pid in self.pids()) / 1024

    def rss_mb(self) -> float:
        return sum(_proc_kb(pid, "status", "VmRSS:") for pid in self.pids()) / 1024

    def log_tail(self, lines: int = 3) -> str:
        self.log.flush()
        text = Path(self.log.name).read_text(encoding="utf-8", errors="replace")
        return " | ".join(text.strip().splitlines()[-lines:])

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(STOP_GRACE_S)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self.log.close()
        Path(self.log.name).unlink(missing_ok=True)


def start(
    name: str,
    argv: Sequence[str],
    port: int,
    ready: Request,
    timeout_s: float,
    env: dict[str, str] | None = None,
) -> Server:
    """Run ``argv``; return once ``ready`` is answered 200 (its time is ``startup_s``)."""
    log = tempfile.NamedTemporaryFile(prefix=f"bench-{name}-", suffix=".log", delete=False)  # noqa: SIM115
    started = time.perf_counter()
    try:
        process = subprocess.Popen(
            list(argv), stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            start_new_session=True, cwd=ROOT, env=env,
        )  # fmt: skip
    except OSError as exc:
        log.close()
        raise BenchError(f"cannot run {argv[0]}: {exc.strerror or exc}") from exc
    server = Server(name, port, process, log)
    try:
        _wait_ready(server, ready, started + timeout_s)
    except BaseException:
        server.stop()
        raise
    server.startup_s = time.perf_counter() - started
    return server


def mock_argv(port: int, token: str, extra: Sequence[str] = ()) -> list[str]:
    return [str(VENV_BIN / "grades-mock"), "--port", str(port), "--token", token, *extra]


def prism_argv(port: int, spec: Path) -> list[str]:
    """Prism with logging off (``-v silent``: its logging halves its throughput)."""
    if not PRISM.exists():
        raise BenchError(
            f"Prism is not installed at {PRISM}: run `make bench` (npm ci --prefix bench)"
        )
    return [str(PRISM), "mock", str(spec), "-h", HOST, "-p", str(port), "-v", "silent"]


def _wait_ready(server: Server, ready: Request, deadline: float) -> None:
    last = "no answer"
    while time.perf_counter() < deadline:
        if server.process.poll() is not None:
            raise BenchError(
                f"{server.name} exited ({server.process.returncode}): {server.log_tail()}"
            )
        status = _status(server.port, ready)
        if status == 200:
            return
        last = f"status {status}" if status else last
        time.sleep(READY_POLL_S)
    raise BenchError(f"{server.name} did not answer 200 in time ({last}): {server.log_tail()}")


def _status(port: int, request: Request) -> int:
    connection = http.client.HTTPConnection(HOST, port, timeout=5)
    try:
        connection.request("GET", request.target, headers=dict(request.headers))
        response = connection.getresponse()
        response.read(1)  # the head is enough: an unfiltered list can be huge
        return response.status
    except OSError:
        return 0
    finally:
        connection.close()


def _children(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            continue
    return found


def _proc_kb(pid: int, name: str, key: str) -> int:
    try:
        for line in Path(f"/proc/{pid}/{name}").read_text().splitlines():
            if line.startswith(key):
                return int(line.split()[1])
    except OSError:
        pass
    return 0
