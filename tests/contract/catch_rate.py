"""Run the contract suite against every broken server of the catalogue; print the catch rate.

    .venv/bin/python -m tests.contract.catch_rate [--profile smoke] [--workers 2]

Prints a markdown table (defect, exit code, rules named in the output, seconds) and the catch
rate: a defect counts as caught when the run exits 1 AND names the catalogue's expected rule.
``test_catalogue.py`` runs the same function and asserts on the same outcomes.
"""

from __future__ import annotations

import argparse
import logging
import re
import subprocess
import sys
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from tests.contract.broken_servers import CATALOGUE, BrokenServer
from tests.servers import serve_in_thread

GRADES_CONTRACT = str(Path(sys.executable).with_name("grades-contract"))
TOKEN = "local-dev-token"
RULE = re.compile(r"(?:^|[\s:])\[([a-z][a-z-]*(?:/[^\]\s]+)?)\] ", re.MULTILINE)
SCHEMATHESIS_TITLE = re.compile(r"- (ST\d+ [A-Z][^\n|]{3,80}?)\s*$", re.MULTILINE)
RUN_TIMEOUT_S = 120


@dataclass(frozen=True)
class Outcome:
    server: BrokenServer
    exit_code: int
    output: str
    seconds: float

    @property
    def rules(self) -> list[str]:
        """The rule names the output cites: ours in brackets, Schemathesis' failure titles."""
        named = set(RULE.findall(self.output)) | set(SCHEMATHESIS_TITLE.findall(self.output))
        return sorted(named)

    @property
    def caught(self) -> bool:
        return self.exit_code == 1 and self.server.expected_rule in self.output


def run_contract(base_url: str, *args: str, token: str = TOKEN) -> subprocess.CompletedProcess[str]:
    """The real console script, as a CI job would call it."""
    return subprocess.run(
        [GRADES_CONTRACT, "--base-url", base_url, "--token", token, *args],
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT_S,
        check=False,
    )


def run_one(server: BrokenServer, profile: str) -> Outcome:
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # no access log per request
    started = time.perf_counter()
    with serve_in_thread(server.build()) as url:
        done = run_contract(url, "--profile", profile)
    return Outcome(
        server, done.returncode, done.stdout + done.stderr, time.perf_counter() - started
    )


def run_catalogue(
    servers: Sequence[BrokenServer] = CATALOGUE, profile: str = "smoke", workers: int = 2
) -> list[Outcome]:
    """Every server in its own thread-served instance, ``workers`` suite runs at a time."""
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(lambda server: run_one(server, profile), servers))


def markdown_table(outcomes: Sequence[Outcome]) -> str:
    caught = sum(o.caught for o in outcomes)
    lines = [
        "| Defect (one per server) | Exit | Expected rule named | Rules named in the output | s |",
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
    parser.add_argument("--profile", default="smoke", choices=("smoke", "ci", "fuzz"))
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args(argv)
    started = time.perf_counter()
    outcomes = run_catalogue(profile=args.profile, workers=args.workers)
    print(markdown_table(outcomes))
    print(
        f"\nProfile {args.profile}, {args.workers} runs at a time, "
        f"{time.perf_counter() - started:.0f} s wall clock in total."
    )
    return 0 if all(o.caught for o in outcomes) else 1


if __name__ == "__main__":
    sys.exit(main())
