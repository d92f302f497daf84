"""Start-up cost of ``grades-mock --generate N``: time and peak memory to build the records.

    .venv/bin/python bench/mock_generate.py 1000000

Builds the store exactly as ``create_app`` does (``load_store``), in this process, and prints
the seconds, the peak resident set size and the size of the records' JSON.
"""

from __future__ import annotations

import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from grades_kit.contract.loader import load_contract  # noqa: E402
from grades_kit.mock_server import Settings  # noqa: E402
from grades_kit.mock_server.app import load_store  # noqa: E402


def main(argv: list[str]) -> int:
    n = int(argv[0]) if argv else 1_000_000
    contract = load_contract()
    started = time.perf_counter()
    store = load_store(Settings(generate=n, seed=1), contract)
    elapsed = time.perf_counter() - started
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    json_mb = store.dump_length() / 2**20
    print(f"{n} records: {elapsed:.2f} s, peak RSS {peak_mb:.0f} MB, JSON {json_mb:.0f} MB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
