"""Schemathesis' failures become registry rules by their class, keeping their severity."""

from __future__ import annotations

import inspect

import pytest
import schemathesis.core.failures as core_failures
import schemathesis.openapi.checks as openapi_failures
from schemathesis.core.failures import CustomFailure, Failure, ServerError, Severity
from schemathesis.openapi.checks import IgnoredAuth

from grades_kit.contract import checks as rules
from grades_kit.contract.registry import Finding, rule
from grades_kit.contract_tests.schema import DISABLED_CHECKS
from grades_kit.contract_tests.violation import (
    FAILURE_RULES,
    ContractViolation,
    findings_of,
)


def failure(kind: type[Failure], title: str = "a title", message: str = "a message") -> Failure:
    """An instance of ``kind`` whatever its constructor asks for (only the base fields matter)."""
    made = Failure.__new__(kind)
    Failure.__init__(made, operation="GET /api/so2/v1/grades", title=title, message=message)
    return made


@pytest.mark.parametrize("kind", list(FAILURE_RULES), ids=lambda kind: kind.__name__)
def test_each_failure_class_keeps_schemathesis_severity(kind: type[Failure]) -> None:
    """The rule's severity is the one the class gives itself in Schemathesis' source."""
    declared = rule(FAILURE_RULES[kind]).severity.value
    source = inspect.getsource(kind)
    severities = {s.value for s in Severity if f"Severity.{s.name}" in source}
    assert severities == {declared}, (kind.__name__, severities, declared)


@pytest.mark.parametrize("kind", list(FAILURE_RULES), ids=lambda kind: kind.__name__)
def test_each_mapped_failure_comes_from_a_check_the_suite_runs(kind: type[Failure]) -> None:
    checks = set(getattr(kind, "checks", ()))
    assert checks and not checks <= set(DISABLED_CHECKS), kind.__name__


def test_one_class_with_two_titles_is_one_rule() -> None:
    without = failure(IgnoredAuth, "API accepts requests without authentication")
    invalid = failure(IgnoredAuth, "API accepts invalid authentication")
    assert {f.rule.id for f in findings_of(without) + findings_of(invalid)} == {
        "schemathesis/ignored-auth"
    }


def test_a_subclass_maps_through_its_parent_and_the_proxy_uses_the_same_rules() -> None:
    content_type_error = core_failures.ContentTypeServerError
    assert findings_of(failure(content_type_error))[0].rule == rules.SERVER_ERROR
    pairs = {
        rules.SCHEMA_VIOLATED: openapi_failures.JsonSchemaError,
        rules.NOT_JSON: core_failures.MalformedJson,
        rules.UNDOCUMENTED_STATUS: openapi_failures.UndefinedStatusCode,
        rules.UNDOCUMENTED_CONTENT_TYPE: openapi_failures.UndefinedContentType,
        rules.MISSING_HEADERS: openapi_failures.MissingHeaders,
        rules.BAD_REQUEST_ACCEPTED: core_failures.AcceptedNegativeData,
        rules.GOOD_REQUEST_REJECTED: openapi_failures.RejectedPositiveData,
    }
    for expected, kind in pairs.items():
        assert findings_of(failure(kind))[0].rule == expected, kind.__name__


def test_a_custom_check_failure_carries_the_findings_of_its_exception() -> None:
    broken = ContractViolation([Finding(rule("invariant/unique-learner-course"), "twice")])
    custom = CustomFailure(operation="GET /", title="Custom check failed", message="x",
                           exception=broken)  # fmt: skip
    (found,) = findings_of(custom)
    assert found.rule.id == "invariant/unique-learner-course" and found.detail == "twice"


def test_an_exception_no_rule_knows_is_reported_under_one_rule_with_its_type() -> None:
    latin = UnicodeDecodeError("utf-8", b"\xe9", 0, 1, "invalid continuation byte")
    (found,) = findings_of(latin)
    assert found.rule.id == "suite/unexpected-error"
    assert found.detail.startswith("UnicodeDecodeError: ")
    (unmapped,) = findings_of(failure(openapi_failures.UnsupportedMethodResponse))
    assert unmapped.rule.id == "suite/unexpected-error" and "UnsupportedMethodResponse" in (
        unmapped.detail
    )


def test_a_server_error_keeps_its_code_and_title_in_the_detail() -> None:
    (found,) = findings_of(failure(ServerError, "Server error", "Received a response with 5xx"))
    assert found.detail == "ST... Server error: Received a response with 5xx".replace(
        "ST...", ServerError.code
    )
