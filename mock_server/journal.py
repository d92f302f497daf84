"""The admin API's request journal: the last N requests, so a UI test can assert its calls.

Only method, path, query, status, time and duration are kept: never a header, so never
the token.
"""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class Entry:
    method: str
    path: str
    query: dict[str, list[str]]
    status: int
    time: str
    """When the request arrived, ISO 8601 UTC."""
    ms: float

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


class Journal:
    """A bounded, thread-safe log of requests, oldest first."""

    def __init__(self, size: int) -> None:
        self._entries: deque[Entry] = deque(maxlen=size)
        self._lock = threading.Lock()

    def add(self, entry: Entry) -> None:
        with self._lock:
            self._entries.append(entry)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def entries(
        self, method: str | None = None, path: str | None = None, status: int | None = None
    ) -> list[Entry]:
        """The entries matching every given filter (method case-insensitive, path exact)."""
        with self._lock:
            found = list(self._entries)
        return [
            e
            for e in found
            if (method is None or e.method == method.upper())
            and (path is None or e.path == path)
            and (status is None or e.status == status)
        ]
