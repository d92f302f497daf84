"""What the run cost the instance: requests sent and answers waited out, with any workers.

Each process counts its own requests in its :class:`~contract_tests.health.Budget`. Under
pytest-xdist a worker tags each test report with what it sent since its previous report (a
plain dict in ``user_properties``, as the examples' counts travel), and the controller adds
them to its own (the preflight), so the requests-sent line holds whatever ``--workers`` is.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Generator

import pytest

from grades_kit.contract_tests.health import WAITED_MS, Budget

TALLY_PROPERTY = "grades-contract-tally"
"""A report's ``user_properties`` key for the requests its worker sent since the last one."""
PREFIX = "grades-contract"


class RequestTally:
    """A pytest plugin: sums the requests of every process and prints them in the summary."""

    def __init__(self, budget: Budget, worker: bool) -> None:
        self.budget = budget
        self.worker = worker
        self.reported: Counter[str] = Counter()
        self.from_workers: Counter[str] = Counter()

    def _own(self) -> Counter[str]:
        own = Counter({f"sent:{m}": n for m, n in self.budget.sent.items()})
        return own + Counter({f"throttled:{k}": n for k, n in self.budget.throttled.items()})

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(self) -> Generator[None, pytest.TestReport, pytest.TestReport]:
        report = yield
        if self.worker:
            now = self._own()
            delta = now - self.reported
            if delta:
                report.user_properties.append((TALLY_PROPERTY, dict(delta)))
            self.reported = now
        return report

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if self.worker:
            return
        for key, value in report.user_properties:
            if key == TALLY_PROPERTY and isinstance(value, dict):
                self.from_workers.update({str(k): int(v) for k, v in value.items()})

    def total(self) -> Counter[str]:
        """``sent:GET``, ``sent:OPTIONS``, ``throttled:429``, ``throttled:waited_ms``..."""
        return self._own() + self.from_workers

    def sent(self) -> Counter[str]:
        return Counter({k[5:]: n for k, n in self.total().items() if k.startswith("sent:")})

    def throttled(self) -> tuple[int, float]:
        """How many answers were waited out, and the seconds spent waiting."""
        waits = {k[10:]: n for k, n in self.total().items() if k.startswith("throttled:")}
        waited_ms = waits.pop(WAITED_MS, 0)
        return sum(waits.values()), waited_ms / 1000

    def lines(self) -> list[str]:
        sent = self.sent()
        methods = ", ".join(f"{n} {method}" for method, n in sorted(sent.items()))
        lines = [f"{PREFIX}: {sent.total()} requests sent, the preflight included ({methods})"]
        count, waited_s = self.throttled()
        if count:
            lines.append(
                f"{PREFIX}: throttled: {count} answer(s) 429/503 with Retry-After, "
                f"{waited_s:.1f} s spent waiting (each retried as asked, each counted above)"
            )
        return lines

    def pytest_terminal_summary(self, terminalreporter: pytest.TerminalReporter) -> None:
        if not self.worker:
            for line in self.lines():
                terminalreporter.write_line(line)
