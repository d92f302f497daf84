"""orjson against the standard library's json, on the mock's own payloads (in this process).

The mock serialises JSON in three places: the ``Prefer: example=`` answers, the generator's
record fragments at start-up (millions of them with ``--generate``), and error bodies. The
encoders are timed on the spec's largest named example and on the bundled fixture list,
alternating, best of several repeats (the minimum is the least disturbed by other processes).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import orjson

from bench.plan import Plan
from bench.servers import ROOT
from grades_kit.contract.loader import Contract

FIXTURES = ROOT / "fixtures" / "grades.json"


def _stdlib(value: Any) -> bytes:
    """What the mock would do without orjson: compact, UTF-8, non-ASCII kept as is."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()


ENCODERS: dict[str, Callable[[Any], bytes]] = {"orjson": orjson.dumps, "json": _stdlib}


def encoders(plan: Plan, contract: Contract) -> list[dict[str, Any]]:
    examples = contract.response_examples()
    largest = max(examples, key=lambda name: len(orjson.dumps(examples[name])))
    payloads = {f"example {largest}": examples[largest], "bundled fixtures": _fixtures()}
    repeats, budget = (3, 0.02) if plan.quick else (7, 0.2)
    rows = []
    for name, value in payloads.items():
        best = {encoder: float("inf") for encoder in ENCODERS}
        for _ in range(repeats):  # A B A B
            for encoder, dump in ENCODERS.items():
                best[encoder] = min(best[encoder], _per_call_us(dump, value, budget))
        rows.append({
            "payload": name, "bytes": len(orjson.dumps(value)),
            **{f"{encoder}_us": round(us, 2) for encoder, us in best.items()},
            "speedup": round(best["json"] / best["orjson"], 2),
        })  # fmt: skip
    return rows


def _fixtures() -> Any:
    return orjson.loads(FIXTURES.read_bytes())


def _per_call_us(dump: Callable[[Any], bytes], value: Any, budget_s: float) -> float:
    calls, started = 0, time.perf_counter()
    while (elapsed := time.perf_counter() - started) < budget_s:
        for _ in range(10):
            dump(value)
        calls += 10
    return elapsed * 1e6 / calls
