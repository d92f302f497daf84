"""The deploy gate's pytest hooks: the baseline's say on the exit code, and every report.

Registered by the plugin for the controller process (under pytest-xdist the workers' findings
reach it through the reports' ``user_properties``). It runs before the run tracker's own
``pytest_sessionfinish`` (both are ``trylast``; the later registered runs first), so a run
whose every finding is known leaves with 0 and the tracker prints no violation line.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Protocol

import pytest

from grades_kit.contract.registry import Finding
from grades_kit.contract_tests.options import RunOptions
from grades_kit.contract_tests.reports import baseline, github, machine
from grades_kit.contract_tests.reports.findings import RuleFinding, fingerprint
from grades_kit.contract_tests.reports.outcome import Outcome
from grades_kit.contract_tests.requests_sent import RequestTally
from grades_kit.contract_tests.verdict import Verdict

PREFIX = "grades-contract"
EXIT_CANNOT_JUDGE = 2


class Tracker(Protocol):
    """What the gate reads of the run tracker (``plugin.RunTracker``)."""

    def partial_reason(self) -> str | None: ...


class GateReports:
    def __init__(
        self,
        options: RunOptions,
        verdict: Verdict,
        tally: RequestTally,
        no_verdict: Any,
        tracker: Tracker,
    ) -> None:
        self.options, self.verdict, self.tally = options, verdict, tally
        self.no_verdict, self.tracker = no_verdict, tracker
        self.tests: dict[str, int] = {"passed": 0, "failed": 0, "skipped": 0}
        self.outcome: Outcome | None = None

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        """One outcome per test: its call's, or its setup's when that did not pass."""
        if report.when == "call" or (report.when == "setup" and not report.passed):
            self.tests[report.outcome] = self.tests.get(report.outcome, 0) + 1

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        today = dt.datetime.now(dt.UTC).date()
        findings = [
            RuleFinding(
                e.first.rule.id, e.count, e.first.detail, e.first.reproduction, _print(e.first)
            )
            for e in self.verdict.ranked()
        ]
        stale: list[baseline.Accepted] = []
        reports = self.options.reports
        if reports.baseline is not None:
            findings, stale = baseline.classify(findings, baseline.load(reports.baseline), today)
            if session.exitstatus == 1 and findings and not any(f.fails for f in findings):
                session.exitstatus = 0  # every violation is known and not expired
        self.outcome = self._outcome(int(session.exitstatus), findings, stale)
        self._write(self.outcome, today)

    def _outcome(
        self, status: int, findings: list[RuleFinding], stale: list[baseline.Accepted]
    ) -> Outcome:
        reason = self.no_verdict() or ""
        if not reason and status in (0, 5):
            reason = self.tracker.partial_reason() or ""
        if reason or status not in (0, 1):
            status = EXIT_CANNOT_JUDGE
        count, waited = self.tally.throttled()
        return Outcome(
            exit_code=status,
            profile=self.options.profile.name,
            seed=self.options.seed,
            findings=findings,
            requests_sent=self.tally.sent().total(),
            throttled=count,
            waited_s=waited,
            tests=dict(self.tests),
            reason=reason,
            stale=stale,
        )

    def _write(self, outcome: Outcome, today: dt.date) -> None:
        reports = self.options.reports
        if reports.verdict_json is not None:
            machine.write_json(reports.verdict_json, machine.verdict_document(outcome))
        if reports.sarif is not None:
            machine.write_json(reports.sarif, machine.sarif_document(outcome))
        if reports.junit_xml is not None:
            tree = machine.junit_document(outcome)
            tree.write(reports.junit_xml, encoding="utf-8", xml_declaration=True)
        if reports.write_baseline is not None:
            baseline.write(reports.write_baseline, outcome.findings, today)
        if reports.step_summary is not None:
            github.append_summary(reports.step_summary, outcome)

    def pytest_terminal_summary(self, terminalreporter: pytest.TerminalReporter) -> None:
        outcome = self.outcome
        if outcome is None:
            return
        write = terminalreporter.write_line
        if self.options.reports.baseline is not None and outcome.findings:
            counts = {s: sum(f.status == s for f in outcome.findings) for s in ("new", "known")}
            expired = sum(f.status == "expired" for f in outcome.findings)
            write(
                f"{PREFIX}: baseline: {counts['new']} new, {counts['known']} known (pass), "
                f"{expired} expired (fail)"
            )
        for entry in outcome.stale:
            write(f"{PREFIX}: remove from baseline: {entry.rule} {entry.fingerprint} (not seen)")
        if self.options.reports.write_baseline is not None:
            write(f"{PREFIX}: baseline written: {self.options.reports.write_baseline}")
        if self.options.reports.annotations:
            for command in github.workflow_commands(outcome):
                write(command)


def _print(finding: Finding) -> str:
    return fingerprint(finding.rule.id, finding.reproduction)
