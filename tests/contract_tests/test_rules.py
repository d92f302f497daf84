"""The suite's rules and plumbing without a server: each rule catches what it names."""

from __future__ import annotations

import pytest
import requests

from grades_kit.contract import checks as rules
from grades_kit.contract.loader import load_contract
from grades_kit.contract.registry import rule
from grades_kit.contract_tests import invariant_severity as invariants
from grades_kit.contract_tests.client import ContractViolation, GradesClient
from grades_kit.contract_tests.options import UsageProblem, build_options, rate_limit_per_worker
from grades_kit.contract_tests.readiness import _judge
from grades_kit.contract_tests.schema import DISABLED_CHECKS, config_dict

CONTRACT = load_contract()
RECORDS = CONTRACT.response_examples()["all"]


def options(**overrides: object):
    values: dict[str, object] = dict(
        base_url="http://127.0.0.1:9",
        token="s3cret-token",
        profile="ci",
        seed=None,
        max_examples=None,
        max_time_s=None,
        rate_limit=None,
        max_response_ms=None,
        report_dir=None,
        request_timeout_s=None,
    )
    values.update(overrides)
    return build_options(**values)  # type: ignore[arg-type]


def test_the_spec_examples_satisfy_every_invariant() -> None:
    for invariant in CONTRACT.invariants():
        assert list(invariants.violations(invariant, RECORDS)) == [], invariant.id


@pytest.mark.parametrize(
    ("invariant_id", "change"),
    [
        ("percent-grade-in-range", {"percent_grade": "1.50"}),
        ("passed-timestamp-is-a-real-instant", {"passed_timestamp": "2021-02-30 10:00:00"}),
        ("letter-grade-has-passed-timestamp", {"letter_grade": "Pass", "passed_timestamp": None}),
        ("passed-timestamp-has-letter-grade", {"letter_grade": ""}),
        ("passed-before-last-update", {"last_date": "2019-01-01"}),
        ("one-display-name-per-course", {"display_name": "Another title"}),
        ("one-email-per-learner", {"email": "other@example.com"}),
    ],
)
def test_each_invariant_catches_its_defect(invariant_id: str, change: dict[str, object]) -> None:
    invariant = next(i for i in CONTRACT.invariants() if i.id == invariant_id)
    broken = [dict(RECORDS[0], **change), *RECORDS[1:]]
    assert list(invariants.violations(invariant, broken))


def test_duplicate_pair_is_caught() -> None:
    invariant = next(i for i in CONTRACT.invariants() if i.id == "unique-learner-course")
    assert list(invariants.violations(invariant, RECORDS + RECORDS[:1]))


def test_filter_soundness_names_the_rule_and_the_record() -> None:
    found = list(rules.filter_soundness({"course_id": "course-v1:X"}, RECORDS[:1]))
    assert found[0].rule == rule("filter-soundness/course_id")
    assert "record 0 has course_id 'course-v1:MOOCit-demo-1'" in found[0].detail


def test_filter_completeness_sees_missing_and_extra_records() -> None:
    params = {"username": "johndoe"}
    assert list(rules.filter_completeness(params, RECORDS[:1], RECORDS))  # one missing
    matching = [r for r in RECORDS if r["username"] == "johndoe"]
    assert list(rules.filter_completeness(params, matching, RECORDS)) == []
    assert list(rules.filter_completeness(params, matching + RECORDS[1:2], RECORDS))


def test_union_of_courses() -> None:
    by_course = {
        c: [r for r in RECORDS if r["course_id"] == c] for c in {"course-v1:MOOCit-demo-1"}
    }
    assert list(rules.union_of_courses(RECORDS, by_course))


def test_example_shape_catches_missing_key_and_wrong_type() -> None:
    expected = CONTRACT.response_examples()["all"]
    assert list(rules.example_shape("all", expected, expected)) == []
    wrong = [dict(expected[0], percent_grade=0.8)]
    assert "is float" in next(rules.example_shape("all", expected, wrong)).detail
    assert list(rules.example_shape("empty", [], expected))


def test_preflight_wildcard_headers_do_not_cover_authorization() -> None:
    headers = {
        "Access-Control-Allow-Origin": "*",
        "Access-Control-Allow-Methods": "GET",
        "Access-Control-Allow-Headers": "*",
    }
    found = list(rules.preflight_allows_get_with_authorization(CONTRACT, "https://a", 204, headers))
    assert "wildcard does not cover Authorization" in found[0].detail


@pytest.mark.parametrize(
    ("status", "verdict"),
    [
        (200, None),
        (401, "token rejected"),
        (403, "token rejected"),
        (404, "no Grades API"),
        (503, "instance unhealthy"),
        (400, None),
    ],
)
def test_preflight_verdicts(status: int, verdict: str | None) -> None:
    problem = _judge("http://x/api/so2/v1/grades", status)
    assert (problem is None) if verdict is None else (verdict in str(problem))


def test_client_never_sends_unsafe_methods_and_masks_the_token() -> None:
    client = GradesClient(options())
    with pytest.raises(ValueError, match="only GET and OPTIONS"):
        client.send("DELETE", {}, {})
    request = requests.Request("GET", client.url, headers={"Authorization": client.bearer()})
    curl = client.curl(request.prepare())
    assert "s3cret-token" not in curl and '-H "Authorization: Bearer $GRADES_TOKEN"' in curl
    violation = client.violation(rule("happy-path"), "detail")
    assert isinstance(violation, ContractViolation)
    assert str(violation).startswith("[happy-path] detail")
    assert violation.findings[0].rule is rule("happy-path")


def test_options_validate_and_pin_the_ci_seed() -> None:
    assert options().seed == options().seed  # ci: fixed seed
    assert options(profile="smoke", seed=7).seed == 7
    assert "s3cret-token" not in repr(options())
    with pytest.raises(UsageProblem):
        options(base_url="ftp://host")
    with pytest.raises(UsageProblem):
        options(token="  ")


def test_schemathesis_config_only_disables_checks_with_a_reason() -> None:
    config = config_dict(options())
    disabled = {name for name, c in config["checks"].items() if not c.get("enabled", True)}
    assert disabled == set(DISABLED_CHECKS) and all(DISABLED_CHECKS.values())
    assert config["phases"]["coverage"]["unexpected-methods"] == []


@pytest.mark.parametrize(
    ("rate", "workers", "each"),
    [("10/s", 1, "10/s"), ("10/s", 2, "5/s"), ("11/m", 2, "5/m"), ("3/h", 3, "1/h")],
)
def test_rate_limit_is_split_over_workers_rounding_down(rate: str, workers: int, each: str) -> None:
    """Each pytest-xdist worker paces itself: together they must stay under the limit."""
    assert rate_limit_per_worker(rate, workers) == each


def test_a_rate_limit_below_the_worker_count_is_refused() -> None:
    with pytest.raises(UsageProblem, match="cannot be shared by 4 workers"):
        rate_limit_per_worker("3/s", 4)
