"""How big a benchmark run is: the full measurement, or the quick mode ``make test`` runs."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from bench.loadgen import LoadResult, Request, percentile_ms, run_load
from bench.servers import HOST
from bench.wrk import WrkResult, run_wrk

TOKEN = "bench-token"
"""The token the benchmark starts the mock with (Prism accepts any Bearer token)."""


@dataclass(frozen=True)
class Plan:
    """Sizes of one run; the numbers behind each default are in docs/benchmarks.md."""

    seconds: float
    """Length of one measured load run."""
    warmup_s: float
    rounds: int
    """Rounds per workload: the servers alternate A B, then B A, so drift hits both alike."""
    connections: tuple[int, ...]
    """Concurrent keep-alive connections: every comparison runs at each of these."""
    sizes: tuple[int, ...]
    """Record counts of the scaling runs (``--generate N``)."""
    prism: bool
    wrk: bool = True
    """Measure the comparisons with wrk (the reference); else with ``bench/loadgen.py``."""
    slow_in_flight: int = 10
    """Requests kept waiting on ``Prefer: delay`` during the ``slow`` section."""
    slow_delay_ms: int = 2000
    seed: int = 20240601
    startup_timeout_s: float = 120.0
    quick: bool = False


FULL = Plan(
    seconds=4.0, warmup_s=1.0, rounds=2, connections=(8, 32),
    sizes=(1_000, 100_000, 1_000_000), prism=True,
)  # fmt: skip
QUICK = Plan(
    seconds=0.4, warmup_s=0.2, rounds=2, connections=(4,),
    sizes=(1_000,), prism=False, wrk=False, slow_in_flight=2, slow_delay_ms=300, quick=True,
)  # fmt: skip


class Result(Protocol):
    """A load run's result, either generator's: mergeable over rounds."""

    @property
    def rps(self) -> float: ...

    def merge(self, other: Any) -> None: ...


Runner = Callable[[int, Sequence[Request], int, float], Result]
"""(port, requests, connections, seconds) → one run's result."""


def loadgen_runner(
    port: int, requests: Sequence[Request], connections: int, seconds: float
) -> Result:
    return run_load(HOST, port, requests, connections, seconds)


def wrk_runner(port: int, requests: Sequence[Request], connections: int, seconds: float) -> Result:
    return run_wrk(HOST, port, requests, connections, seconds)


def runner(plan: Plan) -> Runner:
    """The generator of the comparisons: wrk unless the plan says otherwise."""
    return wrk_runner if plan.wrk else loadgen_runner


def load(
    port: int, requests: list[Request], plan: Plan, seconds: float | None = None
) -> LoadResult:
    """One loadgen run at the plan's first connection count."""
    return run_load(HOST, port, requests, plan.connections[0], seconds or plan.seconds)


def summary(result: Result) -> dict[str, float | int | str]:
    """The JSON-ready numbers of a (merged) load result of either generator."""
    if isinstance(result, WrkResult):
        return result.summary()
    assert isinstance(result, LoadResult)
    return {
        "generator": "loadgen",
        "requests": result.requests,
        "errors": result.errors,
        "first_error": result.first_error,
        "rps": round(result.rps, 1),
        "p50_ms": round(percentile_ms(result.latencies_ns, 0.50), 3),
        "p99_ms": round(percentile_ms(result.latencies_ns, 0.99), 3),
        "p999_ms": round(percentile_ms(result.latencies_ns, 0.999), 3),
        "max_ms": round(percentile_ms(result.latencies_ns, 1.0), 3),
        "body_bytes_per_request": round(result.body_bytes / max(result.requests, 1)),
        "client_cpu_us_per_request": round(result.client_cpu_us, 1),
    }
