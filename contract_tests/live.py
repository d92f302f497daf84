"""Consistency claims on live data: judged only between answers fetched close together.

A real instance changes while the suite runs (grades move, learners enrol and leave), so a
filtered answer compared with an unfiltered one fetched minutes earlier can differ without
any defect. Soundness never depends on timing (a record that does not match the filter is
a violation whatever the data did), but completeness, the union over courses and equality
with the unfiltered list do. :class:`LiveData` judges those claims like this:

1. against the latest unfiltered answer the run holds (cheap: no request);
2. on a mismatch, against an unfiltered answer fetched right after (one request);
3. on a mismatch again, in a *window*: unfiltered, the claim's own answer re-fetched,
   unfiltered. The claim holds if the answer agrees with either side. It is a violation
   only if the two unfiltered answers are identical (record for record: nothing changed in
   between, so all three answers are mutually fresh) and the answer still disagrees: the
   discrepancy reproduced. A window in which the data moved proves nothing: try another.

A discrepancy that did not reproduce is put down to live data and said so (a
:class:`LiveDataNotice` warning, listed in the run's summary), never silently passed.
"""

from __future__ import annotations

import warnings
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

import pytest
import requests

from grades_kit.contract import checks as rules
from grades_kit.contract.registry import Finding, Rule, rule
from grades_kit.contract_tests.client import GradesClient, json_body

__all__ = [
    "FilteredAnswer",
    "LiveData",
    "LiveDataNotice",
    "check_filtered",
    "fetch_filtered",
    "live_data",
]

WINDOWS = 8
"""Windows tried before giving up on a claim: at one change every 5 requests a 3-request
window is moved 2 times in 5, so 8 windows all moved is a 1-in-1500 event."""
Records = list[dict[str, Any]]
FilteredAnswer = tuple[requests.Response, list[Any]]
A = TypeVar("A")
Judge = Callable[[A, Records], list[Finding]]


class LiveDataNotice(UserWarning):
    """A discrepancy that did not reproduce against fresh answers: the data changed mid-run."""


class LiveData:
    """The run's freshest unfiltered answer, and the re-fetching judge of consistency claims."""

    def __init__(self, client: GradesClient, first: requests.Response) -> None:
        self.client = client
        self.latest: Records = _records(json_body(first))
        self.explained = 0
        """Discrepancies put down to live data (they did not reproduce)."""

    def refresh(self) -> Records:
        """GET the unfiltered list now; it becomes the latest."""
        response = self.client.get()
        body = json_body(response)
        if response.status_code != 200 or not isinstance(body, list):
            raise self.client.violation(*unfiltered_failure(response.status_code), response)
        self.latest = _records(body)
        return self.latest

    def confirm(self, first: A, ask: Callable[[], A], judge: Judge[A]) -> tuple[A, list[Finding]]:
        """The answer and the findings of ``judge`` that reproduce on mutually fresh answers.

        ``first`` is the answer already fetched, ``ask`` fetches it again. Returns no
        findings when the claim holds at some moment near the answer.
        """
        original = judge(first, self.latest)
        if not original:
            return first, []
        if not judge(first, self.refresh()):
            return first, self._explained(original, "did not reproduce")
        for _ in range(WINDOWS):
            before = self.refresh()
            answer = ask()
            after = self.refresh()
            found = judge(answer, before)
            if not found or not judge(answer, after):
                return answer, self._explained(original, "did not reproduce")
            if _same(before, after):
                return answer, found
        return first, self._explained(original, f"met moving data in {WINDOWS} windows")

    def _explained(self, original: list[Finding], why: str) -> list[Finding]:
        """No findings; the discrepancy is counted and said (once per rule and reason)."""
        self.explained += 1
        warnings.warn(
            LiveDataNotice(
                f"live data: a [{original[0].rule.id}] discrepancy {why} against fresh answers: "
                "put down to the data changing during the run"
            ),
            stacklevel=3,
        )
        return []


def unfiltered_failure(status: int) -> tuple[Rule, str]:
    """The rule and detail of an unfiltered GET that did not give a JSON array of records."""
    if status != 200:
        return rule("happy-path"), f"the unfiltered GET with a valid token got HTTP {status}"
    return rules.SCHEMA_VIOLATED, "the unfiltered GET's 200 body is not a JSON array of records"


def fetch_filtered(
    client: GradesClient, params: Mapping[str, str], probe: Rule | None = None
) -> FilteredAnswer:
    """GET with ``params``: a 200 JSON array whose every record matches (soundness, always)."""
    response = client.get(params)
    body = json_body(response)
    if response.status_code != 200 or not isinstance(body, list):
        default = rules.SERVER_ERROR if response.status_code >= 500 else rule("filter-answer")
        detail = (
            f"a valid filter must answer 200 with a JSON array, got HTTP {response.status_code}"
        )
        raise client.violation(probe or default, detail, response)
    client.enforce(rules.renamed(rules.filter_soundness(params, body), probe), response)
    return response, body


def check_filtered(
    client: GradesClient, live: LiveData, params: Mapping[str, str], probe: Rule | None = None
) -> list[Any]:
    """The answer to ``params`` is sound, and exactly the matching subset of fresh data.

    ``probe`` renames the findings (a near-miss probe reports under its own class).
    """
    first = fetch_filtered(client, params, probe)

    def judge(answer: FilteredAnswer, unfiltered: Records) -> list[Finding]:
        found = rules.filter_completeness(params, answer[1], unfiltered)
        return list(rules.renamed(found, probe))

    (response, body), findings = live.confirm(
        first, lambda: fetch_filtered(client, params, probe), judge
    )
    client.enforce(_reproduced(findings), response)
    return body


def _reproduced(findings: list[Finding]) -> list[Finding]:
    note = " (reproduced: the unfiltered answers fetched just before and after it agreed)"
    return [Finding(f.rule, f.detail + note) for f in findings[:1]] + findings[1:]


def _records(body: Any) -> Records:
    return [r for r in body if isinstance(r, dict)] if isinstance(body, list) else []


def _same(before: Sequence[Any], after: Sequence[Any]) -> bool:
    return Counter(map(rules.record_key, before)) == Counter(map(rules.record_key, after))


@pytest.fixture(scope="session")
def live_data(client: GradesClient, unfiltered_response: requests.Response) -> LiveData:
    """The run's one :class:`LiveData`: every consistency claim shares its freshest answer."""
    return LiveData(client, unfiltered_response)
