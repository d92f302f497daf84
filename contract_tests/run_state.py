"""What one run of the suite is and learns while it runs, shared by its plugin modules.

The options, the budget and pacing (set up by :mod:`contract_tests.run_setup`), what the run
learned (no-verdict reasons, advisories, the verdict, example counts: read by
:mod:`contract_tests.run_report`), kept in pytest's stash under :data:`STATE_KEY`.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field

import pytest
import requests

from grades_kit.contract.redaction import Pseudonyms
from grades_kit.contract_tests.coverage import CoverageTracker
from grades_kit.contract_tests.health import Budget, as_record, summary
from grades_kit.contract_tests.options import RunOptions
from grades_kit.contract_tests.traffic import TrafficLog
from grades_kit.contract_tests.transport import Pace, polite_session
from grades_kit.contract_tests.verdict import Verdict

EXIT_CANNOT_JUDGE = 2
PREFIX = "grades-contract"
NO_VERDICT_PROPERTY = "grades-contract-no-verdict"
"""A report's ``user_properties`` key for the no-verdict it carries (survives pytest-xdist)."""
EXAMPLES_PROPERTY = "grades-contract-examples"
"""A report's ``user_properties`` key for its (generated, sent, cut) example counts."""
STATE_KEY = pytest.StashKey["RunState"]()


@dataclass
class RunState:
    """What the run is and learned while running (for the summary and the exit code)."""

    options: RunOptions
    budget: Budget
    pace: Pace | None = None
    """The one ``--rate-limit`` limiter of this process (this worker's share)."""
    no_verdict: list[tuple[str, str, str]] = field(default_factory=list)
    """Why the run cannot judge the instance (see :mod:`contract_tests.health`): exit 2."""
    advisories: list[str] = field(default_factory=list)
    failed: bool = False
    failure: BaseException | None = None
    """The running test's first failure: what a replay cut by ``--max-time`` raises again."""
    people: Pseudonyms = field(default_factory=lambda: Pseudonyms(""))
    """The run's one pseudonymiser (keyed by the token): every report masks with it."""
    partial: int = 0
    """Tests cut or never started because ``--max-time`` was spent: the run is partial."""
    verdict: Verdict = field(default_factory=Verdict)
    examples: list[int] = field(default_factory=lambda: [0, 0, 0])
    """Schema-driven examples generated, sent and cut by ``--max-time``, not yet reported."""
    cut_in_test: bool = False
    """Examples of the running test were cut: it must not be reported passed."""
    totals: list[int] = field(default_factory=lambda: [0, 0, 0])
    not_run: int = 0
    """Tests skipped because ``--max-time`` was spent before they started."""
    session: pytest.Session | None = None
    coverage: CoverageTracker = field(default_factory=CoverageTracker)
    """The rules that had no data to run on (exit 2 unless ``--allow-partial``)."""

    def out_of_time(self) -> bool:
        return self.budget.spent()

    def no_verdict_reason(self) -> str | None:
        """The one-line reason for exit 2, or ``None`` when the run could judge the instance."""
        records = self.no_verdict or [as_record(e) for e in self.budget.incidents]
        return summary(records) if records else None

    def session_for(self, traffic: TrafficLog | None, source: str) -> requests.Session:
        """A session on the run's one road (budget, pacing, Retry-After, traffic record)."""
        return polite_session(
            self.budget, self.options.token, self.pace, traffic, source, self.people
        )


def is_worker(config: pytest.Config) -> bool:
    return hasattr(config, "workerinput")


def last_line(reason: str, code: int = EXIT_CANNOT_JUDGE) -> int:
    print(f"{PREFIX}: {reason}", file=sys.stderr)
    return code
