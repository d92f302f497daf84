"""The spec's ``x-invariants`` on the unfiltered list: strict ones fail, advisory ones warn.

One test per invariant, so a JUnit report lists each rule of the spec by its id. The same
rules also run on every answer Schemathesis gets (:mod:`contract_tests.schemathesis_checks`).
"""

from __future__ import annotations

from typing import Any

import pytest
import requests

from grades_kit.contract.loader import Invariant, load_contract
from grades_kit.contract.registry import rule
from grades_kit.contract_tests import invariant_severity as invariants
from grades_kit.contract_tests.client import GradesClient
from grades_kit.contract_tests.coverage import no_data

INVARIANTS = load_contract().invariants()


@pytest.mark.parametrize("invariant", INVARIANTS, ids=[i.id for i in INVARIANTS])
def test_invariant_holds(
    invariant: Invariant,
    all_grades: list[dict[str, Any]],
    unfiltered_response: requests.Response,
    client: GradesClient,
) -> None:
    """The invariant holds on every record (record scope) or on the whole list (list scope)."""
    if not all_grades:
        no_data([rule(f"invariant/{invariant.id}")], "the instance returned no record")
    found = list(invariants.violations(invariant, all_grades))
    detail = invariants.verdict(invariant, found)
    if detail is not None:
        raise client.violation(rule(f"invariant/{invariant.id}"), detail, unfiltered_response)
