"""How big a benchmark run is: the full measurement, or the quick mode ``make test`` runs."""

from __future__ import annotations

from dataclasses import dataclass

from bench.loadgen import LoadResult, Request, percentile_ms, run_load
from bench.servers import HOST

TOKEN = "bench-token"
"""The token the benchmark starts the mock with (Prism accepts any Bearer token)."""


@dataclass(frozen=True)
class Plan:
    """Sizes of one run; the numbers behind each default are in docs/benchmarks.md."""

    seconds: float
    """Length of one measured load run."""
    warmup_s: float
    rounds: int
    """A B rounds per workload: the servers alternate, so drift hits both alike."""
    connections: int
    sizes: tuple[int, ...]
    """Record counts of the scaling runs (``--generate N``)."""
    prism: bool
    fuzz_examples: int
    seed: int = 20240601
    startup_timeout_s: float = 120.0
    quick: bool = False


FULL = Plan(
    seconds=3.0, warmup_s=1.0, rounds=3, connections=8,
    sizes=(1_000, 100_000, 1_000_000), prism=True, fuzz_examples=50,
)  # fmt: skip
QUICK = Plan(
    seconds=0.4, warmup_s=0.2, rounds=1, connections=4,
    sizes=(1_000,), prism=False, fuzz_examples=10, quick=True,
)  # fmt: skip


def load(
    port: int, requests: list[Request], plan: Plan, seconds: float | None = None
) -> LoadResult:
    return run_load(HOST, port, requests, plan.connections, seconds or plan.seconds)


def summary(result: LoadResult) -> dict[str, float | int | str]:
    """The JSON-ready numbers of a (merged) load result."""
    return {
        "requests": result.requests,
        "errors": result.errors,
        "first_error": result.first_error,
        "rps": round(result.rps, 1),
        "p50_ms": round(percentile_ms(result.latencies_ns, 0.50), 3),
        "p99_ms": round(percentile_ms(result.latencies_ns, 0.99), 3),
        "max_ms": round(percentile_ms(result.latencies_ns, 1.0), 3),
        "body_bytes_per_request": round(result.body_bytes / max(result.requests, 1)),
        "client_cpu_us_per_request": round(result.client_cpu_us, 1),
    }
