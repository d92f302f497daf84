"""How much load one Locust process drives and judges: ``grades-contract load`` against the mock.

Run: ``python -m bench.locust_worker [--users N] [--seconds S] [--rounds R]``. One mock (bundled
fixtures, granian, access log off); ``grades-contract load`` in one process (what each worker
of a distributed run is), headless, the default request mix, judged and with ``--no-judge``
in alternating rounds. Throughput is Locust's own (its CSV's aggregated ``Requests/s``). One
Locust process is one gevent loop on one core, so when it is the bottleneck the difference
of ``1/throughput`` between the two sides is what judging costs per request; the in-process
row measures that cost directly: the answers of 2,000 requests of the default mix, fetched
once, judged again and again (best of 5). QA sizes a cluster from these: workers needed =
target requests/s / judged requests/s of one worker. Prints a markdown table.
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import requests

from bench.loadgen import Request
from bench.servers import HOST, VENV_BIN, BenchError, free_port, mock_argv, start
from grades_kit.contract.loader import GRADES_PATH, load_contract
from grades_kit.contract.passive import Judge
from grades_kit.contract_tests.load.judging import judge_answer
from grades_kit.contract_tests.load.mix import DEFAULT_WEIGHTS, Plan, draw

TOKEN = "bench-token"
SAMPLE = 2000
"""Requests of the default mix whose answers the in-process row judges."""


@dataclass(frozen=True)
class Round:
    judged: bool
    rps: float
    requests: int
    failures: int


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    port = free_port()
    ready = Request(GRADES_PATH, (("Authorization", f"Bearer {TOKEN}"),))
    try:
        mock = start("mock", mock_argv(port, TOKEN, ["--no-access-log"]), port, ready, 30)
    except BenchError as exc:
        print(f"bench.locust_worker: {exc}", file=sys.stderr)
        return 2
    url = f"http://{HOST}:{port}"
    try:
        rounds = [
            _locust_round(url, judged, args) for _ in range(args.rounds) for judged in (True, False)
        ]
        per_answer_us = _judge_cost_us(url)
    finally:
        mock.stop()
    print(_table(rounds, per_answer_us, args))
    return 0


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m bench.locust_worker", description=__doc__)
    p.add_argument("--users", type=int, default=50, help="Locust users (default 50)")
    p.add_argument("--seconds", type=int, default=10, help="per round and side (default 10)")
    p.add_argument("--rounds", type=int, default=2, help="alternating rounds (default 2)")
    return p


def _locust_round(url: str, judged: bool, args: argparse.Namespace) -> Round:
    """One headless run of the real console script; Locust's CSV says what it did."""
    with tempfile.TemporaryDirectory(prefix="bench-locust-") as folder:
        prefix = str(Path(folder) / "run")
        command = [
            str(VENV_BIN / "grades-contract"), "load", "--base-url", url, "--headless",
            "--users", str(args.users), "--spawn-rate", str(args.users),
            "--run-time", f"{args.seconds}s", "--csv", prefix, "--only-summary",
        ]  # fmt: skip
        if not judged:
            command.append("--no-judge")
        done = subprocess.run(
            command,
            capture_output=True,
            text=True,
            timeout=args.seconds + 120,
            check=False,
            env={**os.environ, "GRADES_TOKEN": TOKEN},
        )
        if done.returncode != 0:
            tail = (done.stdout + done.stderr).strip().splitlines()[-3:]
            raise SystemExit(f"bench.locust_worker: exit {done.returncode}: {' / '.join(tail)}")
        with open(f"{prefix}_stats.csv", newline="") as stats:
            total = next(row for row in csv.DictReader(stats) if row["Name"] == "Aggregated")
    return Round(
        judged,
        float(total["Requests/s"]),
        int(total["Request Count"]),
        int(total["Failure Count"]),
    )


def _judge_cost_us(url: str) -> float:
    """Microseconds to judge one answer of the default mix, in this process (best of 5)."""
    session = requests.Session()
    first = session.get(url + GRADES_PATH, headers={"Authorization": f"Bearer {TOKEN}"})
    plan, rng = Plan.from_records(first.json()), random.Random(1)
    answers = []
    for _ in range(SAMPLE):
        request = draw(plan, DEFAULT_WEIGHTS, TOKEN, rng)
        sent = {**request.headers}
        if request.token is not None:
            sent["Authorization"] = f"Bearer {TOKEN}" if request.token == "valid" else request.token
        target = url + GRADES_PATH + (f"?{request.query}" if request.query else "")
        answer = session.request(request.method, target, headers=sent)
        answers.append((request, sent, answer.status_code, answer.headers, answer.content))
    judge = Judge(load_contract())
    best = float("inf")
    for _ in range(5):
        started = time.perf_counter()
        for request, sent, status, headers, body in answers:
            judge_answer(judge, request, sent, status, headers, body)
        best = min(best, time.perf_counter() - started)
    return best / len(answers) * 1e6


def _table(rounds: list[Round], per_answer_us: float, args: argparse.Namespace) -> str:
    judged = [r for r in rounds if r.judged]
    unjudged = [r for r in rounds if not r.judged]
    on, off = (sum(r.rps for r in side) / len(side) for side in (judged, unjudged))
    lines = [
        f"One Locust process, {args.users} users, {args.rounds} alternating rounds x "
        f"{args.seconds} s per side, the default mix, against the mock (granian, access log off)",
        "",
        f"Load average at the end: {', '.join(f'{x:.1f}' for x in os.getloadavg())} "
        f"({os.cpu_count()} cores): other work on the machine lowers both sides.",
        "",
        "| side | req/s (each round) | mean req/s | ms per request (1 / mean) |",
        "|---|---|---|---|",
        _row("validation on", judged, on),
        _row("validation off (--no-judge)", unjudged, off),
        "",
        f"Validation cost: {1000 / on - 1000 / off:.3f} ms per request from the throughputs "
        f"(1/on - 1/off); {per_answer_us:.0f} us per answer judged in-process (the default mix, "
        f"{SAMPLE} answers, best of 5).",
    ]
    failures = sum(r.failures for r in rounds)
    if failures:
        lines.append(f"(Locust counted {failures} failures: the mock broke the contract?)")
    return "\n".join(lines)


def _row(name: str, rounds: list[Round], mean: float) -> str:
    each = ", ".join(f"{r.rps:,.0f}" for r in rounds)
    return f"| {name} | {each} | {mean:,.0f} | {1000 / mean:.3f} |"


if __name__ == "__main__":
    raise SystemExit(main())
