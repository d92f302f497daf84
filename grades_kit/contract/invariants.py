"""The executable form of the spec's ``x-invariants``: one implementation per id, used by all.

The spec states each rule in words with a severity; this module is the only code that
decides whether a record breaks one. The mock (fixture validation), the contract suite
(its tests and Schemathesis checks) and the validating proxy all run records through an
:class:`InvariantEngine`; each decides on its own what a severity means to it (the mock
enforces strict rules on fixtures, the suite fails on strict ones and warns on advisory).

Records are checked one at a time, so a list of any length (a fixture file, a streamed
answer) is judged without holding it: a cross-record rule keeps only what it must compare
with (the first value seen per key). Parsers follow the spec's formats strictly, with the
spec's own patterns; a malformed value is a finding, never an exception.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Protocol, TypeVar

from grades_kit.contract.loader import Contract, Invariant
from grades_kit.contract.registry import Finding, Rule, rule

Record = Mapping[str, Any]
Problem = tuple[str, str]
"""(field, reason)"""

_T = TypeVar("_T")
_DECIMAL = re.compile(r"[+-]?[0-9]+(?:\.[0-9]+)?")
"""Plain decimal notation: no exponent, NaN, Infinity, spaces or underscores."""


class Check(Protocol):
    """One invariant's state for one list of records."""

    def problem(self, record: Record) -> Problem | None:
        """How ``record`` breaks the rule, given the records remembered before it."""

    def remember(self, record: Record, index: int) -> None:
        """Keep what later records must be compared with (nothing, for a record rule)."""


@dataclass(frozen=True)
class Formats:
    """The spec's own patterns for the values the rules must parse."""

    instant: re.Pattern[str]
    day: re.Pattern[str]

    @classmethod
    def of(cls, contract: Contract) -> Formats:
        fields = contract.schema("GradeRecord")["properties"]
        return cls(
            re.compile(fields["passed_timestamp"]["pattern"]),
            re.compile(fields["last_date"]["pattern"]),
        )

    def instant_of(self, raw: str) -> datetime | None:
        """``YYYY-MM-DD HH:MM:SS[.ffffff]`` as the spec writes it and a real instant, or None.

        The spec's pattern decides the shape (fromisoformat alone accepts "T", zones and a
        bare date); fromisoformat then only decides that the calendar has that day.
        """
        if not self.instant.fullmatch(raw):
            return None
        return _parsed(datetime.fromisoformat, raw)

    def day_of(self, raw: str) -> date | None:
        """``YYYY-MM-DD`` as the spec writes it and a real calendar date, or None."""
        if not self.day.fullmatch(raw):
            return None
        return _parsed(date.fromisoformat, raw)


RecordRule = Callable[[Record, Formats], Problem | None]
RECORD_RULES: dict[str, RecordRule] = {}
LIST_RULES: dict[str, Callable[[], Check]] = {}


def record_rule(invariant_id: str) -> Callable[[RecordRule], RecordRule]:
    """Register the one implementation of a record-scope invariant."""

    def register(func: RecordRule) -> RecordRule:
        _claim(invariant_id)
        RECORD_RULES[invariant_id] = func
        return func

    return register


def list_rule(invariant_id: str) -> Callable[[Callable[[], Check]], Callable[[], Check]]:
    """Register the one implementation of a list-scope invariant (a fresh state per list)."""

    def register(factory: Callable[[], Check]) -> Callable[[], Check]:
        _claim(invariant_id)
        LIST_RULES[invariant_id] = factory
        return factory

    return register


def implemented_ids() -> set[str]:
    return set(RECORD_RULES) | set(LIST_RULES)


def _claim(invariant_id: str) -> None:
    if invariant_id in implemented_ids():
        raise ValueError(f"invariant {invariant_id!r} is implemented twice")


@dataclass(frozen=True)
class Breach:
    """One record breaking one invariant."""

    invariant: Invariant
    index: int
    field: str
    reason: str
    who: str

    @property
    def rule(self) -> Rule:
        """The rule every tool reports: ``invariant/<id>`` of the registry."""
        return rule(f"invariant/{self.invariant.id}")

    def finding(self) -> Finding:
        return Finding(self.rule, f"record {self.index} ({self.who}): {self.reason}")


class InvariantEngine:
    """Checks the records of one list, one at a time, against the chosen invariants.

    ``keep_rejected=False`` forgets a record that breaks a rule (the mock does not keep it),
    so later records are compared with accepted ones only.
    """

    def __init__(
        self,
        contract: Contract,
        chosen: Iterable[Invariant] | None = None,
        *,
        keep_rejected: bool = True,
    ) -> None:
        formats = Formats.of(contract)
        invariants = contract.invariants() if chosen is None else tuple(chosen)
        self._checks = [(inv, _check(inv.id, formats)) for inv in invariants]
        self._keep_rejected = keep_rejected
        self._count = 0

    def check(self, record: Any) -> list[Breach]:
        """Every invariant ``record`` breaks, given the records checked before it."""
        index, self._count = self._count, self._count + 1
        if not isinstance(record, Mapping):
            return []  # the response schema reports it
        breaches = [
            Breach(inv, index, *problem, _who(record))
            for inv, check in self._checks
            if (problem := check.problem(record)) is not None
        ]
        if not breaches or self._keep_rejected:
            for _, check in self._checks:
                check.remember(record, index)
        return breaches


def violations(contract: Contract, invariant: Invariant, records: Iterable[Any]) -> Iterator[str]:
    """Every place in ``records`` where ``invariant`` does not hold, as readable lines."""
    engine = InvariantEngine(contract, [invariant])
    for record in records:
        for breach in engine.check(record):
            yield breach.finding().detail


class _RecordCheck:
    def __init__(self, rule: RecordRule, formats: Formats) -> None:
        self._rule, self._formats = rule, formats

    def problem(self, record: Record) -> Problem | None:
        return self._rule(record, self._formats)

    def remember(self, record: Record, index: int) -> None:
        return None


def _check(invariant_id: str, formats: Formats) -> Check:
    if invariant_id in RECORD_RULES:
        return _RecordCheck(RECORD_RULES[invariant_id], formats)
    if invariant_id in LIST_RULES:
        return LIST_RULES[invariant_id]()
    raise KeyError(f"the spec's invariant {invariant_id!r} has no implementation")


@record_rule("percent-grade-in-range")
def percent_grade_in_range(record: Record, formats: Formats) -> Problem | None:
    """``percent_grade`` read as a decimal number lies in [0, 1]."""
    raw = record.get("percent_grade")
    if not isinstance(raw, str):
        return None  # the type is the response schema's business
    if not _DECIMAL.fullmatch(raw):
        return "percent_grade", f"{raw!r} is not a decimal number"
    in_range = Decimal(0) <= Decimal(raw) <= Decimal(1)
    return None if in_range else ("percent_grade", f"{raw!r} is not in [0, 1]")


@record_rule("passed-timestamp-is-a-real-instant")
def passed_timestamp_is_real(record: Record, formats: Formats) -> Problem | None:
    """``passed_timestamp``, when not null, is a real calendar date and time."""
    raw = record.get("passed_timestamp")
    if isinstance(raw, str) and formats.instant_of(raw) is None:
        return "passed_timestamp", f"{raw!r} is not a real date and time in the spec's format"
    return None


@record_rule("letter-grade-has-passed-timestamp")
def letter_grade_has_passed_timestamp(record: Record, formats: Formats) -> Problem | None:
    """A learner with a non-empty ``letter_grade`` has passed: ``passed_timestamp`` is set."""
    letter = record.get("letter_grade")
    if isinstance(letter, str) and letter and record.get("passed_timestamp") is None:
        return "passed_timestamp", f"null although letter_grade {letter!r} is not empty"
    return None


@record_rule("passed-timestamp-has-letter-grade")
def passed_timestamp_has_letter_grade(record: Record, formats: Formats) -> Problem | None:
    """A non-null ``passed_timestamp`` comes with a non-empty ``letter_grade``."""
    stamp = record.get("passed_timestamp")
    if isinstance(stamp, str) and record.get("letter_grade") == "":
        return "letter_grade", f"empty although passed_timestamp is {stamp!r}"
    return None


@record_rule("passed-before-last-update")
def passed_before_last_update(record: Record, formats: Formats) -> Problem | None:
    """``passed_timestamp``, when not null, falls on or before ``last_date``.

    A malformed value is reported by the schema and the rule above, not twice here.
    """
    stamp, last = record.get("passed_timestamp"), record.get("last_date")
    if not (isinstance(stamp, str) and isinstance(last, str)):
        return None
    passed, updated = formats.instant_of(stamp), formats.day_of(last)
    if passed is not None and updated is not None and passed.date() > updated:
        return "passed_timestamp", f"{stamp!r} is after last_date {last!r}"
    return None


class _UniquePair:
    """No two records share the same (``username``, ``course_id``) pair.

    Remembers a 64-bit hash per pair, not the pair (about 60 bytes a record instead of
    250): a million-record answer is judged in ~60 MB. Two distinct pairs sharing a hash
    would be a false report; among a million pairs the odds are about 1 in 30 million.
    """

    def __init__(self) -> None:
        self._seen: set[int] = set()

    def problem(self, record: Record) -> Problem | None:
        pair = (record.get("username"), record.get("course_id"))
        if _hashable(pair[0]) and _hashable(pair[1]) and hash(pair) in self._seen:
            return "course_id", f"duplicate (username, course_id) pair {pair!r}"
        return None

    def remember(self, record: Record, index: int) -> None:
        pair = (record.get("username"), record.get("course_id"))
        if _hashable(pair[0]) and _hashable(pair[1]):
            self._seen.add(hash(pair))


class _OneValuePerKey:
    """All records with the same ``key`` have the same ``value``.

    Remembers, per key, a hash of the first value and the index of its record (the value
    itself is in the answer, at that index).
    """

    def __init__(self, key: str, value: str) -> None:
        self._key, self._value = key, value
        self._first: dict[int, tuple[int, int]] = {}

    def problem(self, record: Record) -> Problem | None:
        owner, mine = record.get(self._key), record.get(self._value)
        if not (_hashable(owner) and _hashable(mine)) or hash(owner) not in self._first:
            return None
        first, index = self._first[hash(owner)]
        if hash(mine) == first:
            return None
        reason = f"{mine!r} differs from the {self._value} of record {index} "
        return self._value, reason + f"for {self._key} {owner!r}"

    def remember(self, record: Record, index: int) -> None:
        owner, mine = record.get(self._key), record.get(self._value)
        if _hashable(owner) and _hashable(mine):
            self._first.setdefault(hash(owner), (hash(mine), index))


@list_rule("unique-learner-course")
def unique_learner_course() -> Check:
    """No two records share the same (``username``, ``course_id``) pair."""
    return _UniquePair()


@list_rule("one-display-name-per-course")
def one_display_name_per_course() -> Check:
    """All records of one ``course_id`` have the same ``display_name``."""
    return _OneValuePerKey("course_id", "display_name")


@list_rule("one-email-per-learner")
def one_email_per_learner() -> Check:
    """All records of one ``username`` have the same ``email``."""
    return _OneValuePerKey("username", "email")


_SCALARS = (str, int, float, type(None))  # bool is an int


def _hashable(value: Any) -> bool:
    return isinstance(value, _SCALARS)


def _who(record: Record) -> str:
    return f"username {record.get('username')!r}, course_id {record.get('course_id')!r}"


def _parsed(parse: Callable[[str], _T], raw: str) -> _T | None:
    try:
        return parse(raw)
    except ValueError:  # a pattern-shaped value that is no real date (30 February)
        return None
