"""``make fuzz-self``: the Schemathesis CLI, every check, ``--mode all``, against a fresh mock.

Usage: ``python -m tests.hardening.fuzz_self [--max-examples N] [--seed S]``. Starts the mock
on a free loopback port, runs ``st run`` against it, stops the mock and exits with st's code.
The slow test in ``tests/mock_server/test_real_server.py`` runs the same command, smaller.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

from tests.hardening.mock_process import MockStartError, started_mock

SPEC = Path(__file__).resolve().parents[2] / "spec" / "openapi.yaml"
ST = str(Path(sys.executable).with_name("st"))
TOKEN = "local-dev-token"
"""The mock's default token: the fuzzer must get past auth to reach the filters."""


def st_command(base_url: str, max_examples: int, seed: int) -> list[str]:
    """What a QA would run: every check, positive and negative data, a fixed seed."""
    return [
        ST, "run", str(SPEC), "--url", base_url, "-H", f"Authorization: Bearer {TOKEN}",
        "--checks", "all", "--mode", "all", "--max-examples", str(max_examples),
        "--seed", str(seed), "--request-timeout", "10",
    ]  # fmt: skip


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="fuzz-self", description=__doc__.splitlines()[0])
    parser.add_argument("--max-examples", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    try:
        with started_mock() as mock:
            return subprocess.run(st_command(mock.base, args.max_examples, args.seed)).returncode
    except MockStartError as exc:
        print(f"fuzz-self: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
