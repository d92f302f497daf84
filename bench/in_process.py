"""The mock's own Python cost per request, in this process: its RSGI front, no socket, no engine.

    .venv/bin/python -m bench.in_process [--rev COMMIT] [--requests 20000] [--repeats 5]

wrk measures what a client sees: granian's Rust side, the hand-off between its threads and
the worker's event loop, and whatever else the machine runs. This isolates the part the
mock's code decides: ``Pipeline.__rsgi__`` (the front granian calls) awaited on an event
loop with a protocol that only records the answer, for the issue's repeated request, the
varied queries (every course and learner of the bundled fixtures in turn), a 401 and a
``Prefer: example=``; microseconds per request, best of ``--repeats`` (the minimum is the
least disturbed by other processes). Access log on, as shipped, queued to ``/dev/null``.

Each repeat runs in a fresh child process. ``--rev`` measures an earlier commit the same way
in the same run, alternating with this checkout: it checks the commit out into a temporary
git worktree and runs this file on that commit's ``grades_kit`` (``PYTHONPATH``; this file
imports nothing else from a checkout).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import time
from collections.abc import Sequence
from contextlib import ExitStack
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures" / "grades.json"
TOKEN = "bench-token"
HEADERS = {"host": "127.0.0.1:8080", "user-agent": "wrk", "accept": "*/*"}


class Scope:
    """What granian passes for one HTTP/1.1 GET on loopback."""

    def __init__(self, path: str, query: dict[str, str], headers: dict[str, str]) -> None:
        self.proto, self.http_version, self.scheme, self.method = "http", "1.1", "http", "GET"
        self.server, self.client = "127.0.0.1:8080", "127.0.0.1:50000"
        self.path, self.query_string = path, urlencode(query)
        self.headers = {**HEADERS, **headers}


class Protocol:
    """granian's transport, reduced to counting what the pipeline sends."""

    def __init__(self) -> None:
        self.statuses: dict[int, int] = {}

    async def __call__(self) -> bytes:
        return b""

    def response_bytes(self, status: int, headers: Any, body: bytes) -> None:
        self.statuses[status] = self.statuses.get(status, 0) + 1


def workloads(path: str) -> dict[str, list[Scope]]:
    """The requests of each workload, on the grades ``path``."""
    records = json.loads(FIXTURES.read_text(encoding="utf-8"))
    courses = sorted({r["course_id"] for r in records})
    learners = sorted({r["username"] for r in records})
    auth = {"authorization": f"Bearer {TOKEN}"}
    course = {"course_id": "course-v1:MOOCit-demo-1"}
    varied = [Scope(path, {"course_id": c}, auth) for c in courses]
    varied += [Scope(path, {"username": u}, auth) for u in learners]
    return {
        "repeated (course filter)": [Scope(path, course, auth)],
        "varied filtered queries": varied,
        "401 no token": [Scope(path, course, {})],
        "Prefer example=all": [Scope(path, {}, {**auth, "prefer": "example=all"})],
    }


def measure(requests: int, source: Path) -> dict[str, float]:
    """Microseconds per request of each workload on ``source``'s ``grades_kit``."""
    import grades_kit

    imported = Path(grades_kit.__file__ or "").resolve()
    if not imported.is_relative_to(source.resolve()):  # e.g. a commit before the package
        raise SystemExit(f"no grades_kit package there (found the one in {imported.parent})")
    from grades_kit.contract.loader import GRADES_PATH
    from grades_kit.mock_server.app import access_log, create_app
    from grades_kit.mock_server.settings import Settings

    app = create_app(Settings(tokens=(TOKEN,)))
    devnull = open(os.devnull, "w", encoding="utf-8")  # noqa: SIM115 - lives with the run
    access_log(app).write_to(devnull)
    pipeline: Any = app.wsgi_app
    loop = asyncio.new_event_loop()
    pipeline.__rsgi_init__(loop)
    protocol = Protocol()

    async def run(scopes: list[Scope]) -> None:
        for index in range(requests):
            await pipeline.__rsgi__(scopes[index % len(scopes)], protocol)

    found: dict[str, float] = {}
    for name, scopes in workloads(GRADES_PATH).items():
        loop.run_until_complete(run(scopes[:50]))  # warm: caches, lazy imports
        started = time.perf_counter()
        loop.run_until_complete(run(scopes))
        found[name] = (time.perf_counter() - started) / requests * 1e6
        loop.run_until_complete(asyncio.sleep(0.03))  # the access log's timer fires
    pipeline.__rsgi_del__(loop)
    loop.close()
    devnull.close()
    if set(protocol.statuses) != {200, 401}:
        raise SystemExit(f"unexpected answers: {protocol.statuses}")  # the parent prints it
    return found


def _in_child(label: str, source: Path, requests: int) -> dict[str, float]:
    """One repeat of :func:`measure` in a fresh process, on ``source``'s ``grades_kit``."""
    from bench.servers import BenchError  # not at the top: the child runs without this checkout

    # -P: neither this file's directory nor the working directory go first on the path.
    argv = [sys.executable, "-P", __file__, "--child", str(source), "--requests", str(requests)]
    env = {**os.environ, "PYTHONPATH": str(source)}
    done = subprocess.run(argv, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        tail = done.stderr.strip().splitlines()[-1:] or ["no output"]
        raise BenchError(f"{label} could not be measured: {tail[0]}")
    found: dict[str, float] = json.loads(done.stdout)
    return found


def _compare(sources: dict[str, Path], requests: int, repeats: int) -> dict[str, dict[str, float]]:
    """Best of ``repeats`` per side and workload, the sides alternating (A B, B A, ...)."""
    best: dict[str, dict[str, float]] = {side: {} for side in sources}
    order = list(sources)
    for repeat in range(repeats):
        for side in order if repeat % 2 == 0 else order[::-1]:
            for name, us in _in_child(side, sources[side], requests).items():
                best[side][name] = min(best[side].get(name, us), us)
    return best


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rev", help="also measure this earlier commit, alternating")
    parser.add_argument("--requests", type=int, default=20_000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(measure(args.requests, args.child)))
        return 0
    from bench.servers import BenchError  # not at the top: the child runs without this checkout
    from bench.worktree import checked_out

    try:
        with ExitStack() as stack:
            sources = {"HEAD": ROOT}
            if args.rev:
                sources[args.rev] = stack.enter_context(checked_out(args.rev))
            sides = _compare(sources, args.requests, args.repeats)
    except BenchError as exc:
        print(f"bench.in_process: {exc}", file=sys.stderr)
        return 2
    names = list(sides["HEAD"])
    header = "| workload | " + " | ".join(f"{side} us" for side in sides)
    print(header + (" | ratio |" if args.rev else " |"))
    print("|---" * (len(sides) + 1 + bool(args.rev)) + "|")
    for name in names:
        cells = " | ".join(f"{sides[side][name]:.1f}" for side in sides)
        ratio = f" | {sides[args.rev][name] / sides['HEAD'][name]:.2f}x" if args.rev else ""
        print(f"| {name} | {cells}{ratio} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
