"""The strict ``x-invariants`` of the contract that the mock enforces on fixtures.

The spec states these rules in words; each id the mock knows maps to one small check here.
A strict rule the mock does not know is skipped (the contract suite still checks it), an
advisory one is never enforced: a team may load data that shows an advisory case on purpose.
Unique (username, course_id) pairs are always enforced: the indexes rely on them.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from spec.loader import Contract

Problem = tuple[str, str]
"""(field, reason)"""

TIMESTAMP_FORMATS = ("%Y-%m-%d %H:%M:%S.%f", "%Y-%m-%d %H:%M:%S")
UNIQUE_PAIR = "unique-learner-course"


class InvariantTracker:
    """Checks records one at a time, remembering what cross-record rules need."""

    def __init__(self, contract: Contract) -> None:
        declared = {inv.id for inv in contract.invariants() if inv.severity == "strict"}
        self._checks = [check for rule, check in _RECORD_CHECKS.items() if rule in declared]
        self._groups = [
            (rule, key, value) for rule, (key, value) in _SAME_VALUE.items() if rule in declared
        ]
        self._seen: dict[tuple[str, str], Any] = {}
        self._pairs: set[tuple[str, str]] = set()

    def check(self, record: dict[str, Any]) -> Problem | None:
        """The first rule ``record`` breaks, given the records checked before it."""
        for check in self._checks:
            problem = check(record)
            if problem:
                return problem
        pair = (record["username"], record["course_id"])
        if pair in self._pairs:
            return "course_id", f"duplicate (username, course_id) pair {pair!r} [{UNIQUE_PAIR}]"
        self._pairs.add(pair)
        for rule, key, value in self._groups:
            first = self._seen.setdefault((key, record[key]), record[value])
            if first != record[value]:
                reason = f"{record[value]!r} differs from {first!r} for {key} {record[key]!r}"
                return value, f"{reason} [{rule}]"
        return None


def _real_instant(record: dict[str, Any]) -> Problem | None:
    stamp = record.get("passed_timestamp")
    if stamp is None:
        return None
    for fmt in TIMESTAMP_FORMATS:
        try:
            datetime.strptime(stamp, fmt)
            return None
        except ValueError:
            continue
    return "passed_timestamp", f"{stamp!r} is not a real date and time"


def _letter_needs_timestamp(record: dict[str, Any]) -> Problem | None:
    if record.get("letter_grade") and record.get("passed_timestamp") is None:
        return "passed_timestamp", "null although letter_grade is not empty"
    return None


def _percent_in_range(record: dict[str, Any]) -> Problem | None:
    try:
        in_range = 0 <= float(record["percent_grade"]) <= 1
    except (KeyError, TypeError, ValueError):
        in_range = False
    return None if in_range else ("percent_grade", "not a number in [0, 1]")


_RECORD_CHECKS: dict[str, Callable[[dict[str, Any]], Problem | None]] = {
    "passed-timestamp-is-a-real-instant": _real_instant,
    "letter-grade-has-passed-timestamp": _letter_needs_timestamp,
    "percent-grade-in-range": _percent_in_range,
}

_SAME_VALUE: dict[str, tuple[str, str]] = {
    "one-display-name-per-course": ("course_id", "display_name"),
    "one-email-per-learner": ("username", "email"),
}
"""rule id -> (grouping field, field that must be the same within the group)"""
