"""The records being served, swappable at run time (admin API, ``--watch``).

A :class:`RecordStore` is immutable; changing the data means building a new one and swapping
it in here. A request reads :meth:`DataSet.current` once, so it sees one whole data set, old
or new, never a mix.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from grades_kit.mock_server.store import RecordStore


class DataSet:
    """Holds the current :class:`RecordStore`; swaps are atomic and serialised."""

    def __init__(self, store: RecordStore) -> None:
        self._store = store
        self._lock = threading.Lock()

    def current(self) -> RecordStore:
        return self._store  # one attribute read: atomic

    def swap(self, store: RecordStore) -> None:
        with self._lock:
            self._store = store

    def update(self, change: Callable[[RecordStore], RecordStore]) -> RecordStore:
        """Replace the store by ``change(current)``, with no other swap in between."""
        with self._lock:
            self._store = change(self._store)
            return self._store
