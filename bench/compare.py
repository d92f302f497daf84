"""Throughput and latency: the mock (as shipped) against Prism, A B then B A, on the same
bytes, at each connection count; the two load generators side by side; and the generator's
own ceiling against a server that does nothing."""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping, Sequence
from functools import partial
from typing import Any

from bench.loadgen import Request
from bench.plan import TOKEN, Plan, Result, Runner, load, loadgen_runner, runner, summary
from bench.plan import wrk_runner as wrk
from bench.servers import HOST, VENV_BIN, Server, free_port, mock_argv, prism_argv, start
from bench.workloads import Pair, bearer, build_pairs, fetch, ready_request, target, varied
from grades_kit.contract.loader import GRADES_PATH, Contract

ENGINE_CONFIGS: dict[str, tuple[str, ...]] = {
    "granian (default: 2 workers)": (),
    "granian, --no-access-log": ("--no-access-log",),
    "granian --workers 1": ("--workers", "1"),
    "gunicorn (2 workers)": ("--server", "gunicorn"),
    "gunicorn --workers 1": ("--server", "gunicorn", "--workers", "1"),
}
"""The ``engines`` section's configurations: label → extra ``grades-mock`` flags (the mock's
defaults otherwise, its access log included)."""
TRIVIAL_WSGI: dict[str, Callable[[int], list[str]]] = {
    "gunicorn gthread, 1 worker": lambda port: [
        str(VENV_BIN / "gunicorn"), "-k", "gthread", "--threads", "16", "-w", "1",
        "-b", f"{HOST}:{port}", "bench.trivial_wsgi:app",
    ],
    "granian WSGI, 1 worker": lambda port: [
        str(VENV_BIN / "granian"), "--interface", "wsgi", "--workers", "1",
        "--blocking-threads", "2", "--host", HOST, "--port", str(port), "--no-ws",
        "--log-level", "warning", "bench.trivial_wsgi:app",
    ],
    "granian RSGI, 1 worker": lambda port: [
        str(VENV_BIN / "granian"), "--interface", "rsgi", "--workers", "1",
        "--host", HOST, "--port", str(port), "--no-ws", "--loop", "asyncio",
        "--log-level", "warning", "bench.trivial_wsgi:rsgi_app",
    ],
}  # fmt: skip
"""Each engine serving the do-nothing app, configured as the mock configures it."""
TRIVIAL_BODY_BYTES = 933
"""Same size as the spec's ``all`` example: the ceiling is measured on a comparable answer."""


def generator_ceiling(plan: Plan) -> dict[str, Any]:
    """Requests/s the Python generator reaches against a server that does nothing but answer."""
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


def start_mock(plan: Plan, contract: Contract, extra: tuple[str, ...] = ()) -> Server:
    """The mock with its defaults (the access log on, as shipped) plus ``extra`` flags."""
    port = free_port()
    ready = ready_request(contract, TOKEN)
    return start("mock", mock_argv(port, TOKEN, extra), port, ready, plan.startup_timeout_s)


def start_prism(plan: Plan, contract: Contract) -> Server:
    port = free_port()
    ready = ready_request(contract, TOKEN)
    return start("prism", prism_argv(port, contract.path), port, ready, plan.startup_timeout_s)


def compare(plan: Plan, contract: Contract) -> dict[str, Any]:
    """Every comparable workload, mock and Prism alternating, at each connection count; the
    mock-only workloads; then wrk and the Python generator on the same server."""
    mock = start_mock(plan, contract)
    prism = start_prism(plan, contract) if plan.prism else None
    try:
        rows = []
        for connections in plan.connections:
            rows += _pairs(plan, contract, mock, prism, connections) if prism else []
            rows += _mock_only(plan, mock, connections)
        return {
            "servers": {"mock": _memory(mock), **({"prism": _memory(prism)} if prism else {})},
            "workloads": rows,
            "generators": _generators(plan, mock, contract) if plan.wrk else [],
        }
    finally:
        mock.stop()
        if prism:
            prism.stop()


def _pairs(
    plan: Plan, contract: Contract, mock: Server, prism: Server, connections: int
) -> list[dict[str, Any]]:
    """Each comparable workload, its answers checked (status and bytes) before it is timed."""
    rows = []
    for pair in build_pairs(contract, TOKEN, mock.port, prism.port):
        answers = fetch(mock.port, pair.mock), fetch(prism.port, pair.prism)
        ports = [(mock.port, [pair.mock]), (prism.port, [pair.prism])]
        results = alternate(plan, runner(plan), ports, connections, pair.name)
        rows.append(_row(pair, answers, connections, results))
    return rows


def alternate(
    plan: Plan,
    run: Runner,
    targets: Sequence[tuple[int, Sequence[Request]]],
    connections: int,
    label: str,
) -> tuple[list[Result], list[list[float]]]:
    """Warm every target up, then ``plan.rounds`` rounds: A B, then B A, and so on."""
    for port, requests in targets:
        run(port, requests, connections, plan.warmup_s)
    totals: list[Result | None] = [None] * len(targets)
    per_round: list[list[float]] = []
    for round_no in range(plan.rounds):
        order = list(range(len(targets)))
        rates = [0.0] * len(targets)
        for i in order if round_no % 2 == 0 else order[::-1]:
            port, requests = targets[i]
            result = run(port, requests, connections, plan.seconds)
            rates[i] = result.rps
            if totals[i] is None:
                totals[i] = result
            else:
                totals[i].merge(result)  # type: ignore[union-attr]
        per_round.append(rates)
        shown = " ".join(f"{r:.0f}/s" for r in rates)
        print(f"  {label}, c{connections}: round {round_no + 1}/{plan.rounds} {shown}",
              file=sys.stderr, flush=True)  # fmt: skip
    return [t for t in totals if t is not None], per_round


def _row(
    pair: Pair,
    answers: tuple[tuple[int, bytes], tuple[int, bytes]],
    connections: int,
    results: tuple[list[Result], list[list[float]]],
) -> dict[str, Any]:
    """One workload at one connection count; ``answers``: (status, body) of mock and Prism."""
    (mock, prism), per_round = results
    mock_s, prism_s = summary(mock), summary(prism)
    return {
        "name": pair.name,
        "connections": connections,
        "mock_path": pair.mock_path,
        "same_bytes": answers[0] == answers[1],
        "bytes": len(answers[0][1]),
        "mock": mock_s,
        "prism": prism_s,
        "rps_ratio": _ratio(float(mock_s["rps"]), float(prism_s["rps"])),
        "p99_ratio": _ratio(float(mock_s["p99_ms"]), float(prism_s["p99_ms"])),
        "round_rps_ratios": [_ratio(a, b) for a, b in per_round],
    }


def _mock_only(plan: Plan, mock: Server, connections: int) -> list[dict[str, Any]]:
    """Real work Prism has no counterpart for: every course and learner of the bundled
    fixtures in turn (no answer repeats back to back), and the whole list, unfiltered."""
    workloads = {
        "varied filtered queries": ("filtering", varied(mock.port, TOKEN)),
        "bundled list, unfiltered": ("streamed store", [Request(GRADES_PATH, (bearer(TOKEN),))]),
    }
    rows = []
    for name, (path, requests) in workloads.items():
        (result,), _ = alternate(plan, runner(plan), [(mock.port, requests)], connections, name)
        body = fetch(mock.port, requests[0])[1]
        rows.append({"name": name, "connections": connections, "mock_path": path,
                     "bytes": len(body), "requests_cycled": len(requests),
                     "mock": summary(result)})  # fmt: skip
    return rows


def _generators(plan: Plan, mock: Server, contract: Contract) -> list[dict[str, Any]]:
    """wrk and ``bench/loadgen.py`` alternating on the same mock and query: do they agree?"""
    name, query = next((n, q) for n, q in contract.example_queries().items() if "course_id" in q)
    requests = [Request(target(query), (bearer(TOKEN),))]
    rows = []
    for connections in plan.connections:
        generators = {"wrk": wrk, "loadgen.py": loadgen_runner}
        results = []
        for label, run in generators.items():
            (result,), _ = alternate(plan, run, [(mock.port, requests)], connections, label)
            results.append(result)
        workload = f"example {name}"
        rows += [{"generator": label, "connections": connections, "workload": workload,
                  **summary(r)} for label, r in zip(generators, results, strict=True)]  # fmt: skip
    return rows


def _memory(server: Server) -> dict[str, Any]:
    return {"startup_s": round(server.startup_s, 3), "pss_mb": round(server.pss_mb(), 1)}


def _ratio(a: float, b: float) -> float:
    return round(a / b, 3) if b else float("nan")


def engines(plan: Plan, contract: Contract) -> list[dict[str, Any]]:
    """The mock's server choices on one filtered query, alternating: how the defaults were
    picked (engine, access log, worker processes); then each engine's ceiling on an app that
    does nothing (``bench/trivial_wsgi.py``)."""
    name, query = next((n, q) for n, q in contract.example_queries().items() if "course_id" in q)
    request = Request(target(query), (bearer(TOKEN),))
    mocks = {
        label: partial(start_mock, plan, contract, args) for label, args in ENGINE_CONFIGS.items()
    }
    trivial = {
        label: partial(_start_trivial, plan, label, argv) for label, argv in TRIVIAL_WSGI.items()
    }
    return _side_by_side(plan, mocks, request, f"example {name}") + _side_by_side(
        plan, trivial, Request("/"), "trivial app"
    )


def _start_trivial(plan: Plan, label: str, argv: Callable[[int], list[str]]) -> Server:
    port = free_port()
    return start(label, argv(port), port, Request("/"), plan.startup_timeout_s)


def _side_by_side(
    plan: Plan, starters: Mapping[str, Callable[[], Server]], request: Request, workload: str
) -> list[dict[str, Any]]:
    """Start every server, alternate ``request`` over them, stop them; one row per label."""
    servers: list[Server] = []
    connections = plan.connections[0]
    try:
        servers += [begin() for begin in starters.values()]
        targets = [(s.port, [request]) for s in servers]
        totals, _ = alternate(plan, runner(plan), targets, connections, workload)
    finally:
        for server in servers:
            server.stop()
    return [{"mock": label, "workload": workload, "connections": connections, **summary(t)}
            for label, t in zip(starters, totals, strict=True)]  # fmt: skip
