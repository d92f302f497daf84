"""One small function per ``x-invariants`` entry of the spec, registered under its id.

The spec states these rules in words with a severity; this registry is their executable
form. ``tests/contract`` asserts that every invariant of the spec has exactly one
implementation here and that nothing here lacks an entry in the spec, so the two cannot
drift. A function receives the records and yields one line per broken instance.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from spec.loader import Invariant

Record = Mapping[str, Any]
RecordRule = Callable[[Record], str | None]
ListRule = Callable[[Sequence[Record]], Iterator[str]]

RECORD_RULES: dict[str, RecordRule] = {}
LIST_RULES: dict[str, ListRule] = {}


class AdvisoryInvariantWarning(UserWarning):
    """An advisory invariant of the spec does not hold: reported, never a failure."""


def record_rule(invariant_id: str) -> Callable[[RecordRule], RecordRule]:
    def register(func: RecordRule) -> RecordRule:
        RECORD_RULES[invariant_id] = func
        return func

    return register


def list_rule(invariant_id: str) -> Callable[[ListRule], ListRule]:
    def register(func: ListRule) -> ListRule:
        LIST_RULES[invariant_id] = func
        return func

    return register


def implemented_ids() -> set[str]:
    return set(RECORD_RULES) | set(LIST_RULES)


def violations(invariant: Invariant, records: Sequence[Any]) -> Iterator[str]:
    """Every place in ``records`` where ``invariant`` does not hold, as readable lines."""
    usable = [r for r in records if isinstance(r, Mapping)]
    if invariant.scope == "list":
        yield from LIST_RULES[invariant.id](usable)
        return
    rule = RECORD_RULES[invariant.id]
    for index, record in enumerate(records):
        if isinstance(record, Mapping) and (problem := rule(record)) is not None:
            yield f"record {index} ({_who(record)}): {problem}"


@record_rule("percent-grade-in-range")
def percent_grade_in_range(record: Record) -> str | None:
    """``percent_grade`` read as a decimal number lies in [0, 1]."""
    raw = record.get("percent_grade")
    if not isinstance(raw, str):
        return None  # the type is the response schema's business
    try:
        value = Decimal(raw)
    except InvalidOperation:
        return f"percent_grade {raw!r} is not a decimal number"
    return None if Decimal(0) <= value <= Decimal(1) else f"percent_grade {raw!r} is not in [0, 1]"


@record_rule("passed-timestamp-is-a-real-instant")
def passed_timestamp_is_real(record: Record) -> str | None:
    """``passed_timestamp``, when not null, is a real calendar date and time."""
    raw = record.get("passed_timestamp")
    if isinstance(raw, str) and _instant(raw) is None:
        return f"passed_timestamp {raw!r} is not a real date and time"
    return None


@record_rule("letter-grade-has-passed-timestamp")
def letter_grade_has_passed_timestamp(record: Record) -> str | None:
    """A learner with a non-empty ``letter_grade`` has passed: ``passed_timestamp`` is set."""
    letter = record.get("letter_grade")
    if isinstance(letter, str) and letter and record.get("passed_timestamp") is None:
        return f"letter_grade {letter!r} but passed_timestamp is null"
    return None


@record_rule("passed-timestamp-has-letter-grade")
def passed_timestamp_has_letter_grade(record: Record) -> str | None:
    """A non-null ``passed_timestamp`` comes with a non-empty ``letter_grade``."""
    stamp = record.get("passed_timestamp")
    if isinstance(stamp, str) and record.get("letter_grade") == "":
        return f"passed_timestamp {stamp!r} but letter_grade is empty"
    return None


@record_rule("passed-before-last-update")
def passed_before_last_update(record: Record) -> str | None:
    """``passed_timestamp``, when not null, falls on or before ``last_date``."""
    stamp, last = record.get("passed_timestamp"), record.get("last_date")
    if not (isinstance(stamp, str) and isinstance(last, str)):
        return None
    passed, updated = _instant(stamp), _date(last)
    if passed is not None and updated is not None and passed.date() > updated:
        return f"passed_timestamp {stamp!r} is after last_date {last!r}"
    return None


@list_rule("unique-learner-course")
def unique_learner_course(records: Sequence[Record]) -> Iterator[str]:
    """No two records share the same (``username``, ``course_id``) pair."""
    seen: dict[tuple[Any, Any], int] = {}
    for index, record in enumerate(records):
        key = (record.get("username"), record.get("course_id"))
        if key in seen:
            yield f"records {seen[key]} and {index} share (username, course_id) {key!r}"
        else:
            seen[key] = index


@list_rule("one-display-name-per-course")
def one_display_name_per_course(records: Sequence[Record]) -> Iterator[str]:
    """All records of one ``course_id`` have the same ``display_name``."""
    yield from _one_value_per_key(records, "course_id", "display_name")


@list_rule("one-email-per-learner")
def one_email_per_learner(records: Sequence[Record]) -> Iterator[str]:
    """All records of one ``username`` have the same ``email``."""
    yield from _one_value_per_key(records, "username", "email")


def _one_value_per_key(records: Sequence[Record], key: str, value: str) -> Iterator[str]:
    found: dict[Any, set[str]] = defaultdict(set)
    for record in records:
        found[record.get(key)].add(repr(record.get(value)))
    for owner, values in found.items():
        if len(values) > 1:
            shown = ", ".join(sorted(values))
            yield f"{key} {owner!r} has {len(values)} different {value}s: {shown}"


def _who(record: Record) -> str:
    return f"username {record.get('username')!r}, course_id {record.get('course_id')!r}"


def _instant(raw: str) -> datetime | None:
    try:
        return datetime.fromisoformat(raw)
    except ValueError:
        return None


def _date(raw: str) -> date | None:
    try:
        return date.fromisoformat(raw)
    except ValueError:
        return None
