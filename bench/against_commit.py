"""The mock at this checkout vs the mock at an earlier commit, in one run: no regression?

    .venv/bin/python -m bench.against_commit [--rev 6bfeb57] [--seconds 4] [--rounds 2]

A refactor must not cost speed, and timings on a shared machine only compare within one
run. So this checks out ``--rev`` into a temporary git worktree, starts both mocks with
their defaults on the bundled fixtures (the earlier one from its own source, through
``PYTHONPATH``, with this checkout's virtual environment), and drives both with wrk
(:mod:`bench.wrk`) at 8 and 32 connections, on the issue's repeated request and on the
varied workload, alternating A B then B A. It prints one row per workload with both sides'
req/s and p99 (the worst round's) and their ratios, and exits 1 when the checkout serves
fewer than ``--min-ratio`` times the earlier requests per second or has a p99 above the
earlier one's by more than ``--p99-slack-ms`` on any row.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from bench.loadgen import Request
from bench.servers import HOST, VENV_BIN, BenchError, Server, free_port, start
from bench.workloads import bearer, target, varied
from bench.worktree import checked_out
from bench.wrk import WrkResult, run_wrk
from grades_kit.contract.loader import GRADES_PATH

TOKEN = "bench-token"
FIXED = Request(target({"course_id": "course-v1:MOOCit-demo-1"}), (bearer(TOKEN),))
"""The request the performance issue measured with."""
CONNECTIONS = (8, 32)


def _mock(name: str, source: Path | None) -> Server:
    """The mock with its defaults; ``source`` is an earlier checkout run from its own code."""
    port = free_port()
    package = "mock_server" if source is not None else "grades_kit.mock_server"
    code = f"import sys; from {package}.cli import main; sys.exit(main())"
    # -P: not the working directory (this checkout) first on the path, so --rev runs its own code
    argv = [str(VENV_BIN / "python"), "-P", "-c", code, "--port", str(port), "--token", TOKEN]
    env = dict(os.environ)
    if source is not None:
        env["PYTHONPATH"] = str(source)
    ready = Request(GRADES_PATH, (bearer(TOKEN),))
    return start(name, argv, port, ready, timeout_s=60, env=env)


def _measure(
    servers: dict[str, Server], workloads: dict[str, list[Request]], seconds: float, rounds: int
) -> dict[tuple[str, str, int], WrkResult]:
    results: dict[tuple[str, str, int], WrkResult] = {}
    order = list(servers)
    for round_index in range(rounds):
        sides = order if round_index % 2 == 0 else order[::-1]  # A B, then B A
        for workload, requests in workloads.items():
            for connections in CONNECTIONS:
                for side in sides:
                    found = run_wrk(HOST, servers[side].port, requests, connections, seconds)
                    key = (side, workload, connections)
                    if key in results:
                        results[key].merge(found)
                    else:
                        results[key] = found
    return results


def _report(
    results: dict[tuple[str, str, int], WrkResult], rev: str, min_ratio: float, slack_ms: float
) -> bool:
    print(
        f"| workload | conn | {rev} req/s | HEAD req/s | ratio | {rev} p99 | HEAD p99 | verdict |"
    )
    print("|---|---|---|---|---|---|---|---|")
    ok = True
    for (side, workload, connections), old in sorted(results.items()):
        if side != "before":
            continue
        new = results["head", workload, connections]
        ratio = new.rps / old.rps if old.rps else 0.0
        old_p99, new_p99 = old.percentiles_ms["p99_ms"], new.percentiles_ms["p99_ms"]
        passed = ratio >= min_ratio and new_p99 <= old_p99 + slack_ms and not new.errors
        ok &= passed
        verdict = "PASS" if passed else "FAIL"
        print(f"| {workload} | {connections} | {old.rps:,.0f} | {new.rps:,.0f} | {ratio:.2f}x | "
              f"{old_p99:.2f} ms | {new_p99:.2f} ms | {verdict} |")  # fmt: skip
    return ok


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--rev", default="6bfeb57", help="the earlier commit (default: %(default)s)"
    )
    parser.add_argument("--seconds", type=float, default=4.0)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--min-ratio", type=float, default=0.95)
    parser.add_argument("--p99-slack-ms", type=float, default=0.5)
    args = parser.parse_args(argv)
    try:
        with checked_out(args.rev) as source:
            servers: dict[str, Server] = {}
            try:
                servers["before"] = _mock("before", source)
                servers["head"] = _mock("head", None)
                workloads = {"repeated": [FIXED], "varied": varied(servers["head"].port, TOKEN)}
                results = _measure(servers, workloads, args.seconds, args.rounds)
            finally:
                for server in servers.values():
                    server.stop()
    except BenchError as exc:
        print(f"bench.against_commit: {exc}", file=sys.stderr)
        return 2
    ok = _report(results, args.rev, args.min_ratio, args.p99_slack_ms)
    print(
        f"{'PASS' if ok else 'FAIL'}: HEAD against {args.rev} (wrk, worst round of {args.rounds})"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
