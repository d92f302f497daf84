"""The run's verdict by rule: what was broken, how often, and one curl line that shows it.

A failing test's exception is reduced to its :class:`Finding`s by
:func:`contract_tests.violation.findings_of`; the plugin tags every failed report with them
(as plain data, rule ids: they survive pytest-xdist, and the rule is looked up again here),
counts them by rule, prints one summary line per rule (most severe first, as the registry
ranks them) and the run's last line.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from grades_kit.contract.registry import Finding, registry, rule

VIOLATIONS_PROPERTY = "grades-contract-violations"
"""A report's ``user_properties`` key for the findings it carries."""
SHOWN_RULES = 3


def as_property(findings: Sequence[Finding]) -> list[list[str]]:
    """Findings as plain data for a report: ``[rule id, detail, reproduction]``."""
    return [[f.rule.id, f.detail, f.reproduction] for f in findings]


def from_property(value: object) -> list[Finding]:
    """The findings of :func:`as_property`, each rule looked up again in the registry."""
    items = [[str(part) for part in item] for item in value]  # type: ignore[attr-defined]
    return [Finding(rule(rule_id), detail, curl) for rule_id, detail, curl in items]


@dataclass
class RuleCount:
    first: Finding
    count: int = 0
    tests: set[str] = field(default_factory=set)


@dataclass
class Verdict:
    """Violations counted by rule, in the order the run met them."""

    rules: dict[str, RuleCount] = field(default_factory=dict)

    def add(self, nodeid: str, findings: Sequence[Finding]) -> None:
        for finding in findings:
            entry = self.rules.setdefault(finding.rule.id, RuleCount(finding))
            if not entry.first.reproduction and finding.reproduction:
                entry.first = finding
            entry.count += 1
            entry.tests.add(nodeid)

    def ranked(self) -> list[RuleCount]:
        """Most severe first (the registry's severity, then its order), then most frequent."""
        rank = registry().rank
        return sorted(self.rules.values(), key=lambda e: (rank(e.first.rule), -e.count))

    def summary_lines(self) -> Iterator[str]:
        ranked = self.ranked()
        yield f"contract violated: {len(ranked)} rule(s), most severe first"
        for entry in ranked:
            times = f"{entry.count} time{'s' if entry.count > 1 else ''}"
            yield f"  [{entry.first.rule.id}] {times}: {entry.first.detail}"
            if entry.first.reproduction:
                yield f"      {entry.first.reproduction}"

    def last_line(self, seed: int) -> str:
        """The most severe rule of each family (``auth/``...), then the next most severe, up
        to :data:`SHOWN_RULES` names, most severe first, and a count of the rest.

        Two root causes often break several rules of one family each (every auth scenario,
        both filters): one name per family first tells them apart in one line.
        """
        ranked = [entry.first.rule for entry in self.ranked()]
        names = [item.id for item in ranked]
        shown: list[str] = []
        for item in ranked:
            families = {rule(name).family for name in shown}
            if len(shown) < SHOWN_RULES and item.family not in families:
                shown.append(item.id)
        shown += [name for name in names if name not in shown][: SHOWN_RULES - len(shown)]
        shown.sort(key=names.index)
        more = f" (+{len(names) - len(shown)} more)" if len(names) > len(shown) else ""
        return f"contract violated: {', '.join(shown)}{more}; replay with --seed {seed}"
