"""The one invariant engine: tied to the spec's ids, strict parsers, no exceptions."""

from __future__ import annotations

import pytest

from grades_kit.contract import invariants
from grades_kit.contract.loader import load_contract
from grades_kit.contract.schema_errors import schema_problem
from grades_kit.contract_tests import invariant_severity as suite_invariants
from grades_kit.mock_server.fixture_invariants import InvariantTracker

CONTRACT = load_contract()
RECORD = dict(CONTRACT.response_examples()["all"][0])
BY_ID = {inv.id: inv for inv in CONTRACT.invariants()}


def test_every_spec_invariant_has_exactly_one_implementation_and_vice_versa() -> None:
    assert set(BY_ID) == invariants.implemented_ids()
    assert len(BY_ID) == len(CONTRACT.invariants())  # no id declared twice in the spec
    assert not set(invariants.RECORD_RULES) & set(invariants.LIST_RULES)
    for invariant in CONTRACT.invariants():
        registry = invariants.RECORD_RULES if invariant.scope == "record" else invariants.LIST_RULES
        assert invariant.id in registry


def test_an_id_cannot_be_implemented_twice() -> None:
    with pytest.raises(ValueError, match="implemented twice"):
        invariants.record_rule("percent-grade-in-range")(lambda record, formats: None)


@pytest.mark.parametrize(
    "stamp",
    [
        "2020-01-01",  # a date alone
        "2020-01-01T10:00:00",  # ISO 8601's T, not the spec's space
        "2020-01-01 10:00:00+02:00",  # a zone; the spec's instants are UTC without one
        "2020-1-1 10:00:00",
        "2021-02-30 10:00:00",  # shaped right, no such day
        "",
    ],
)
def test_timestamps_follow_the_spec_format_strictly(stamp: str) -> None:
    record = dict(RECORD, passed_timestamp=stamp, letter_grade="Pass")
    found = list(
        invariants.violations(CONTRACT, BY_ID["passed-timestamp-is-a-real-instant"], [record])
    )
    assert found and "not a real date and time" in found[0]


@pytest.mark.parametrize(
    "grade", ["NaN", "sNaN", "Infinity", "-Infinity", "1e-1", "0_5", " 0.5", "x"]
)
def test_a_malformed_percent_grade_is_a_finding_not_an_exception(grade: str) -> None:
    record = dict(RECORD, percent_grade=grade)
    found = list(invariants.violations(CONTRACT, BY_ID["percent-grade-in-range"], [record]))
    assert found and "not a decimal number" in found[0]


def test_suite_and_mock_judge_malformed_values_alike() -> None:
    """Both sides run the same engine: what the mock refuses, the suite reports."""
    for change in ({"passed_timestamp": "2020-01-01T10:00:00"}, {"percent_grade": "NaN"}):
        record = dict(RECORD, **change)
        assert InvariantTracker(CONTRACT).check(record) is not None
        assert any(
            list(suite_invariants.violations(inv, [record])) for inv in CONTRACT.invariants()
        )


def test_mock_forgets_a_rejected_record_the_suite_does_not() -> None:
    bad = dict(RECORD, percent_grade="1.50")
    tracker = InvariantTracker(CONTRACT)
    assert tracker.check(bad) is not None
    assert tracker.check(dict(RECORD)) is None  # the rejected one was not kept
    unique = BY_ID["unique-learner-course"]
    assert list(invariants.violations(CONTRACT, unique, [bad, dict(RECORD)]))


def test_advisory_rules_are_not_enforced_on_fixtures_but_warn_in_the_suite() -> None:
    record = dict(RECORD, letter_grade="", passed_timestamp="2020-01-01 10:00:00")
    assert InvariantTracker(CONTRACT).check(record) is None
    advisory = BY_ID["passed-timestamp-has-letter-grade"]
    found = list(suite_invariants.violations(advisory, [record]))
    with pytest.warns(suite_invariants.AdvisoryInvariantWarning):
        assert suite_invariants.verdict(advisory, found) is None


def test_engine_reports_rule_names_and_keeps_only_first_values() -> None:
    engine = invariants.InvariantEngine(CONTRACT)
    assert engine.check(RECORD) == []
    other = dict(RECORD, username="someone_else", display_name="Another title")
    breaches = engine.check(other)
    assert [b.rule.id for b in breaches] == ["invariant/one-display-name-per-course"]
    assert breaches[0].index == 1 and "of record 0" in breaches[0].reason
    assert engine.check(["not", "a", "record"]) == []


def test_schema_problem_is_the_best_match_on_one_line() -> None:
    validator = CONTRACT.validator("GradeRecord")
    problem = schema_problem(validator.iter_errors(dict(RECORD, percent_grade=0.5)))
    assert problem is not None and problem.field == "percent_grade"
    assert str(problem).startswith("percent_grade: 0.5 is not of type") and "\n" not in str(problem)
    assert schema_problem(validator.iter_errors(RECORD)) is None
