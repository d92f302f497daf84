"""Sticky scenarios: "the next K grades requests (matching a query) get status S / delay D".

Set through the admin API, so an end-to-end test can make the app under test meet an error
or a slow answer without the app sending any special header. Scenarios are consumed in the
order they were added; the first one matching a request is used and counts down.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any


@dataclass(frozen=True)
class Scenario:
    remaining: int
    status: int | None
    delay_ms: int
    match: dict[str, str]

    def applies_to(self, query: Mapping[str, str]) -> bool:
        return all(query.get(name) == value for name, value in self.match.items())

    def as_json(self) -> dict[str, Any]:
        return {
            "remaining": self.remaining,
            "status": self.status,
            "delay_ms": self.delay_ms,
            "match": self.match,
        }


class StickyScenarios:
    """The pending scenarios; thread-safe, so two requests never consume the same slot."""

    def __init__(self) -> None:
        self._pending: list[Scenario] = []
        self._lock = threading.Lock()

    def add(self, scenario: Scenario) -> None:
        with self._lock:
            self._pending.append(scenario)

    def clear(self) -> None:
        with self._lock:
            self._pending.clear()

    def pending(self) -> list[Scenario]:
        with self._lock:
            return list(self._pending)

    def take(self, query: Mapping[str, str]) -> Scenario | None:
        """Consume one use of the first scenario matching ``query`` (``None``: no scenario)."""
        if not self._pending:  # the common case, without the lock
            return None
        with self._lock:
            for position, scenario in enumerate(self._pending):
                if scenario.applies_to(query):
                    if scenario.remaining > 1:
                        self._pending[position] = replace(
                            scenario, remaining=scenario.remaining - 1
                        )
                    else:
                        del self._pending[position]
                    return scenario
        return None
