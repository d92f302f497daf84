"""``grades-mock`` as a subprocess on a free loopback port, for tests, fuzzing and soaking.

Its stderr goes to a temporary file (a pipe nobody reads would fill and stall the server),
so a test can read what the server logged.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from grades_kit.mock_server.settings import SERVERS
from tests.serve_in_thread import eventually, free_port

CLI = str(Path(sys.executable).with_name("grades-mock"))
START_TIMEOUT_S = 15
STOP_TIMEOUT_S = 20


class MockStartError(RuntimeError):
    """The mock exited or never answered ``/healthz``; the message ends with its stderr."""


@dataclass
class MockProcess:
    """A started mock: its base URL, process and captured stderr."""

    process: subprocess.Popen[bytes]
    host: str
    port: int
    stderr_file: IO[bytes]
    engine: str
    """The ``--server`` engine it runs."""

    @property
    def base(self) -> str:
        return f"http://{self.host}:{self.port}"

    def stderr(self) -> str:
        self.stderr_file.flush()
        return Path(self.stderr_file.name).read_text(encoding="utf-8", errors="replace")

    def stderr_holding(self, *texts: str, timeout_s: float = 5.0) -> str:
        """The stderr once every one of ``texts`` is in it, or as it is after ``timeout_s``:
        each worker writes its access-log lines in batches, a few milliseconds after the
        answers, so one worker's line can appear before an earlier answer's of another."""
        eventually(lambda: all(text in self.stderr() for text in texts), timeout_s, 0.01)
        return self.stderr()


@contextmanager
def started_mock(*args: str) -> Iterator[MockProcess]:
    """Start ``grades-mock --port <free> *args``; SIGTERM it (then kill) on exit."""
    port = free_port()
    with tempfile.NamedTemporaryFile(prefix="grades-mock-", suffix=".log") as log:
        process = subprocess.Popen(
            [CLI, "--port", str(port), *args], stdout=subprocess.DEVNULL, stderr=log
        )
        engine = args[args.index("--server") + 1] if "--server" in args else SERVERS[0]
        mock = MockProcess(process, "127.0.0.1", port, log, engine)
        try:
            _wait_healthy(mock)
            yield mock
        finally:
            _stop(process)


def _wait_healthy(mock: MockProcess) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if mock.process.poll() is not None:
            raise MockStartError(f"grades-mock exited: {mock.stderr().strip()[-500:]}")
        try:
            with urllib.request.urlopen(f"{mock.base}/healthz", timeout=1):
                return
        except (urllib.error.URLError, OSError):
            time.sleep(0.1)
    raise MockStartError(f"grades-mock did not answer in {START_TIMEOUT_S} s")


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=STOP_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=STOP_TIMEOUT_S)
