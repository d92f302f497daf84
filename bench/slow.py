"""Slow answers in flight: the other requests' latency, with and without them.

A frontend testing a spinner keeps ``Prefer: delay`` requests pending while the rest of
its page loads. Here ``plan.slow_in_flight`` connections of the Python generator keep a
delayed request each in flight the whole time (each sends the next as soon as its answer
arrives), while the comparison's generator drives the varied filtered queries; the same
load runs without them first. Any error, on either side, is reported.
"""

from __future__ import annotations

import sys
import threading
import time
from typing import Any

from bench.compare import start_mock
from bench.loadgen import LoadResult, Request, run_load
from bench.plan import TOKEN, Plan, runner, summary
from bench.servers import HOST
from bench.workloads import bearer, varied
from grades_kit.contract.loader import GRADES_PATH, Contract

SETTLE_S = 0.3
"""Time for every slow request to reach the server before the measured load starts."""


def slow_answers(plan: Plan, contract: Contract) -> dict[str, Any]:
    mock = start_mock(plan, contract)
    try:
        requests = varied(mock.port, TOKEN)
        run, connections = runner(plan), plan.connections[0]
        seconds = plan.seconds * plan.rounds
        run(mock.port, requests, connections, plan.warmup_s)
        alone = run(mock.port, requests, connections, seconds)
        slow: list[LoadResult] = []
        delayed = Request(GRADES_PATH, (bearer(TOKEN), ("Prefer", f"delay={plan.slow_delay_ms}")))
        keep_busy = threading.Thread(
            target=lambda: slow.append(run_load(
                HOST, mock.port, [delayed], plan.slow_in_flight, seconds + 2 * SETTLE_S
            )),
        )  # fmt: skip
        keep_busy.start()
        time.sleep(SETTLE_S)
        beside = run(mock.port, requests, connections, seconds)
        keep_busy.join()
    finally:
        mock.stop()
    print(f"  slow answers: {alone.rps:.0f}/s alone, {beside.rps:.0f}/s beside "
          f"{plan.slow_in_flight} delayed", file=sys.stderr, flush=True)  # fmt: skip
    return {
        "in_flight": plan.slow_in_flight,
        "delay_ms": plan.slow_delay_ms,
        "connections": connections,
        "alone": summary(alone),
        "beside_slow": summary(beside),
        "slow": summary(slow[0]) if slow else {"errors": plan.slow_in_flight},
    }
