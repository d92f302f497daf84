"""``--watch``: reload the fixture files when they change, without a restart.

Polling every half second (no dependency, works on every file system and in containers):
a change of any file's size or modification time, or of a folder's ``*.json`` list, reloads
everything. The new data replaces the old in one swap only if all of it is valid; an
invalid edit keeps the previous data serving and logs why.

The mock runs one worker process with ``--watch`` (``Settings.worker_count``): one poller,
one parse, one swap, so no two requests can ever see two data sets. Workers polling on their
own reloaded up to a poll interval apart, a window in which two requests disagreed.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Iterable
from pathlib import Path

from grades_kit.contract.loader import Contract
from grades_kit.mock_server.dataset import DataSet
from grades_kit.mock_server.fixtures import FixtureError, fixture_files, load_fixtures

POLL_S = 0.5
RELOAD_REFUSED = "fixtures not reloaded, still serving the previous data: %s"
log = logging.getLogger("grades_mock.watch")

Signature = tuple[tuple[str, int, int], ...] | str


class FixtureWatcher:
    """Polls the fixture files in a daemon thread and swaps in valid new data."""

    def __init__(
        self, paths: Iterable[Path], contract: Contract, data: DataSet, interval: float = POLL_S
    ) -> None:
        self._paths = tuple(paths)
        self._contract = contract
        self._data = data
        self._interval = interval
        self._seen = self._signature()
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._pid: int | None = None

    def ensure_running(self) -> None:
        """Start the thread in this process (after a fork too: threads do not survive it)."""
        if self._pid == os.getpid():
            return
        with self._lock:
            if self._pid != os.getpid():
                self._pid = os.getpid()
                name = "grades-mock-watch"
                threading.Thread(target=self._run, name=name, daemon=True).start()

    def stop(self) -> None:
        self._stop.set()

    def poll_once(self) -> bool:
        """Reload if anything changed since the last look; whether new data is served."""
        signature = self._signature()
        if signature == self._seen:
            return False
        self._seen = signature
        try:
            store = load_fixtures(self._paths, self._contract)
        except FixtureError as exc:
            log.warning(RELOAD_REFUSED, exc)
            return False
        self._data.swap(store)
        log.info("fixtures reloaded: %d records", len(store))
        return True

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            try:
                self.poll_once()
            except Exception:  # never let the thread die: the next poll may succeed
                log.exception("fixture watch failed")

    def _signature(self) -> Signature:
        try:
            files = fixture_files(self._paths)
            return tuple((str(f), *_stat(f)) for f in files)
        except (FixtureError, OSError) as exc:
            return str(exc)


def _stat(path: Path) -> tuple[int, int]:
    info = path.stat()
    return info.st_mtime_ns, info.st_size
