"""The issue's targets, judged on one run's results: each is PASS, MISS, or n/a (not measured)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

MIN_RPS_RATIO = 2.0
MAX_P99_RATIO = 1.0
MAX_FILTERED_P99_GROWTH = 1.5
MAX_STARTUP_S = 15.0
MAX_PSS_MB = 600.0
MAX_STREAM_GROWTH_MB = 50.0
MIN_FUZZ_RATIO = 0.8
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
    return _throughput(results) + _scaling(results) + _suite(results)


def _throughput(results: dict[str, Any]) -> list[Verdict]:
    rows = [r for r in results.get("compare", {}).get("workloads", []) if "rps_ratio" in r]
    rps = min((r["rps_ratio"] for r in rows), default=None)
    p99 = max((r["p99_ratio"] for r in rows), default=None)
    return [
        _judge("mock/Prism req/s, worst workload", rps, MIN_RPS_RATIO, at_most=False),
        _judge("mock/Prism p99, worst workload", p99, MAX_P99_RATIO, at_most=True),
    ]


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


def _suite(results: dict[str, Any]) -> list[Verdict]:
    ratio = results.get("suite", {}).get("fuzz_vs_st")
    return [_judge("fuzz profile / st run, requests/s", ratio, MIN_FUZZ_RATIO, at_most=False)]


def _dig(row: dict[str, Any], keys: tuple[str, ...]) -> float | None:
    value: Any = row
    for key in keys:
        value = value.get(key) if isinstance(value, dict) else None
    return float(value) if isinstance(value, int | float) else None
