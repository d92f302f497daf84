"""Contract coverage, and rules that had no data to run on: said in the summary, no silent pass.

A rule derived from the instance's own data (a filter's soundness, a near-miss of a returned
value, a concurrency burst) cannot run on an instance that returned nothing to derive from:
an empty staging passes every such test vacuously. A test that meets that case raises
:class:`NoData` naming its rules; the run lists them, and with the default settings ends as
"no verdict" (exit 2): ``--allow-partial`` accepts a partial run explicitly.
"""

from __future__ import annotations

from collections.abc import Generator, Iterable
from typing import NoReturn

import pytest

from grades_kit.contract import statements
from grades_kit.contract.registry import Rule

NO_DATA_PROPERTY = "grades-contract-no-data"
"""A report's ``user_properties`` key for the rules it had no data for (survives xdist)."""
NO_DATA = "no data"
"""The no-verdict category of a partial run (see :mod:`contract_tests.health`)."""
SHOWN = 6
"""Rule names listed in the run's last line; the summary lists them all."""


class NoData(pytest.skip.Exception):  # type: ignore[name-defined,misc]
    """A test whose rules had nothing of the instance to run on: reported as skipped."""

    def __init__(self, rules: Iterable[Rule], why: str) -> None:
        super().__init__(f"{NO_DATA}: {why}")
        self.rules = tuple(rules)
        self.why = why


def no_data(rules: Iterable[Rule], why: str) -> NoReturn:
    """Skip the running test because ``rules`` had no data (``why`` says which)."""
    raise NoData(rules, why)


class CoverageTracker:
    """Collects the rules that had no data, from every worker's reports."""

    def __init__(self) -> None:
        self.no_data: dict[str, str] = {}
        """Rule id -> why it had no data (the first reason met)."""

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(
        self, item: pytest.Item, call: pytest.CallInfo[None]
    ) -> Generator[None, pytest.TestReport, pytest.TestReport]:
        report = yield
        if call.excinfo is not None and isinstance(call.excinfo.value, NoData):
            found = call.excinfo.value
            ids = [found_rule.id for found_rule in found.rules]
            report.user_properties.append((NO_DATA_PROPERTY, [*ids, found.why]))
        return report

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        for key, value in report.user_properties:
            if key == NO_DATA_PROPERTY:
                *rules, reason = (str(part) for part in value)  # type: ignore[attr-defined]
                for rule in rules:
                    self.no_data.setdefault(rule, reason)

    def summary_lines(self) -> list[str]:
        """The contract coverage (the spec's statements this run checked), then one line per
        rule that had no data, with the reason, and each statement left unchecked."""
        missed = statements.not_checked(set(self.no_data))
        total = len(statements.normative())
        lines = [
            f"contract coverage: {total - len(missed)} of {total} statements of the spec checked"
        ]
        lines += [f"no data for [{rule}]: {why}" for rule, why in sorted(self.no_data.items())]
        lines += [f"not checked: spec/{s.where}: {s.text}" for s in missed]
        return lines

    def no_verdict(self) -> tuple[str, str, str] | None:
        """The no-verdict record of a partial run, or ``None`` when every rule had data."""
        if not self.no_data:
            return None
        names = sorted(self.no_data)
        more = f" (+{len(names) - SHOWN} more)" if len(names) > SHOWN else ""
        reason = (
            f"{len(names)} rule(s) had no data to run on: {', '.join(names[:SHOWN])}{more}; "
            "--allow-partial accepts a partial run"
        )
        return NO_DATA, reason, ""
