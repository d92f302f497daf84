"""Run the contract suite against every broken server of the catalogue; print the catch rate.

    .venv/bin/python -m tests.contract_tests.catch_rate [--profile ci] [--workers 2] [--live]

Prints a markdown table (defect, exit code, rules named in the verdict, seconds) and the catch
rate: a defect counts as caught when the run exits 1 AND its verdict (the final line on
stderr, ``grades-contract: contract violated: RULE, ...; replay with --seed N``) names the
catalogue's expected rule. ``--live`` puts each defect around the live-data server of
``live_server.py``.
``test_catalogue.py`` runs the same function and asserts on the same outcomes.
"""

from __future__ import annotations

import argparse
import logging
import os
import re
import subprocess
import sys
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from grades_kit.mock_server import Settings, create_app
from tests.contract_tests.broken_servers import CATALOGUE, BrokenServer
from tests.contract_tests.live_server import LiveData
from tests.serve_in_thread import serve_in_thread

GRADES_CONTRACT = str(Path(sys.executable).with_name("grades-contract"))
TOKEN = "local-dev-token"
FINAL_LINE = re.compile(
    r"^grades-contract: contract violated: (?P<rules>.+?)(?: \(\+\d+ more\))?; "
    r"replay with --seed \d+$"
)
RUN_TIMEOUT_S = 120
SEED = 20240601
"""Every catalogue run uses this seed: a red run replays exactly."""


@dataclass(frozen=True)
class Outcome:
    server: BrokenServer
    exit_code: int
    output: str
    seconds: float
    stderr: str = ""

    @property
    def verdict(self) -> str:
        """The run's final line: the last line on stderr."""
        lines = self.stderr.strip().splitlines()
        return lines[-1] if lines else ""

    @property
    def rules(self) -> list[str]:
        """The rule names the final line cites (empty unless it is a violation verdict)."""
        found = FINAL_LINE.match(self.verdict)
        return found["rules"].split(", ") if found else []

    @property
    def caught(self) -> bool:
        return self.exit_code == 1 and self.server.expected_rule in self.rules


def run_contract(base_url: str, *args: str, token: str = TOKEN) -> subprocess.CompletedProcess[str]:
    """The real console script, as a CI job would call it (the token in the environment)."""
    return subprocess.run(
        [GRADES_CONTRACT, "--base-url", base_url, *args],
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT_S,
        check=False,
        env={**os.environ, "GRADES_TOKEN": token},
    )


def run_one(server: BrokenServer, profile: str, live: bool = False) -> Outcome:
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # no access log per request
    started = time.perf_counter()
    base = LiveData(create_app(Settings()), TOKEN) if live else None
    with serve_in_thread(server.build(base)) as url:
        done = run_contract(url, "--profile", profile, "--seed", str(SEED))
    return Outcome(
        server,
        done.returncode,
        done.stdout + done.stderr,
        time.perf_counter() - started,
        done.stderr,
    )


def run_catalogue(
    servers: Sequence[BrokenServer] = CATALOGUE,
    profile: str = "ci",
    workers: int = 2,
    live: bool = False,
) -> list[Outcome]:
    """Every server in its own thread-served instance, ``workers`` suite runs at a time."""
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(lambda server: run_one(server, profile, live), servers))


def markdown_table(outcomes: Sequence[Outcome]) -> str:
    caught = sum(o.caught for o in outcomes)
    lines = [
        "| Defect (one per server) | Exit | Expected rule named | Rules named in the verdict | s |",
        "|---|---|---|---|---|",
    ]
    for o in outcomes:
        named = ", ".join(f"`{rule}`" for rule in o.rules[:6])
        lines.append(
            f"| `{o.server.name}`: {o.server.defect} | {o.exit_code} | "
            f"{'yes' if o.caught else '**NO**'} | {named} | {o.seconds:.1f} |"
        )
    lines.append("")
    lines.append(
        f"Catch rate: **{caught}/{len(outcomes)}** defects caught "
        f"(exit 1 with the expected rule named)."
    )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", default="ci", choices=("smoke", "ci", "fuzz"))
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--live", action="store_true", help="around the live-data server")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    outcomes = run_catalogue(profile=args.profile, workers=args.workers, live=args.live)
    print(markdown_table(outcomes))
    data = ", data changing every 5 requests" if args.live else ""
    print(
        f"\nProfile {args.profile}, seed {SEED}{data}, {args.workers} runs at a time, "
        f"{time.perf_counter() - started:.0f} s wall clock in total."
    )
    return 0 if all(o.caught for o in outcomes) else 1


if __name__ == "__main__":
    sys.exit(main())
