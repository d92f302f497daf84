"""The suite's report: tag each failed test with its findings, count them, and decide.

The verdict by rule (:mod:`contract_tests.verdict`), the run's summary lines, the exit code
(0 conforms, 1 a contract violation, 2 no verdict) and the last line on stderr that says why.
"""

from __future__ import annotations

import warnings
from collections.abc import Generator
from typing import Any

import pytest

from grades_kit.contract.registry import Finding
from grades_kit.contract_tests.advisories import AdvisoryWarning
from grades_kit.contract_tests.health import Cut, NoVerdict, as_record
from grades_kit.contract_tests.live import LiveDataNotice
from grades_kit.contract_tests.options import RunOptions
from grades_kit.contract_tests.run_state import (
    EXAMPLES_PROPERTY,
    EXIT_CANNOT_JUDGE,
    NO_VERDICT_PROPERTY,
    PREFIX,
    RunState,
    is_worker,
    last_line,
)
from grades_kit.contract_tests.traffic import FORMAT
from grades_kit.contract_tests.verdict import VIOLATIONS_PROPERTY, as_property, from_property
from grades_kit.contract_tests.violation import findings_of


class RunTracker:
    """Per-run hooks that need the run's state (registered in ``pytest_configure``)."""

    def __init__(self, state: RunState, options: RunOptions) -> None:
        self.state = state
        self.options = options

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(
        self, item: pytest.Item, call: pytest.CallInfo[None]
    ) -> Generator[None, pytest.TestReport, pytest.TestReport]:
        """Tag the report with what it found (plain strings: they survive pytest-xdist)."""
        report = yield
        if any(self.state.examples):
            report.user_properties.append((EXAMPLES_PROPERTY, self.state.examples))
            self.state.examples = [0, 0, 0]
        if call.when == "call" and report.passed and self.state.cut_in_test:
            reason = f"--max-time of {self.options.max_time_s:g} s reached: examples cut"
            report.outcome, report.longrepr = "skipped", (str(item.path), 0, reason)
        if call.excinfo is not None and isinstance(call.excinfo.value, Cut):
            report.outcome = "skipped"
            report.longrepr = (str(item.path), 0, str(call.excinfo.value))
        if call.excinfo is None or not report.failed:
            return report
        if isinstance(call.excinfo.value, NoVerdict):
            report.user_properties.append((NO_VERDICT_PROPERTY, as_record(call.excinfo.value)))
            return report
        findings = [self._masked(f) for f in findings_of(call.excinfo.value)]
        report.user_properties.append((VIOLATIONS_PROPERTY, as_property(findings)))
        first = f"[{findings[0].rule.id}] {findings[0].detail}"
        if item.config.getoption("verbose") > 0:
            crash = getattr(report.longrepr, "reprcrash", None)
            if crash is not None:  # the JUnit message starts with the rule
                crash.message = first
        else:
            more = [f"[{f.rule.id}] {f.detail}" for f in findings[1:]]
            curl = [f"    {findings[0].reproduction}"] if findings[0].reproduction else []
            report.longrepr = "\n".join([first, *curl, *more])
        return report

    def _masked(self, finding: Finding) -> Finding:
        """Reports carry no learner's username or email (nor the token): the pseudonyms."""
        text = self.state.people.text
        return Finding(finding.rule, text(finding.detail), text(finding.reproduction))

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        for key, value in report.user_properties:
            if key == EXAMPLES_PROPERTY:
                counts = [int(part) for part in value]  # type: ignore[attr-defined]
                self.state.totals = [a + b for a, b in zip(self.state.totals, counts, strict=True)]
        if report.skipped and "--max-time" in str(report.longrepr):
            self.state.partial += 1
            self.state.not_run += report.when == "setup"
        if not report.failed:
            return
        self.state.failed = True
        records = [_record(v) for k, v in report.user_properties if k == NO_VERDICT_PROPERTY]
        if not records:
            for key, value in report.user_properties:
                if key == VIOLATIONS_PROPERTY:
                    self.state.verdict.add(report.nodeid, from_property(value))
            return
        self.state.no_verdict += records
        if self.state.session is not None:
            self.state.session.shouldstop = self.state.no_verdict_reason() or True

    def pytest_warning_recorded(self, warning_message: warnings.WarningMessage) -> None:
        if issubclass(warning_message.category, (AdvisoryWarning, LiveDataNotice)):
            text = str(warning_message.message)
            if text not in self.state.advisories:
                self.state.advisories.append(text)

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        partial = self.state.coverage.no_verdict()
        if partial is not None and session.exitstatus == 0 and not self.options.allow_partial:
            self.state.no_verdict.append(partial)
        if self.state.no_verdict_reason() is not None:
            session.exitstatus = EXIT_CANNOT_JUDGE
        elif self.partial_reason() is not None and session.exitstatus in (0, 5):
            session.exitstatus = EXIT_CANNOT_JUDGE
        self.exit_status = int(session.exitstatus)

    def partial_reason(self) -> str | None:
        """Why a run that met no violation cannot pass: part of its profile never ran."""
        if not self.state.partial or self.options.allow_partial:
            return None
        return (
            f"--max-time of {self.options.max_time_s:g} s reached: {self.state.partial} "
            "test(s) cut or not started, so part of the profile never ran; --allow-partial "
            "judges what ran"
        )

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        write = terminalreporter.write_line
        for advisory in self.state.advisories[:5]:
            write(f"{PREFIX}: advisory: {advisory}")
        for line in self.state.coverage.summary_lines():
            write(f"{PREFIX}: {line}")
        if self.options.max_time_s is not None:
            generated, sent, cut = self.state.totals
            write(
                f"{PREFIX}: --max-time {self.options.max_time_s:g} s: {generated} examples "
                f"generated, {sent} sent, {cut} cut (not sent: reported skipped, never passed); "
                f"{self.state.not_run} test(s) not started"
            )
        if self.options.report_dir is not None:
            write(
                f"{PREFIX}: traffic record ({FORMAT}, {_masking(self.options)}): "
                f"{self.options.report_dir / 'traffic*.har'}"
            )
        if self.state.no_verdict_reason() is None and self.state.verdict.rules:
            for line in self.state.verdict.summary_lines():
                write(f"{PREFIX}: {line}" if not line.startswith(" ") else line)

    def pytest_unconfigure(self, config: pytest.Config) -> None:
        """The run's last line, on stderr (the controller's, under pytest-xdist)."""
        if is_worker(config):
            return
        status = getattr(self, "exit_status", None)
        reason = self.state.no_verdict_reason()
        if reason is not None:
            last_line(f"{reason}; no verdict")
        elif status == EXIT_CANNOT_JUDGE and self.partial_reason() is not None:
            last_line(f"no verdict: {self.partial_reason()}")
        elif status == 1 and self.state.verdict.rules:
            last_line(self.state.verdict.last_line(self.options.seed))
        elif status not in (None, 0, 5):
            last_line(f"no verdict: pytest ended with exit code {status}; see the output above")


def _masking(options: RunOptions) -> str:
    if options.record_bodies:
        return "real values, token masked: local only, never upload it"
    return "token masked, emails and usernames pseudonymised"


def _record(value: object) -> tuple[str, str, str]:
    """A no-verdict record back from a report (a list once pytest-xdist has carried it)."""
    category, reason, request = (str(part) for part in value)  # type: ignore[attr-defined]
    return category, reason, request
