"""Why the store is one JSON buffer with integer indexes: memory and query cost, measured.

    .venv/bin/python bench/store_layout.py 100000     # ~1 min; N records, default 100,000

The same N generated records are held three ways, each built from the same parsed records:
Python dicts with per-course/per-learner lists (the obvious layout, rendered with orjson per
query), one ``bytes`` object per record with index lists, and the store itself (one
``bytearray`` of pre-serialised records, ``array`` offsets and posting lists). For each it
prints the memory the layout holds (``tracemalloc``: every allocation of the interpreter,
after the temporaries are freed), the cost of one filtered query (by course and by learner,
16 keys, best of 20), and how much memory a forked worker copies once it has answered every
course and learner (Linux only: ``/proc/self/smaps_rollup``). Compare the ratios.
"""

from __future__ import annotations

import gc
import os
import sys
import time
import tracemalloc
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from grades_kit.contract.loader import load_contract  # noqa: E402
from grades_kit.mock_server.generator import RecordGenerator  # noqa: E402
from grades_kit.mock_server.store import StoreBuilder  # noqa: E402

KEYS = 8
REPEATS = 20
Query = Callable[[str, str], bytes]
"""A filtered query: ``(field, value)`` with field ``course_id`` or ``username``."""


def as_dicts(records: list[dict[str, Any]]) -> Query:
    index: dict[str, dict[str, list[dict[str, Any]]]] = {
        "course_id": defaultdict(list), "username": defaultdict(list)
    }  # fmt: skip
    for record in records:
        for field, postings in index.items():
            postings[record[field]].append(record)
    return lambda field, value: orjson.dumps(index[field][value])


def as_bytes(records: list[dict[str, Any]]) -> Query:
    # A compact copy: orjson's output keeps its 4 KB working buffer (measured: 100,000 small
    # outputs hold 390 MB), fine for an answer sent at once, ruinous for stored records.
    blobs = [bytes(memoryview(orjson.dumps(r))) for r in records]
    index: dict[str, dict[str, list[int]]] = {
        "course_id": defaultdict(list),
        "username": defaultdict(list),
    }
    for position, record in enumerate(records):
        for field, postings in index.items():
            postings[record[field]].append(position)
    return lambda field, value: b"[" + b",".join([blobs[i] for i in index[field][value]]) + b"]"


def as_store(records: list[dict[str, Any]]) -> Query:
    builder = StoreBuilder()
    for record in records:
        learner, course = builder.learner(record["username"]), builder.course(record["course_id"])
        builder.add(learner, course, orjson.dumps(record))
    store = builder.build()

    def query(field: str, value: str) -> bytes:
        course, learner = (value, None) if field == "course_id" else (None, value)
        return store.render(store.matching(course, learner))

    return query


LAYOUTS = {"dicts + lists": as_dicts, "bytes per record": as_bytes, "buffer + arrays": as_store}


def measure(
    dump: bytes, build: Callable[[list[dict[str, Any]]], Query]
) -> tuple[float, float, float]:
    """MB held by the layout (temporaries freed), us per filtered query (best of 20), and MB a
    forked worker copies while it answers every course and learner once."""
    gc.collect()
    tracemalloc.start()
    records = orjson.loads(dump)
    step = max(1, len(records) // KEYS)
    fields = ("course_id", "username")
    keys = [(field, r[field]) for field in fields for r in records[::step][:KEYS]]

    query = build(records)
    del records
    gc.collect()
    held_mb = tracemalloc.get_traced_memory()[0] / 2**20
    tracemalloc.stop()
    best = float("inf")
    for _ in range(REPEATS):
        started = time.perf_counter()
        for field, value in keys:
            query(field, value)
        best = min(best, (time.perf_counter() - started) / len(keys))
    # The keys from a parse of their own: strings shared with the layout would be written to
    # (reference counts) by the loop itself and blur what the layout costs.
    every_key = sorted({(f, r[f]) for f in fields for r in orjson.loads(dump)})
    return held_mb, best * 1e6, copied_by_a_worker(query, every_key)


def copied_by_a_worker(query: Query, keys: list[tuple[str, str]]) -> float:
    """Fork, answer every key in the child: its private dirty memory growth, in MB.

    The mock's workers are forked after loading; pages they write to stop being shared.
    Reference counting writes to every object a query touches, a buffer slice does not.
    """
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: measure, report, leave without any cleanup
        gc.disable()
        for _field, _value in keys:  # the loop's own writes (reference counts) come first
            pass
        before = _private_dirty_kb()
        for field, value in keys:
            query(field, value)
        os.write(write_end, str(_private_dirty_kb() - before).encode())
        os._exit(0)
    os.close(write_end)
    grown_kb = int(os.read(read_end, 64) or b"0")
    os.close(read_end)
    os.waitpid(pid, 0)
    return grown_kb / 1024


def _private_dirty_kb() -> int:
    for line in Path("/proc/self/smaps_rollup").read_text().splitlines():
        if line.startswith("Private_Dirty:"):
            return int(line.split()[1])
    return 0


def main(argv: list[str]) -> int:
    n = int(argv[0]) if argv else 100_000
    store = RecordGenerator(load_contract(), 20240601).store(n)
    dump = b"".join(store.dump())
    del store
    print(f"{n:,} records, {len(dump) / 2**20:.1f} MB of JSON")
    print(f"{'layout':<18} {'held MB':>8} {'us/query':>9} {'worker copies MB':>17}")
    for name, build in LAYOUTS.items():
        held, us, copied = measure(dump, build)
        print(f"{name:<18} {held:>8.1f} {us:>9.1f} {copied:>17.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
