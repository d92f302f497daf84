"""What a load run saw, counted so that workers' counts add up to one verdict.

Every process keeps a :class:`LoadTally`. A worker ships it to the master with each of Locust's
stats reports and starts a new one (``report_to_master``: a delta, so nothing is counted
twice); the master adds each delta to its own (``worker_report``) and judges the sum. Each
count also keeps the answer's *level*: the most requests this process had in flight at once
while it was outstanding (:class:`InFlightLevels`), so the verdict can tell a defect from one that
only appears under concurrency.

Nothing here holds a learner datum: requests are named by kind and by their ``shown``
query (plan indexes, see :mod:`.mix`); a violation's detail, which quotes record values, is
kept only when the run was asked to show details.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from grades_kit.contract.registry import registry, rule

__all__ = [
    "UNKNOWN_LEVEL",
    "Example",
    "InFlightLevels",
    "LoadRuleCount",
    "LoadTally",
    "concurrency_note",
    "kinds_line",
]

UNKNOWN_LEVEL = 0
"""The level of an answer that came while the run was stopping (not compared): the requests
of stopped users still load the server, unseen."""
MIN_CLEAN_BELOW = 20
"""Requests below a level that must all have passed before a rule is called concurrency-only."""


class InFlightLevels:
    """This process's outstanding requests, each with the most that were in flight with it.

    A level taken only when a request is sent undercounts: other users send theirs while it
    travels, and the server sees them all. The peak over its lifetime does not.
    """

    def __init__(self) -> None:
        self._peaks: dict[int, int] = {}
        self._next = 0

    def start(self) -> int:
        """A ticket for a request about to be sent."""
        self._next += 1
        self._peaks[self._next] = 0
        now = len(self._peaks)
        for ticket, peak in self._peaks.items():
            if peak < now:
                self._peaks[ticket] = now
        return self._next

    def end(self, ticket: int) -> int:
        """The request's level: the most requests in flight at once while it was."""
        return self._peaks.pop(ticket)


@dataclass(frozen=True)
class Example:
    """The first time a rule was broken: enough to send the same kind of request again."""

    kind: str
    method: str
    shown: str
    status: int
    detail: str = ""


@dataclass
class LoadRuleCount:
    count: int = 0
    kinds: Counter[str] = field(default_factory=Counter)
    in_flight: Counter[int] = field(default_factory=Counter)
    first: Example | None = None


@dataclass
class LoadTally:
    """Requests sent, answers judged, rules broken and answers missing, by kind and in-flight."""

    sent: Counter[str] = field(default_factory=Counter)
    levels: Counter[int] = field(default_factory=Counter)
    """Answers (or their absence) by level."""
    rules: dict[str, LoadRuleCount] = field(default_factory=dict)
    no_answer: dict[str, LoadRuleCount] = field(default_factory=dict)
    """Answers that say nothing about the contract, by reason (``timed out``, ``HTTP 503``)."""

    def request(self, kind: str) -> None:
        self.sent[kind] += 1

    def ended(self, level: int) -> None:
        self.levels[level] += 1

    def broken(self, rule: str, example: Example, in_flight: int) -> None:
        _count(self.rules, rule, example, in_flight)

    def unanswered(self, reason: str, example: Example, in_flight: int) -> None:
        _count(self.no_answer, reason, example, in_flight)

    @property
    def total(self) -> int:
        return sum(self.sent.values())

    @property
    def unanswered_total(self) -> int:
        return sum(entry.count for entry in self.no_answer.values())

    def ranked(self) -> list[tuple[str, LoadRuleCount]]:
        """Most severe first (the suite's order), then the most frequent."""
        return sorted(
            self.rules.items(), key=lambda item: (registry().rank(rule(item[0])), -item[1].count)
        )

    def to_wire(self) -> dict[str, Any]:
        """Lists and strings only: what Locust's msgpack messages carry unchanged."""
        return {
            "sent": list(self.sent.items()),
            "levels": list(self.levels.items()),
            "rules": [_entry_to_wire(k, v) for k, v in self.rules.items()],
            "no_answer": [_entry_to_wire(k, v) for k, v in self.no_answer.items()],
        }

    def add(self, wire: Mapping[str, Any]) -> None:
        """Add another process's :meth:`to_wire` (a delta: it is never sent twice)."""
        self.sent.update(dict(wire["sent"]))
        self.levels.update({int(k): v for k, v in wire["levels"]})
        for into, entries in ((self.rules, wire["rules"]), (self.no_answer, wire["no_answer"])):
            for name, count, kinds, in_flight, first in entries:
                entry = into.setdefault(name, LoadRuleCount())
                entry.count += count
                entry.kinds.update(dict(kinds))
                entry.in_flight.update({int(k): v for k, v in in_flight})
                if entry.first is None and first is not None:
                    entry.first = Example(*first)


def concurrency_note(entry: LoadRuleCount, levels: Mapping[int, int]) -> str:
    """``only under concurrency: ...`` when every failure came at or past a level below which
    enough answers all passed; empty when the failures show no such threshold."""
    known = [lvl for lvl in entry.in_flight if lvl != UNKNOWN_LEVEL]
    if not known:
        return ""
    level = min(known)
    below = sum(n for lvl, n in levels.items() if UNKNOWN_LEVEL < lvl < level)
    if level < 2 or below < MIN_CLEAN_BELOW:
        return ""
    at_or_above = sum(n for lvl, n in levels.items() if lvl >= level)
    failed = sum(n for lvl, n in entry.in_flight.items() if lvl != UNKNOWN_LEVEL)
    share = failed / at_or_above if at_or_above else 0.0
    return (
        f"only under concurrency: each with >= {level} requests in flight at once from one "
        f"load process ({share:.0%} of such requests), none of the {below} with fewer"
    )


def _count(into: dict[str, LoadRuleCount], name: str, example: Example, level: int) -> None:
    entry = into.setdefault(name, LoadRuleCount())
    entry.count += 1
    entry.kinds[example.kind] += 1
    entry.in_flight[level] += 1
    if entry.first is None:
        entry.first = example


def _entry_to_wire(name: str, entry: LoadRuleCount) -> list[Any]:
    first = entry.first
    shipped = None if first is None else [*vars(first).values()]
    return [name, entry.count, list(entry.kinds.items()), list(entry.in_flight.items()), shipped]


def kinds_line(kinds: Counter[str]) -> str:
    """``by-course 35, by-course-and-learner 2``: where a rule broke, most often first."""
    return ", ".join(f"{kind} {n}" for kind, n in kinds.most_common())
