"""``python -m bench``: run the benchmark, print its tables and targets, write the JSON results.

Exit codes: 0 measured (targets are reported, not enforced, unless ``--strict``), 1 a load
run saw errors, a compared pair's answers differ (the comparison would be meaningless), or
``--strict`` and a target was missed, 2 the benchmark could not run (a server did not start,
a tool is missing): one line on stderr, never a traceback.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import json
import os
import platform
import subprocess
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from bench.compare import compare, engines, generator_ceiling
from bench.encoders import encoders
from bench.plan import FULL, QUICK, Plan
from bench.report import render
from bench.scaling import scaling
from bench.servers import PRISM, ROOT, BenchError
from bench.slow import slow_answers
from bench.suite import suite_speed
from bench.targets import judge
from bench.wrk import WRK
from grades_kit.contract.loader import Contract, SpecError, load_contract

DEFAULT_OUTPUT = ROOT / "bench" / "results" / "latest.json"
SECTIONS = ("generator", "encoders", "compare", "slow", "engines", "scaling", "suite")


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    p.add_argument(
        "--quick", action="store_true", help="a few seconds: the harness works, no verdict"
    )
    p.add_argument(
        "--output",
        type=Path,
        help=f"JSON results (default: {DEFAULT_OUTPUT.relative_to(ROOT)}; "
        "quick mode writes none unless given)",
    )
    p.add_argument(
        "--skip", default="", help=f"comma-separated sections to skip: {', '.join(SECTIONS)}"
    )
    p.add_argument(
        "--prism",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="compare with Prism (default: yes, except in quick mode)",
    )
    p.add_argument("--sizes", help="comma-separated --generate sizes (default 1000,100000,1000000)")
    p.add_argument("--seconds", type=float, help="length of one measured load run")
    p.add_argument("--rounds", type=int, help="A B rounds per workload")
    p.add_argument("--connections", help="comma-separated connection counts (default 8,32)")
    p.add_argument(
        "--wrk",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="measure with wrk, the reference (default: yes, except in quick mode)",
    )
    p.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    return p  # fmt: skip


def plan_from(args: argparse.Namespace) -> tuple[Plan, frozenset[str]]:
    plan = QUICK if args.quick else FULL
    skip = frozenset(s.strip() for s in args.skip.split(",") if s.strip())
    if unknown := skip - set(SECTIONS):
        raise BenchError(f"--skip: unknown section(s) {', '.join(sorted(unknown))}")
    changes: dict[str, Any] = {k: v for k, v in (
        ("seconds", args.seconds), ("rounds", args.rounds), ("prism", args.prism),
        ("wrk", args.wrk)) if v is not None}  # fmt: skip
    for name in ("sizes", "connections"):
        if getattr(args, name):
            changes[name] = _integers(name, getattr(args, name))
    plan = dataclasses.replace(plan, **changes)
    if plan.seconds <= 0 or plan.rounds < 1 or min(plan.connections, default=0) < 1:
        raise BenchError("--seconds, --rounds and --connections must be positive")
    if plan.wrk and not os.path.exists(WRK):
        raise BenchError(f"wrk is not installed ({WRK}): apt-get install wrk, or pass --no-wrk")
    if plan.quick:
        skip |= {"suite", "engines"}  # minutes, or eight servers: not for the few-second mode
    return plan, skip


def _integers(name: str, text: str) -> tuple[int, ...]:
    try:
        return tuple(int(n) for n in text.split(","))
    except ValueError as exc:
        raise BenchError(f"--{name}: {text!r} is not a comma-separated list of integers") from exc


def run(plan: Plan, skip: frozenset[str], contract: Contract) -> dict[str, Any]:
    steps: dict[str, Callable[[Plan, Contract], Any]] = {
        "generator": lambda p, c: generator_ceiling(p),
        "encoders": encoders,
        "compare": compare,
        "slow": slow_answers,
        "engines": engines,
        "scaling": scaling,
        "suite": suite_speed,
    }
    results: dict[str, Any] = {"meta": _meta(plan)}
    for name, step in steps.items():
        if name not in skip:
            print(f"bench: {name} ...", file=sys.stderr, flush=True)
            results[name] = step(plan, contract)
    results["meta"]["load_average_after"] = list(os.getloadavg())
    return results


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        plan, skip = plan_from(args)
        results = run(plan, skip, load_contract())
    except (BenchError, SpecError) as exc:
        print(f"bench: error: {exc}", file=sys.stderr)
        return 2
    verdicts = judge(results)
    results["targets"] = [v.as_json() for v in verdicts]
    print(render(results, verdicts))
    output = args.output or (None if plan.quick else DEFAULT_OUTPUT)
    if output:
        _write(output, results)
    errors = _load_errors(results)
    if errors:
        print(f"bench: {errors} request(s) failed during the load runs: the numbers are invalid",
              file=sys.stderr)  # fmt: skip
        return 1
    differing = [r["name"] for r in results.get("compare", {}).get("workloads", [])
                 if r.get("same_bytes") is False]  # fmt: skip
    if differing:
        print(f"bench: the mock and Prism answered differently: {', '.join(sorted(set(differing)))}"
              ": the comparison is invalid", file=sys.stderr)  # fmt: skip
        return 1
    missed = [v.target for v in verdicts if v.status == "MISS"]
    return 1 if args.strict and missed else 0


def _meta(plan: Plan) -> dict[str, Any]:
    return {
        "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "commit": _output(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"]),
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, {platform.platform()}",
        "python": platform.python_version(),
        "prism": _output([str(PRISM), "--version"]) if plan.prism and PRISM.exists() else None,
        "load_average_before": list(os.getloadavg()),
        "plan": dataclasses.asdict(plan),
        "order": "A B, then B A (mock and Prism alternate); ratios from this one run",
        "generator": f"wrk ({WRK}), -t1" if plan.wrk else "bench/loadgen.py",
    }


def _output(argv: list[str]) -> str | None:
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=30, check=False)
    except OSError:
        return None
    return done.stdout.strip() or None


def _load_errors(results: dict[str, Any]) -> int:
    """Failed requests of every load run but the ``slow`` section's (a target of its own)."""
    runs = [results.get("generator") or {}]
    for row in results.get("compare", {}).get("workloads", []):
        runs += [row["mock"], row.get("prism") or {}]
    runs += results.get("compare", {}).get("generators", [])
    runs += results.get("engines", [])
    runs += [row["filtered"] for row in results.get("scaling", [])]
    return sum(int(r.get("errors", 0)) for r in runs)


def _write(path: Path, results: dict[str, Any]) -> None:
    """Atomically: a reader never sees half a file (``*.tmp`` is git-ignored)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    tmp.replace(path)
    print(f"bench: results written to {path}", file=sys.stderr)
