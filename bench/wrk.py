"""wrk, the reference HTTP load generator, driven with a Lua script per workload.

wrk (C, epoll, Debian's package) is what the issue measured with, and a tail it reports
is not the generator's own: next to it, ``bench/loadgen.py`` (pure Python) runs the
sections wrk does not need, and the ``agreement`` rows show both on the same server. The
script cycles through the workload's requests (every course and learner in turn, for the
varied workload) and prints one JSON line in ``done()``: counts, errors and the latency
percentiles wrk computed over every request of the run.

wrk reports percentiles per run, not raw latencies, so runs cannot be pooled: over several
rounds :meth:`WrkResult.merge` adds the counts and keeps the **worst** round's percentiles
(a number that cannot flatter).
"""

from __future__ import annotations

import json
import math
import resource
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from bench.loadgen import Request

WRK = shutil.which("wrk") or "/usr/bin/wrk"
TIMEOUT_S = 10
"""wrk's per-request timeout (its default, 2 s, would count a delayed answer as an error)."""
PERCENTILES = {"p50_ms": 50.0, "p99_ms": 99.0, "p999_ms": 99.9, "max_ms": 100.0}
_DONE = """
local threads = {}
setup = function(thread) table.insert(threads, thread) end
done = function(summary, latency, requests)
  local e, unexpected = summary.errors, -1
  if response ~= nil then
    unexpected = 0
    for _, thread in ipairs(threads) do unexpected = unexpected + thread:get("unexpected") end
  end
  io.write(string.format(
    '\\nWRK_RESULT {"requests":%d,"duration_us":%d,"connect":%d,"read":%d,"write":%d,'
    .. '"status":%d,"timeout":%d,"p50_us":%d,"p99_us":%d,"p999_us":%d,"max_us":%d,'
    .. '"unexpected":%d}\\n',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(99), latency:percentile(99.9), latency.max,
    unexpected))
end
"""
_CHECK = """
unexpected = 0
response = function(status, headers, body)
  if status ~= {status} then unexpected = unexpected + 1 end
end
"""


@dataclass
class WrkResult:
    """One wrk run, or several merged (counts added, worst percentiles kept)."""

    seconds: float
    requests: int = 0
    errors: int = 0
    first_error: str = ""
    client_cpu_s: float = 0.0
    percentiles_ms: dict[str, float] = field(default_factory=dict)

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def merge(self, other: WrkResult) -> None:
        self.seconds += other.seconds
        self.requests += other.requests
        self.errors += other.errors
        self.client_cpu_s += other.client_cpu_s
        self.first_error = self.first_error or other.first_error
        mine, theirs = self.percentiles_ms, other.percentiles_ms
        self.percentiles_ms = {k: max(mine.get(k, 0.0), theirs.get(k, 0.0)) for k in PERCENTILES}

    def summary(self) -> dict[str, float | int | str]:
        """The same keys as :func:`bench.plan.summary` (``generator``: which one measured)."""
        shown = {k: round(v, 3) for k, v in self.percentiles_ms.items()}
        return {
            "generator": "wrk",
            "requests": self.requests,
            "errors": self.errors,
            "first_error": self.first_error,
            "rps": round(self.rps, 1),
            **{k: shown.get(k, math.nan) for k in PERCENTILES},
            "client_cpu_us_per_request": round(self.client_cpu_s * 1e6 / max(self.requests, 1), 1),
        }


def lua_script(requests: Sequence[Request]) -> str:
    """Cycle through ``requests`` and report. A 200 workload counts wrk's own non-2xx/3xx
    errors; any other (the 401 one) checks each status in Lua, so a 400 is not taken for the
    expected 401 (one expected status per workload)."""
    entries = ",\n  ".join(
        f"wrk.format('GET', {_lua_string(r.target)}, {{{_lua_headers(r.headers)}}})"
        for r in requests
    )
    # Built in init(): wrk sets the Host header only after the script is loaded.
    build = f"local reqs = {{}}\ninit = function(args)\n  reqs = {{\n  {entries}\n  }}\nend\n"
    cycle = "local i = 0\nrequest = function() i = i % #reqs + 1; return reqs[i] end\n"
    statuses = {r.expect_status for r in requests}
    check = _CHECK.replace("{status}", str(statuses.pop())) if statuses != {200} else ""
    return f"{build}{cycle}{check}{_DONE}"


def _lua_headers(headers: tuple[tuple[str, str], ...]) -> str:
    return ", ".join(f"[{_lua_string(k)}] = {_lua_string(v)}" for k, v in headers)


def _lua_string(text: str) -> str:
    return json.dumps(text)  # a JSON string of ASCII is a valid Lua string literal


def run_wrk(
    host: str, port: int, requests: Sequence[Request], connections: int, seconds: float
) -> WrkResult:
    """One wrk run (one thread, as the issue measured; whole seconds, wrk's unit)."""
    if not Path(WRK).exists():
        raise FileNotFoundError(f"wrk is not installed at {WRK}: apt-get install wrk")
    with tempfile.NamedTemporaryFile("w", suffix=".lua", prefix="bench-wrk-") as script:
        script.write(lua_script(requests))
        script.flush()
        argv = [WRK, "-t1", f"-c{connections}", f"-d{max(1, round(seconds))}s", "--timeout",
                f"{TIMEOUT_S}s", "-s", script.name, f"http://{host}:{port}/"]  # fmt: skip
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        done = subprocess.run(argv, capture_output=True, text=True, timeout=seconds + 60)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    return _parse(done.stdout, done.stderr, requests, cpu)


def _parse(stdout: str, stderr: str, requests: Sequence[Request], cpu_s: float) -> WrkResult:
    line = next((x for x in stdout.splitlines() if x.startswith("WRK_RESULT ")), None)
    if line is None:
        raise RuntimeError(f"wrk printed no result: {(stderr or stdout).strip()[-300:]}")
    raw = json.loads(line.removeprefix("WRK_RESULT "))
    transport = raw["connect"] + raw["read"] + raw["write"] + raw["timeout"]
    unexpected = raw["status"] if raw["unexpected"] < 0 else raw["unexpected"]
    errors = transport + unexpected
    first = ""
    if errors:
        first = f"wrk: {transport} transport error(s), {unexpected} unexpected status(es)"
    percentiles = {k: raw[k.replace("_ms", "_us")] / 1000 for k in PERCENTILES if k != "max_ms"}
    percentiles["max_ms"] = raw["max_us"] / 1000
    return WrkResult(raw["duration_us"] / 1e6, raw["requests"], errors, first, cpu_s, percentiles)
