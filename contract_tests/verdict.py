"""The run's verdict by rule: what was broken, how often, and one curl line that shows it.

A failing test may carry several violations (a Schemathesis failure group, Hypothesis'
exception groups, the suite's own :class:`~contract_tests.client.ContractViolation`); each
is reduced here to a :class:`Violation` (rule, one-line reason, masked curl). The plugin
tags every failed report with them (plain strings: they survive pytest-xdist), counts them
by rule, prints one summary line per rule (most severe first) and the run's last line.

A rule is any ``[name]`` a message starts with (``Finding.rule`` of :mod:`rules`, so new
rules need no change here), or a Schemathesis failure title.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

VIOLATIONS_PROPERTY = "grades-contract-violations"
"""A report's ``user_properties`` key for the violations it carries."""
CURL_NOTE = "grades-contract replay: "
"""The prefix of the note :func:`attach_curl` adds (notes survive Schemathesis' re-raising)."""
RULE = re.compile(r"^\[([^\]\s]+)\]\s*(.*)", re.DOTALL)
SEVERITY: tuple[str, ...] = (
    "auth/",
    "server-error",
    "filter-soundness/",
    "filter-completeness/",
    "unknown-filter",
    "near-miss/",
    "happy-path",
    "invariant/",
    "schemathesis/",
    "example-shape/",
    "cors/",
    "latency-budget",
)
"""Rule-name prefixes, most severe first: leaking or ignoring access control beats wrong data,
which beats a wrong shape. A rule matching none of them sorts after these, by count."""
MAX_REASON = 160
SHOWN_RULES = 3


@dataclass(frozen=True)
class Violation:
    rule: str
    reason: str
    curl: str = ""


def attach_curl(exc: BaseException, curl: str) -> None:
    """Remember the masked curl command of the request that ``exc`` is about."""
    exc.add_note(CURL_NOTE + curl)


def violations_of(exc: BaseException, curl: str = "") -> list[Violation]:
    """Every violation ``exc`` carries (group members included), or one naming its type."""
    notes = [n for n in getattr(exc, "__notes__", []) if str(n).startswith(CURL_NOTE)]
    curl = notes[-1][len(CURL_NOTE) :] if notes else curl
    if isinstance(exc, BaseExceptionGroup):
        return [v for member in exc.exceptions for v in violations_of(member, curl)]
    own_curl = getattr(exc, "curl", "")
    found = _violation(exc, own_curl if isinstance(own_curl, str) and own_curl else curl)
    return [found]


def _violation(exc: BaseException, curl: str) -> Violation:
    title, message = getattr(exc, "title", None), getattr(exc, "message", None)
    if isinstance(title, str) and isinstance(message, str):  # a Schemathesis check failure
        named = RULE.match(message.strip())
        if named:
            return Violation(named.group(1), _one_line(named.group(2)), curl)
        code = getattr(exc, "code", "")
        slug = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")
        return Violation(f"schemathesis/{slug}", _one_line(f"{code} {title}: {message}"), curl)
    text = str(getattr(exc, "detail", "")) or str(exc)
    rule = getattr(exc, "rule", None)
    if isinstance(rule, str):
        return Violation(rule, _one_line(text), curl)
    named = RULE.match(text.strip())
    if named:
        return Violation(named.group(1), _one_line(named.group(2)), curl)
    return Violation(f"error/{type(exc).__name__}", _one_line(text or type(exc).__name__), curl)


def _one_line(text: str) -> str:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    line = lines[0] if lines else ""
    return line if len(line) <= MAX_REASON else line[: MAX_REASON - 3] + "..."


def as_property(violations: Sequence[Violation]) -> list[list[str]]:
    return [[v.rule, v.reason, v.curl] for v in violations]


def from_property(value: object) -> list[Violation]:
    return [Violation(*(str(part) for part in item)) for item in value]  # type: ignore[attr-defined]


@dataclass
class RuleCount:
    first: Violation
    count: int = 0
    tests: set[str] = field(default_factory=set)


@dataclass
class Verdict:
    """Violations counted by rule, in the order the run met them."""

    rules: dict[str, RuleCount] = field(default_factory=dict)

    def add(self, nodeid: str, violations: Sequence[Violation]) -> None:
        for violation in violations:
            entry = self.rules.setdefault(violation.rule, RuleCount(violation))
            if not entry.first.curl and violation.curl:
                entry.first = violation
            entry.count += 1
            entry.tests.add(nodeid)

    def ranked(self) -> list[RuleCount]:
        """Most severe first (see :data:`SEVERITY`), then the most frequent."""
        return sorted(self.rules.values(), key=lambda e: (_rank(e.first.rule), -e.count))

    def summary_lines(self) -> Iterator[str]:
        ranked = self.ranked()
        yield f"contract violated: {len(ranked)} rule(s), most severe first"
        for entry in ranked:
            times = f"{entry.count} time{'s' if entry.count > 1 else ''}"
            yield f"  [{entry.first.rule}] {times}: {entry.first.reason}"
            if entry.first.curl:
                yield f"      {entry.first.curl}"

    def last_line(self, seed: int) -> str:
        """The most severe rule of each family (``auth/``...), then the next most severe, up
        to :data:`SHOWN_RULES` names, most severe first, and a count of the rest.

        Two root causes often break several rules of one family each (every auth scenario,
        both filters): one name per family first tells them apart in one line.
        """
        names = [entry.first.rule for entry in self.ranked()]
        shown: list[str] = []
        for name in names:
            if len(shown) < SHOWN_RULES and _family(name) not in map(_family, shown):
                shown.append(name)
        shown += [name for name in names if name not in shown][: SHOWN_RULES - len(shown)]
        shown.sort(key=names.index)
        more = f" (+{len(names) - len(shown)} more)" if len(names) > len(shown) else ""
        return f"contract violated: {', '.join(shown)}{more}; replay with --seed {seed}"


def _family(rule: str) -> str:
    return rule.split("/")[0]


def _rank(rule: str) -> int:
    for index, prefix in enumerate(SEVERITY):
        if rule.startswith(prefix):
            return index
    return len(SEVERITY)
