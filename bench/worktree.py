"""An earlier commit of this repository, checked out beside it for a benchmark to run.

``against_commit`` and ``in_process`` compare this checkout with ``--rev`` in one run; both
need the commit's files in a temporary git worktree, removed afterwards whatever happens.
"""

from __future__ import annotations

import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from bench.servers import ROOT, BenchError


@contextmanager
def checked_out(rev: str) -> Iterator[Path]:
    """The directory of a temporary worktree at ``rev``; :class:`BenchError` (one line) when
    git cannot check it out (an unknown commit, not a git checkout)."""
    with tempfile.TemporaryDirectory(prefix="bench-rev-") as scratch:
        source = Path(scratch) / "checkout"
        added = subprocess.run(
            ["git", "-C", str(ROOT), "worktree", "add", "--detach", "-q", str(source), rev],
            capture_output=True, text=True, check=False,
        )  # fmt: skip
        if added.returncode != 0:
            reason = (added.stderr.strip().splitlines() or ["git failed"])[-1]
            raise BenchError(f"cannot check out {rev!r}: {reason}")
        try:
            yield source
        finally:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force",
                            str(source)], capture_output=True, check=False)  # fmt: skip
