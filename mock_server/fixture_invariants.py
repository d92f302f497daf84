"""What the mock makes of the spec's ``x-invariants`` when it loads records.

The rules are implemented once, in :mod:`grades_kit.contract.invariants`; here only the mock's
side of severity: strict rules are enforced on fixtures (and on records the admin API and
``grades-mock record`` take), advisory ones never (a team may load data that shows an
advisory case on purpose). Unique (username, course_id) pairs are always enforced: the
indexes rely on them.
"""

from __future__ import annotations

from typing import Any

from grades_kit.contract.invariants import InvariantEngine, Problem
from grades_kit.contract.loader import Contract

__all__ = ["UNIQUE_PAIR", "InvariantTracker", "Problem"]

UNIQUE_PAIR = "unique-learner-course"


class InvariantTracker:
    """Checks records one at a time; a rejected record is forgotten (the mock drops it)."""

    def __init__(self, contract: Contract) -> None:
        enforced = [
            inv
            for inv in contract.invariants()
            if inv.severity == "strict" or inv.id == UNIQUE_PAIR
        ]
        self._engine = InvariantEngine(contract, enforced, keep_rejected=False)

    def check(self, record: dict[str, Any]) -> Problem | None:
        """The first rule ``record`` breaks, given the records accepted before it."""
        breaches = self._engine.check(record)
        if not breaches:
            return None
        first = breaches[0]
        return first.field, f"{first.reason} [{first.invariant.id}]"
