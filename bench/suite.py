"""Contract-suite speed: the ``ci`` profile's wall time against a fresh mock.

Its work is counted on the server side, as the requests the mock logged during the run.
(Earlier runs also raced the ``fuzz`` profile against ``st run`` in requests per second;
the two tools do not generate the same test cases for the same phases, so that ratio did
not compare like with like, and it was dropped: ``docs/benchmarks.md``.)
"""

from __future__ import annotations

import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.compare import start_mock
from bench.plan import TOKEN, Plan
from bench.servers import HOST, VENV_BIN, Server
from grades_kit.contract.loader import Contract

SUITE_TIMEOUT_S = 900
_ACCESS_LINE = re.compile(rb" [A-Z]+ /\S* \d{3} [0-9.]+ms$", re.MULTILINE)


def suite_speed(plan: Plan, contract: Contract) -> dict[str, Any]:
    server = start_mock(plan, contract)  # its access log (on by default) counts the requests
    try:
        with tempfile.TemporaryDirectory(prefix="bench-suite-") as scratch:
            url = f"http://{HOST}:{server.port}"
            argv = [str(VENV_BIN / "grades-contract"), "--base-url", url, "--token", TOKEN,
                    "--profile", "ci"]  # fmt: skip
            return {"ci": _timed(server, argv, Path(scratch), "grades-contract --profile ci")}
    finally:
        server.stop()


def _timed(server: Server, argv: list[str], cwd: Path, label: str) -> dict[str, Any]:
    """Run one suite; its wall time, exit code and the requests the mock served meanwhile."""
    before = _served(server)
    started = time.perf_counter()
    done = subprocess.run(argv, cwd=cwd, capture_output=True, timeout=SUITE_TIMEOUT_S, check=False)
    seconds = time.perf_counter() - started
    time.sleep(0.2)  # let the last access-log lines reach the file
    requests = _served(server) - before
    print(f"  {label}: {seconds:.1f} s, {requests} requests, exit {done.returncode}",
          file=sys.stderr, flush=True)  # fmt: skip
    return {"seconds": round(seconds, 2), "requests": requests, "exit_code": done.returncode}


def _served(server: Server) -> int:
    server.log.flush()
    return len(_ACCESS_LINE.findall(Path(server.log.name).read_bytes()))
