"""The issue's targets, judged on one run's results: each is PASS, MISS, or n/a (not measured).

Issue 13's targets: with the mock's defaults (access log as shipped), at every connection
count of the run, against Prism in the same run, on the worst comparable workload; the
varied filtered queries; the other requests' tail beside slow answers; the same bytes for
every pair. Then the scaling targets of the earlier issues.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

MIN_RPS_RATIO = 3.0
MAX_P99_MS = 5.0
MAX_P99_RATIO = 1.0
MAX_VARIED_P99_MS = 5.0
MAX_BESIDE_SLOW_P99_MS = 10.0
MAX_FILTERED_P99_GROWTH = 1.5
MAX_STARTUP_S = 15.0
MAX_PSS_MB = 600.0
MAX_STREAM_GROWTH_MB = 50.0
LARGE_N = 1_000_000
SMALL_N = 1_000


@dataclass(frozen=True)
class Verdict:
    target: str
    value: float | None
    limit: str
    status: str  # PASS, MISS or n/a

    def as_json(self) -> dict[str, Any]:
        value = None if self.value is None or math.isnan(self.value) else self.value
        return {"target": self.target, "value": value, "limit": self.limit, "status": self.status}


def _judge(target: str, value: float | None, limit: float, at_most: bool) -> Verdict:
    text = f"{'<=' if at_most else '>='} {limit:g}"
    if value is None or math.isnan(value):
        return Verdict(target, None, text, "n/a")
    ok = value <= limit if at_most else value >= limit
    return Verdict(target, round(value, 3), text, "PASS" if ok else "MISS")


def judge(results: dict[str, Any]) -> list[Verdict]:
    return _throughput(results) + _slow(results) + _scaling(results)


def _throughput(results: dict[str, Any]) -> list[Verdict]:
    workloads = results.get("compare", {}).get("workloads", [])
    verdicts = []
    for c in sorted({r["connections"] for r in workloads if "rps_ratio" in r}):
        rows = [r for r in workloads if "rps_ratio" in r and r["connections"] == c]
        verdicts += [
            _judge(f"c{c}: mock/Prism req/s, worst workload", min(r["rps_ratio"] for r in rows),
                   MIN_RPS_RATIO, at_most=False),
            _judge(f"c{c}: mock p99 ms, worst workload", max(r["mock"]["p99_ms"] for r in rows),
                   MAX_P99_MS, at_most=True),
            _judge(f"c{c}: mock p99 / Prism p99, worst workload",
                   max(r["p99_ratio"] for r in rows), MAX_P99_RATIO, at_most=True),
        ]  # fmt: skip
    varied = [r for r in workloads if r["name"] == "varied filtered queries"]
    verdicts += [
        _judge(f"c{r['connections']}: varied filtered queries, p99 ms", r["mock"]["p99_ms"],
               MAX_VARIED_P99_MS, at_most=True)
        for r in varied
    ]  # fmt: skip
    pairs = [r for r in workloads if "same_bytes" in r]
    differing = float(sum(not r["same_bytes"] for r in pairs)) if pairs else None
    verdicts.append(_judge("pairs whose bodies differ", differing, 0, at_most=True))
    if not workloads:
        verdicts.append(_judge("c8: mock/Prism req/s, worst workload", None, MIN_RPS_RATIO, False))
    return verdicts


def _slow(results: dict[str, Any]) -> list[Verdict]:
    slow = results.get("slow")
    if not slow:
        return [_judge("beside slow answers: p99 ms", None, MAX_BESIDE_SLOW_P99_MS, True)]
    n = slow["in_flight"]
    errors = float(slow["beside_slow"]["errors"] + slow["slow"]["errors"])
    return [
        _judge(f"beside {n} slow answers: others' p99 ms", slow["beside_slow"]["p99_ms"],
               MAX_BESIDE_SLOW_P99_MS, at_most=True),
        _judge(f"beside {n} slow answers: errors", errors, 0, at_most=True),
    ]  # fmt: skip


def _scaling(results: dict[str, Any]) -> list[Verdict]:
    by_n = {row["n"]: row for row in results.get("scaling", [])}
    small, large = by_n.get(SMALL_N), by_n.get(LARGE_N)
    growth = None
    if small and large:
        growth = large["filtered"]["p99_ms"] / small["filtered"]["p99_ms"]

    def get(*keys: str) -> float | None:
        return _dig(large, keys) if large else None

    return [
        _judge("filtered p99 at 1M / at 1k", growth, MAX_FILTERED_P99_GROWTH, at_most=True),
        _judge("1M start-up to first 200 (s)", get("startup_s"), MAX_STARTUP_S, at_most=True),
        _judge("1M memory, PSS of all processes (MB)", get("pss_mb"), MAX_PSS_MB, at_most=True),
        _judge("1M full dump, peak memory growth (MB)", get("dump", "peak_growth_mb"),
               MAX_STREAM_GROWTH_MB, at_most=True),
    ]  # fmt: skip


def _dig(row: dict[str, Any], keys: tuple[str, ...]) -> float | None:
    value: Any = row
    for key in keys:
        value = value.get(key) if isinstance(value, dict) else None
    return float(value) if isinstance(value, int | float) else None
