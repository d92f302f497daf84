"""Contract-suite speed: the ``ci`` profile's wall time, and ``fuzz`` against ``st run``.

Both fuzzers get the same seed, example count, phases and traffic recording (the fuzz profile
always writes a VCR cassette, so ``st run`` writes one too), against the same running mock.
Their work is counted on the server side, as the requests the mock logged during each run: a
number neither tool reports about itself, so the two rates are comparable.
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
from spec.loader import Contract

SUITE_TIMEOUT_S = 900
FUZZ_PHASES = "examples,coverage,fuzzing"
MAX_ROUNDS = 2
"""A B A B: each fuzz run takes tens of seconds, two rounds are enough to cancel drift."""
_ACCESS_LINE = re.compile(rb" [A-Z]+ /\S* \d{3} [0-9.]+ms$", re.MULTILINE)


def suite_speed(plan: Plan, contract: Contract) -> dict[str, Any]:
    server = start_mock(plan, contract, access_log=True)  # it counts the requests
    try:
        return _runs(plan, server)
    finally:
        server.stop()


def _runs(plan: Plan, server: Server) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="bench-suite-") as scratch:
        url, cwd = f"http://{HOST}:{server.port}", Path(scratch)
        ci = _timed(server, _contract_argv(url, "ci"), cwd, "grades-contract --profile ci")
        fuzz: dict[str, Any] = {}
        st: dict[str, Any] = {}
        for round_no in range(min(plan.rounds, MAX_ROUNDS)):  # A B A B: drift hits both alike
            ours = _fuzz_argv(url, plan, cwd / f"gc{round_no}")
            _add(fuzz, _timed(server, ours, cwd, "grades-contract --profile fuzz"))
            theirs = _st_argv(url, plan, cwd / f"st{round_no}")
            _add(st, _timed(server, theirs, cwd, "st run"))
        return {"ci": ci, "fuzz": _rate(fuzz), "st_run": _rate(st),
                "fuzz_vs_st": _ratio(_rate(fuzz), _rate(st))}  # fmt: skip


def _contract_argv(url: str, profile: str) -> list[str]:
    return [str(VENV_BIN / "grades-contract"), "--base-url", url, "--token", TOKEN,
            "--profile", profile]  # fmt: skip


def _fuzz_argv(url: str, plan: Plan, report_dir: Path) -> list[str]:
    return _contract_argv(url, "fuzz") + [
        "--seed", str(plan.seed), "--max-examples", str(plan.fuzz_examples),
        "--report-dir", str(report_dir),
    ]  # fmt: skip


def _st_argv(url: str, plan: Plan, report_dir: Path) -> list[str]:
    return [
        str(VENV_BIN / "st"), "run", f"{url}/openapi.json", "--seed", str(plan.seed),
        "--max-examples", str(plan.fuzz_examples), "--phases", FUZZ_PHASES, "--workers", "1",
        "--header", f"Authorization: Bearer {TOKEN}",
        "--report", "vcr", "--report-dir", str(report_dir),
    ]  # fmt: skip


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


def _add(total: dict[str, Any], run: dict[str, Any]) -> None:
    total["seconds"] = round(total.get("seconds", 0.0) + run["seconds"], 2)
    total["requests"] = total.get("requests", 0) + run["requests"]
    total.setdefault("exit_codes", []).append(run["exit_code"])


def _rate(total: dict[str, Any]) -> dict[str, Any]:
    seconds = total.get("seconds", 0.0)
    rate = total.get("requests", 0) / seconds if seconds else 0.0
    return {**total, "requests_per_s": round(rate, 1)}


def _ratio(ours: dict[str, Any], theirs: dict[str, Any]) -> float:
    a, b = float(ours["requests_per_s"]), float(theirs["requests_per_s"])
    return round(a / b, 3) if b else float("nan")
