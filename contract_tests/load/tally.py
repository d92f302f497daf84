"""What a load run saw, counted so that workers' counts add up to one verdict.

Every process keeps a :class:`Tally`. A worker ships it to the master with each of Locust's
stats reports and starts a new one (``report_to_master``: a delta, so nothing is counted
twice); the master adds each delta to its own (``worker_report``) and judges the sum. Each
count also keeps how many requests this process had in flight when it sent the request, so
the verdict can tell a defect from one that only appears under concurrency.

Nothing here holds a learner datum: requests are named by kind and by their ``shown``
query (plan indexes, see :mod:`.mix`); a violation's detail, which quotes record values, is
kept only when the run was asked to show details.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from grades_kit.contract_tests.verdict import _rank  # the suite's one severity order

__all__ = ["Example", "RuleCount", "Tally", "concurrency_note", "kinds_line"]

MIN_CLEAN_BELOW = 20
"""Requests below a level that must all have passed before a rule is called concurrency-only."""


@dataclass(frozen=True)
class Example:
    """The first time a rule was broken: enough to send the same kind of request again."""

    kind: str
    method: str
    shown: str
    status: int
    detail: str = ""


@dataclass
class RuleCount:
    count: int = 0
    kinds: Counter[str] = field(default_factory=Counter)
    in_flight: Counter[int] = field(default_factory=Counter)
    first: Example | None = None


@dataclass
class Tally:
    """Requests sent, answers judged, rules broken and answers missing, by kind and in-flight."""

    sent: Counter[str] = field(default_factory=Counter)
    sent_in_flight: Counter[int] = field(default_factory=Counter)
    rules: dict[str, RuleCount] = field(default_factory=dict)
    no_answer: dict[str, RuleCount] = field(default_factory=dict)
    """Answers that say nothing about the contract, by reason (``timed out``, ``HTTP 503``)."""

    def request(self, kind: str, in_flight: int) -> None:
        self.sent[kind] += 1
        self.sent_in_flight[in_flight] += 1

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

    def ranked(self) -> list[tuple[str, RuleCount]]:
        """Most severe first (the suite's order), then the most frequent."""
        return sorted(self.rules.items(), key=lambda item: (_rank(item[0]), -item[1].count))

    def to_wire(self) -> dict[str, Any]:
        """Lists and strings only: what Locust's msgpack messages carry unchanged."""
        return {
            "sent": list(self.sent.items()),
            "sent_in_flight": list(self.sent_in_flight.items()),
            "rules": [_entry_to_wire(k, v) for k, v in self.rules.items()],
            "no_answer": [_entry_to_wire(k, v) for k, v in self.no_answer.items()],
        }

    def add(self, wire: Mapping[str, Any]) -> None:
        """Add another process's :meth:`to_wire` (a delta: it is never sent twice)."""
        self.sent.update(dict(wire["sent"]))
        self.sent_in_flight.update({int(k): v for k, v in wire["sent_in_flight"]})
        for into, entries in ((self.rules, wire["rules"]), (self.no_answer, wire["no_answer"])):
            for name, count, kinds, in_flight, first in entries:
                entry = into.setdefault(name, RuleCount())
                entry.count += count
                entry.kinds.update(dict(kinds))
                entry.in_flight.update({int(k): v for k, v in in_flight})
                if entry.first is None and first is not None:
                    entry.first = Example(*first)


def concurrency_note(entry: RuleCount, sent_in_flight: Mapping[int, int]) -> str:
    """``only with >= 6 requests in flight (...)`` when every failure came past a level that
    enough requests below it passed; empty when the failures show no such threshold."""
    if not entry.in_flight:
        return ""
    level = min(entry.in_flight)
    below = sum(n for lvl, n in sent_in_flight.items() if lvl < level)
    if level < 2 or below < MIN_CLEAN_BELOW:
        return ""
    at_or_above = sum(n for lvl, n in sent_in_flight.items() if lvl >= level)
    share = entry.count / at_or_above if at_or_above else 0.0
    return (
        f"only under concurrency: every one with >= {level} requests in flight from one load "
        f"process ({share:.0%} of those), none of the {below} sent with fewer"
    )


def _count(into: dict[str, RuleCount], name: str, example: Example, in_flight: int) -> None:
    entry = into.setdefault(name, RuleCount())
    entry.count += 1
    entry.kinds[example.kind] += 1
    entry.in_flight[in_flight] += 1
    if entry.first is None:
        entry.first = example


def _entry_to_wire(name: str, entry: RuleCount) -> list[Any]:
    first = entry.first
    shipped = None if first is None else [*vars(first).values()]
    return [name, entry.count, list(entry.kinds.items()), list(entry.in_flight.items()), shipped]


def kinds_line(kinds: Counter[str]) -> str:
    """``by-course 35, by-course-and-learner 2``: where a rule broke, most often first."""
    return ", ".join(f"{kind} {n}" for kind, n in kinds.most_common())
