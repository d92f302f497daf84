"""Throughput and latency: the mock against Prism, A B A B, on the same bytes; and the
generator's own ceiling against a server that does nothing."""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping
from functools import partial
from typing import Any

from bench.loadgen import LoadResult, Request
from bench.plan import TOKEN, Plan, load, summary
from bench.servers import HOST, VENV_BIN, Server, free_port, mock_argv, prism_argv, start
from bench.workloads import Pair, bearer, build_pairs, fetch, ready_request, target
from spec.loader import GRADES_PATH, Contract

ENGINE_CONFIGS: dict[str, tuple[str, ...]] = {
    "granian (default: 2 threads)": (),
    "granian, access log on": ("--access-log",),
    "granian --threads 4": ("--threads", "4"),
    "granian --threads 8": ("--threads", "8"),
    "granian --workers 2": ("--workers", "2"),
    "gunicorn": ("--server", "gunicorn"),
    "gunicorn --workers 2": ("--server", "gunicorn", "--workers", "2"),
}
"""The ``engines`` section's configurations: label → extra ``grades-mock`` flags (all with
``--no-access-log`` first, as in the comparison with Prism, except where a row turns it on)."""
TRIVIAL_WSGI: dict[str, Callable[[int], list[str]]] = {
    "gunicorn gthread, 1 worker": lambda port: [
        str(VENV_BIN / "gunicorn"), "-k", "gthread", "--threads", "16", "-w", "1",
        "-b", f"{HOST}:{port}", "bench.trivial_wsgi:app",
    ],
    "granian, 1 worker": lambda port: [
        str(VENV_BIN / "granian"), "--interface", "wsgi", "--workers", "1",
        "--blocking-threads", "2", "--host", HOST, "--port", str(port), "--no-ws",
        "--log-level", "warning", "bench.trivial_wsgi:app",
    ],
}  # fmt: skip
"""Each engine serving the do-nothing app, configured as the mock configures it."""
TRIVIAL_BODY_BYTES = 933
"""Same size as the spec's ``all`` example: the ceiling is measured on a comparable answer."""


def generator_ceiling(plan: Plan) -> dict[str, Any]:
    """Requests/s the generator reaches against a server that does nothing but answer."""
    port = free_port()
    argv = [
        str(VENV_BIN / "python"),
        "-m",
        "bench.trivial_server",
        str(port),
        str(TRIVIAL_BODY_BYTES),
    ]
    server = start("trivial", argv, port, Request("/"), plan.startup_timeout_s)
    try:
        load(port, [Request("/")], plan, plan.warmup_s)
        return summary(load(port, [Request("/")], plan))
    finally:
        server.stop()


def start_mock(
    plan: Plan, contract: Contract, extra: tuple[str, ...] = (), access_log: bool = False
) -> Server:
    """The mock, by default without its access log, as Prism runs with ``-v silent``."""
    port = free_port()
    extra = extra if access_log else ("--no-access-log", *extra)
    ready = ready_request(contract, TOKEN)
    return start("mock", mock_argv(port, TOKEN, extra), port, ready, plan.startup_timeout_s)


def start_prism(plan: Plan, contract: Contract) -> Server:
    port = free_port()
    ready = ready_request(contract, TOKEN)
    return start("prism", prism_argv(port, contract.path), port, ready, plan.startup_timeout_s)


def compare(plan: Plan, contract: Contract) -> dict[str, Any]:
    """Every comparable workload, mock and Prism alternating; plus the mock-only bundled list."""
    mock = start_mock(plan, contract)
    prism = start_prism(plan, contract) if plan.prism else None
    try:
        rows = _pairs(plan, contract, mock, prism)
        rows.append(_mock_only(plan, mock))
        return {
            "servers": {"mock": _memory(mock), **({"prism": _memory(prism)} if prism else {})},
            "workloads": rows,
        }
    finally:
        mock.stop()
        if prism:
            prism.stop()


def _pairs(
    plan: Plan, contract: Contract, mock: Server, prism: Server | None
) -> list[dict[str, Any]]:
    if prism is None:
        return []
    rows = []
    for pair in build_pairs(contract, TOKEN, mock.port, prism.port):
        same = fetch(mock.port, pair.mock) == fetch(prism.port, pair.prism)
        results = alternate(plan, [(mock.port, [pair.mock]), (prism.port, [pair.prism])], pair.name)
        rows.append(_row(pair, same, results))
    return rows


def alternate(
    plan: Plan, targets: list[tuple[int, list[Request]]], label: str
) -> tuple[list[LoadResult], list[list[float]]]:
    """Warm every target up, then run them in turn ``plan.rounds`` times (A B A B ...)."""
    for port, requests in targets:
        load(port, requests, plan, plan.warmup_s)
    totals = [LoadResult(seconds=0.0) for _ in targets]
    per_round: list[list[float]] = []
    for round_no in range(plan.rounds):
        rates = []
        for total, (port, requests) in zip(totals, targets, strict=True):
            result = load(port, requests, plan)
            rates.append(result.rps)
            total.merge(result)
        per_round.append(rates)
        shown = " ".join(f"{r:.0f}/s" for r in rates)
        print(f"  {label}: round {round_no + 1}/{plan.rounds} {shown}", file=sys.stderr, flush=True)
    return totals, per_round


def _row(
    pair: Pair, same: bool, results: tuple[list[LoadResult], list[list[float]]]
) -> dict[str, Any]:
    (mock, prism), per_round = results
    mock_s, prism_s = summary(mock), summary(prism)
    return {
        "name": pair.name,
        "mock_path": pair.mock_path,
        "same_bytes": same,
        "mock": mock_s,
        "prism": prism_s,
        "rps_ratio": _ratio(float(mock_s["rps"]), float(prism_s["rps"])),
        "p99_ratio": _ratio(float(mock_s["p99_ms"]), float(prism_s["p99_ms"])),
        "round_rps_ratios": [_ratio(a, b) for a, b in per_round],
    }


def _mock_only(plan: Plan, mock: Server) -> dict[str, Any]:
    """The bundled fixture list, unfiltered: real work Prism has no counterpart for."""
    request = Request(GRADES_PATH, (bearer(TOKEN),))
    (result,), _ = alternate(plan, [(mock.port, [request])], "bundled list (mock only)")
    return {
        "name": "bundled list, unfiltered",
        "mock_path": "streamed store",
        "mock": summary(result),
    }


def _memory(server: Server) -> dict[str, Any]:
    return {"startup_s": round(server.startup_s, 3), "pss_mb": round(server.pss_mb(), 1)}


def _ratio(a: float, b: float) -> float:
    return round(a / b, 3) if b else float("nan")


def engines(plan: Plan, contract: Contract) -> list[dict[str, Any]]:
    """The mock's server choices on one filtered query, alternating: how the defaults were
    picked (engine, threads per worker, worker processes); then each engine's ceiling on a
    WSGI app that does nothing (``bench/trivial_wsgi.py``)."""
    name, query = next((n, q) for n, q in contract.example_queries().items() if "course_id" in q)
    request = Request(target(query), (bearer(TOKEN),))
    mocks = {
        label: partial(start_mock, plan, contract, args) for label, args in ENGINE_CONFIGS.items()
    }
    trivial = {
        label: partial(_start_trivial, plan, label, argv) for label, argv in TRIVIAL_WSGI.items()
    }
    return _side_by_side(plan, mocks, request, f"example {name}") + _side_by_side(
        plan, trivial, Request("/"), "trivial WSGI app"
    )


def _start_trivial(plan: Plan, label: str, argv: Callable[[int], list[str]]) -> Server:
    port = free_port()
    return start(label, argv(port), port, Request("/"), plan.startup_timeout_s)


def _side_by_side(
    plan: Plan, starters: Mapping[str, Callable[[], Server]], request: Request, workload: str
) -> list[dict[str, Any]]:
    """Start every server, alternate ``request`` over them, stop them; one row per label."""
    servers: list[Server] = []
    try:
        servers += [begin() for begin in starters.values()]
        totals, _ = alternate(plan, [(s.port, [request]) for s in servers], workload)
    finally:
        for server in servers:
            server.stop()
    return [{"mock": label, "workload": workload, **summary(t)}
            for label, t in zip(starters, totals, strict=True)]  # fmt: skip
