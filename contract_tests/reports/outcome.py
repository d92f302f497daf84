"""What every report of a run says, gathered once: the verdict, the findings, the coverage."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from grades_kit.contract_tests.reports.baseline import Accepted
from grades_kit.contract_tests.reports.findings import RuleFinding

VERDICTS = {0: "pass", 1: "fail", 2: "no verdict"}


@dataclass(frozen=True)
class Outcome:
    """The run's result, free of learner data (findings are masked before they get here)."""

    exit_code: int
    profile: str
    seed: int
    findings: Sequence[RuleFinding]
    requests_sent: int
    throttled: int
    waited_s: float
    tests: dict[str, int]
    """pytest outcomes: passed, failed, skipped (the coverage line)."""
    reason: str = ""
    """Why there is no verdict (exit 2), in one line."""
    stale: Sequence[Accepted] = field(default_factory=tuple)
    """Baseline entries the run did not see: remove them from the baseline."""

    @property
    def verdict(self) -> str:
        return VERDICTS.get(self.exit_code, "no verdict")

    def coverage_line(self) -> str:
        passed, failed, skipped = (self.tests.get(k, 0) for k in ("passed", "failed", "skipped"))
        throttled = (
            f"; {self.throttled} throttled answer(s), {self.waited_s:.1f} s waited"
            if self.throttled
            else ""
        )
        return (
            f"{passed + failed + skipped} tests: {passed} passed, {failed} failed, "
            f"{skipped} skipped (cut or not run); {self.requests_sent} requests sent{throttled}"
        )
