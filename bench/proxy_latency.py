"""What ``grades-mock proxy`` adds to a request: p50/p99 through the proxy vs the mock direct.

Run: ``python -m bench.proxy_latency [--seconds S] [--rounds R]``. One mock (bundled
fixtures, granian) and one proxy in front of it; each workload is measured direct and
proxied in alternating rounds on one keep-alive connection (latency, not throughput), so
both sides see the same machine state. Prints a markdown table for docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from bench.loadgen import LoadResult, Request, percentile_ms, run_load
from bench.servers import HOST, VENV_BIN, BenchError, Server, free_port, mock_argv, start
from grades_kit.contract.loader import GRADES_PATH

TOKEN = "bench-token"
AUTH = (("Authorization", f"Bearer {TOKEN}"),)
WORKLOADS: dict[str, Request] = {
    "unfiltered list (166 records)": Request(GRADES_PATH, AUTH),
    "course filter": Request(f"{GRADES_PATH}?course_id=course-v1:MOOCit-demo-1", AUTH),
    "401 (no token)": Request(GRADES_PATH, (), expect_status=401),
}


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        mock, proxy = _start_both()
    except BenchError as exc:
        print(f"bench.proxy_latency: {exc}", file=sys.stderr)
        return 2
    try:
        rows = [_measure(name, request, mock, proxy, args) for name, request in WORKLOADS.items()]
    finally:
        proxy.stop()
        mock.stop()
    print(_table(rows, args))
    return 0


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m bench.proxy_latency", description=__doc__)
    p.add_argument("--seconds", type=float, default=2.0, help="per round and side (default 2)")
    p.add_argument("--rounds", type=int, default=3, help="alternating rounds (default 3)")
    return p


def _start_both() -> tuple[Server, Server]:
    mock_port, proxy_port = free_port(), free_port()
    ready = Request(GRADES_PATH, AUTH)
    mock = start("mock", mock_argv(mock_port, TOKEN, ["--no-access-log"]), mock_port, ready, 30)
    argv = [str(VENV_BIN / "grades-mock"), "proxy", "--port", str(proxy_port),
            "--upstream", f"http://{HOST}:{mock_port}"]  # fmt: skip
    try:
        return mock, start("proxy", argv, proxy_port, ready, 30)
    except BenchError:
        mock.stop()
        raise


def _measure(
    name: str, request: Request, mock: Server, proxy: Server, args: argparse.Namespace
) -> tuple[str, LoadResult, LoadResult]:
    direct, proxied = LoadResult(0.0), LoadResult(0.0)
    for _ in range(args.rounds):
        direct.merge(run_load(HOST, mock.port, [request], 1, args.seconds))
        proxied.merge(run_load(HOST, proxy.port, [request], 1, args.seconds))
    for side, result in (("direct", direct), ("proxied", proxied)):
        if result.errors or not result.requests:
            raise SystemExit(f"{name} {side}: {result.errors} errors ({result.first_error})")
    return name, direct, proxied


def _table(rows: list[tuple[str, LoadResult, LoadResult]], args: argparse.Namespace) -> str:
    lines = [
        f"{args.rounds} alternating rounds x {args.seconds:g} s per side, one connection",
        "",
        "| workload | direct p50 | proxied p50 | added p50 | direct p99 | proxied p99 "
        "| added p99 | p50 ratio |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name, direct, proxied in rows:
        d50, d99 = (percentile_ms(direct.latencies_ns, q) for q in (0.5, 0.99))
        p50, p99 = (percentile_ms(proxied.latencies_ns, q) for q in (0.5, 0.99))
        lines.append(
            f"| {name} | {d50:.2f} ms | {p50:.2f} ms | +{p50 - d50:.2f} ms | {d99:.2f} ms "
            f"| {p99:.2f} ms | +{p99 - d99:.2f} ms | {p50 / d50:.1f}x |"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
