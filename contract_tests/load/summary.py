"""The end of a load run: throughput and latency per request kind, then the kit's verdict.

Exit codes, as every ``grades-contract`` run: 0 no violation (or only the baseline's known
ones); 1 violations, one line per
rule with its count, where it broke, a concurrency note when it only broke under load, and
a reproduction; 2 no verdict (the instance unreachable, the token refused, or too many
requests without an answer, which stops the run).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass

from grades_kit.contract.loader import GRADES_PATH
from grades_kit.contract_tests.load.load_tally import (
    Example,
    LoadTally,
    concurrency_note,
    kinds_line,
)
from grades_kit.contract_tests.reports.baseline import Accepted, classify
from grades_kit.contract_tests.reports.findings import RuleFinding, request_fingerprint

__all__ = ["EXIT_CONFORMS", "EXIT_NO_VERDICT", "EXIT_VIOLATED", "KindStats", "Ending", "ending"]

EXIT_CONFORMS, EXIT_VIOLATED, EXIT_NO_VERDICT = 0, 1, 2
PROG = "grades-contract load"


@dataclass(frozen=True)
class KindStats:
    """Locust's numbers for one request kind (its statistics entry of that name)."""

    kind: str
    requests: int
    failures: int
    rps: float
    p50_ms: float
    p95_ms: float
    p99_ms: float


@dataclass(frozen=True)
class Ending:
    lines: tuple[str, ...]
    exit_code: int


def ending(
    tally: LoadTally,
    stats: Sequence[KindStats],
    *,
    stopped: str | None,
    rerun: str,
    show_details: bool,
    accepted: Sequence[Accepted] = (),
    today: dt.date | None = None,
) -> Ending:
    """The summary's lines and the exit code (``stopped``: why the run was cut short).

    With ``accepted`` (the suite's ``--baseline``), a rule whose finding is known and not
    expired is listed as known and does not fail the run; the fingerprint is the suite's (the
    rule and the request's shape), so one baseline file serves both."""
    lines = list(_throughput(stats))
    if stopped is not None:
        lines += list(_unanswered(tally))
        return Ending((*lines, f"{PROG}: no verdict: {stopped}"), EXIT_NO_VERDICT)
    if tally.total == 0:
        return Ending((*lines, f"{PROG}: no verdict: no request was sent"), EXIT_NO_VERDICT)
    lines += list(_unanswered(tally))
    if not tally.rules:
        last = f"{PROG}: conforms under load: {tally.total} requests, no violation"
        return Ending((*lines, last), EXIT_CONFORMS)
    status = _baseline_status(tally, accepted, today or dt.date.today())
    lines += list(_violations(tally, rerun, show_details, status))
    names = [name for name, _ in tally.ranked() if status.get(name) != "known"]
    if not names:
        last = f"{PROG}: conforms under load but for the baseline's known violations"
        return Ending((*lines, last), EXIT_CONFORMS)
    more = f" (+{len(names) - 3} more)" if len(names) > 3 else ""
    last = f"{PROG}: contract violated: {', '.join(names[:3])}{more}"
    return Ending((*lines, last), EXIT_VIOLATED)


def load_fingerprint(rule: str, example: Example | None) -> str:
    """The suite's fingerprint of a rule's first violation: the rule and the request's shape."""
    if example is None:
        return request_fingerprint(rule, "GET", "")
    query = f"?{example.shown}" if example.shown else ""
    return request_fingerprint(rule, example.method, f"{GRADES_PATH}{query}")


def _baseline_status(
    tally: LoadTally, accepted: Sequence[Accepted], today: dt.date
) -> dict[str, str]:
    """Each broken rule: new, known or expired (nothing when there is no baseline)."""
    if not accepted:
        return {}
    found = [
        RuleFinding(rule, entry.count, "", "", load_fingerprint(rule, entry.first))
        for rule, entry in tally.ranked()
    ]
    marked, _ = classify(found, accepted, today)
    return {finding.rule: finding.status for finding in marked}


def _throughput(stats: Sequence[KindStats]) -> Iterator[str]:
    yield "Throughput and latency per request kind (ms):"
    yield f"  {'kind':<24}{'requests':>9}{'failed':>8}{'req/s':>9}{'p50':>7}{'p95':>7}{'p99':>7}"
    for s in stats:
        yield (
            f"  {s.kind:<24}{s.requests:>9}{s.failures:>8}{s.rps:>9.1f}"
            f"{s.p50_ms:>7.0f}{s.p95_ms:>7.0f}{s.p99_ms:>7.0f}"
        )


def _unanswered(tally: LoadTally) -> Iterator[str]:
    for reason, entry in sorted(tally.no_answer.items(), key=lambda item: -item[1].count):
        share = entry.count / tally.total if tally.total else 0.0
        note = concurrency_note(entry, tally.levels)
        yield f"  no answer ({reason}): {entry.count} of {tally.total} requests ({share:.1%})"
        if note:
            yield f"      {note}"


def _violations(
    tally: LoadTally, rerun: str, show_details: bool, status: Mapping[str, str]
) -> Iterator[str]:
    yield f"contract violated under load: {len(tally.rules)} rule(s), most severe first"
    for rule, entry in tally.ranked():
        known = f" ({status[rule]}: baseline)" if rule in status and status[rule] != "new" else ""
        kinds = kinds_line(entry.kinds)
        yield f"  [{rule}] {entry.count} of {tally.total} requests ({kinds}){known}"
        note = concurrency_note(entry, tally.levels)
        if note:
            yield f"      {note}"
        if entry.first is not None:
            yield f"      first: {_example(entry.first, show_details)}"
            yield f"      reproduce: {rerun} --mix {entry.first.kind}"


def _example(example: Example, show_details: bool) -> str:
    target = f"{example.method} <base-url>/api/so2/v1/grades" + (
        f"?{example.shown}" if example.shown else ""
    )
    detail = f": {example.detail}" if show_details and example.detail else ""
    return f"{example.kind}: {target} -> HTTP {example.status}{detail}"
