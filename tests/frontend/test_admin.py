"""The admin API end to end, over real HTTP: records, journal, sticky scenarios, auth."""

from __future__ import annotations

import time
from typing import Any

import jsonschema
import pytest
import requests

from grades_kit.contract.loader import Contract, load_contract
from grades_kit.mock_server.admin import ADMIN_SPEC
from grades_kit.mock_server.settings import MAX_DELAY_MS
from tests.frontend.conftest import ADMIN, API, Live

pytestmark = pytest.mark.slow

RECORD = {
    "username": "new_learner", "email": "new@example.com",
    "course_id": "course-v1:NewOrg+N1+2026", "display_name": "A new course",
    "percent_grade": "0.50", "letter_grade": "", "passed_timestamp": None,
    "last_date": "2026-01-02",
}  # fmt: skip


def admin_contract() -> Contract:
    return load_contract(ADMIN_SPEC)


def conforms(response: requests.Response, schema_name: str) -> Any:
    """The JSON body, checked against a schema of the admin document (or the Error schema)."""
    body = response.json()
    schema = load_contract().schema("Error") if schema_name == "Error" else None
    validator = (
        jsonschema.Draft202012Validator(schema)
        if schema is not None
        else admin_contract().validator(schema_name)
    )
    validator.validate(body)
    assert response.headers["Content-Type"].startswith("application/json")
    return body


def test_admin_document_is_openapi_31_and_served(fresh: Live) -> None:
    served = fresh.admin("GET", "/openapi.json", headers={}).json()
    assert served["openapi"].startswith("3.1")
    assert "/__mock/records" in served["paths"]
    assert served["servers"] == [{"url": fresh.base}]
    record_schema = served["components"]["requestBodies"]["Records"]["content"]
    assert record_schema["application/json"]["schema"]["items"] == load_contract().schema(
        "GradeRecord"
    )


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer wrong"}, API])
def test_admin_needs_its_own_token(fresh: Live, headers: dict[str, str]) -> None:
    response = fresh.admin("GET", "/records", headers=headers)
    assert response.status_code == 401
    assert "admin token" in conforms(response, "Error")["detail"]
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_admin_is_off_without_a_token(make_client: Any) -> None:
    response = make_client().get("/__mock/records")
    assert response.status_code == 404


def test_replace_add_reset(fresh: Live) -> None:
    start = conforms(fresh.admin("GET", "/records"), "Count")["count"]
    assert start > 1
    assert conforms(fresh.admin("PUT", "/records", json=[RECORD]), "Count") == {"count": 1}
    assert fresh.get("/api/so2/v1/grades").json() == [RECORD]
    second = dict(RECORD, username="other_learner", email="other@example.com")
    assert fresh.admin("POST", "/records", json=[second]).json() == {"count": 2}
    by_user = fresh.get("/api/so2/v1/grades", params={"username": "other_learner"})
    assert by_user.json() == [second]
    assert fresh.admin("POST", "/reset").json() == {"count": start}
    assert len(fresh.get("/api/so2/v1/grades").json()) == start


@pytest.mark.parametrize(
    ("method", "body", "expected"),
    [
        ("PUT", [RECORD, dict(RECORD, percent_grade="1.7")], "record 1, field 'percent_grade'"),
        ("PUT", [RECORD, dict(RECORD, email="nope")], "record 1, field 'email'"),
        ("PUT", [RECORD, {"username": "x"}], "record 1"),
        ("PUT", [RECORD, RECORD], "duplicate (username, course_id)"),
        ("POST", [dict(RECORD, display_name="Other name"), dict(RECORD, username="b_b",
                  email="b@example.com")], "record 1, field 'display_name'"),
        ("PUT", {"records": []}, "expected a JSON array"),
    ],
)  # fmt: skip
def test_a_bad_record_rejects_the_whole_request(
    fresh: Live, method: str, body: Any, expected: str
) -> None:
    before = fresh.get("/api/so2/v1/grades").json()
    response = fresh.admin(method, "/records", json=body)
    assert response.status_code == 422
    assert expected in conforms(response, "Error")["detail"]
    assert fresh.get("/api/so2/v1/grades").json() == before


def test_added_records_are_checked_against_the_served_ones(fresh: Live) -> None:
    served = fresh.get("/api/so2/v1/grades").json()[0]
    response = fresh.admin("POST", "/records", json=[served])
    assert response.status_code == 422
    assert "record 0" in response.json()["detail"] and "duplicate" in response.json()["detail"]


def test_a_body_that_is_not_json_is_400(fresh: Live) -> None:
    headers = {**ADMIN, "Content-Type": "application/json"}
    response = fresh.admin("PUT", "/records", data=b"[{", headers=headers)
    assert response.status_code == 400
    assert "not valid JSON" in conforms(response, "Error")["detail"]


def test_journal_records_calls_without_the_token(fresh: Live) -> None:
    fresh.get("/api/so2/v1/grades", params={"course_id": "course-v1:MOOCit-demo-1"})
    fresh.http.get(fresh.base + "/api/so2/v1/grades", timeout=10)  # no token: 401
    fresh.admin("GET", "/records")  # admin calls are not journaled
    entries = fresh.admin("GET", "/journal").json()["entries"]
    for entry in entries:
        admin_contract().validator("JournalEntry").validate(entry)
    assert [(e["method"], e["path"], e["status"]) for e in entries] == [
        ("GET", "/api/so2/v1/grades", 200), ("GET", "/api/so2/v1/grades", 401),
    ]  # fmt: skip
    assert entries[0]["query"] == {"course_id": ["course-v1:MOOCit-demo-1"]}
    assert "local-dev-token" not in str(entries) and "test-admin-token" not in str(entries)


def test_journal_filters_and_clear(fresh: Live) -> None:
    fresh.get("/api/so2/v1/grades")
    fresh.get("/healthz")
    fresh.http.get(fresh.base + "/api/so2/v1/grades", timeout=10)
    assert len(fresh.admin("GET", "/journal", params={"status": 401}).json()["entries"]) == 1
    assert len(fresh.admin("GET", "/journal", params={"path": "/healthz"}).json()["entries"]) == 1
    assert len(fresh.admin("GET", "/journal", params={"method": "get"}).json()["entries"]) == 3
    bad = fresh.admin("GET", "/journal", params={"status": "abc"})
    assert bad.status_code == 400 and "status" in bad.json()["detail"]
    assert fresh.admin("DELETE", "/journal").status_code == 204
    assert fresh.admin("GET", "/journal").json() == {"entries": []}


def test_journal_keeps_the_last_n(fresh: Live) -> None:
    for _ in range(60):  # the fixture's journal size is 50
        fresh.get("/healthz")
    assert len(fresh.admin("GET", "/journal").json()["entries"]) == 50


def test_sticky_status_for_the_next_k_matching_requests(fresh: Live) -> None:
    course = "course-v1:MOOCit-demo-1"
    added = fresh.admin("POST", "/scenarios", json={"count": 2, "status": 503,
                                                    "match": {"course_id": course}})  # fmt: skip
    assert added.status_code == 201
    assert conforms(added, "Scenario") == {
        "remaining": 2,
        "status": 503,
        "delay_ms": 0,
        "match": {"course_id": course},
    }
    assert fresh.get("/api/so2/v1/grades").status_code == 200  # does not match
    statuses = [fresh.get("/api/so2/v1/grades", params={"course_id": course}) for _ in range(3)]
    assert [r.status_code for r in statuses] == [503, 503, 200]
    assert "detail" in statuses[0].json()
    assert fresh.admin("GET", "/scenarios").json() == {"scenarios": []}


def test_sticky_delay_and_admin_requests_are_not_affected(fresh: Live) -> None:
    fresh.admin("POST", "/scenarios", json={"count": 1, "delay_ms": 400})
    started = time.perf_counter()
    assert fresh.admin("GET", "/records").status_code == 200  # not consumed, not delayed
    assert time.perf_counter() - started < 0.3
    assert len(fresh.admin("GET", "/scenarios").json()["scenarios"]) == 1
    started = time.perf_counter()
    assert fresh.get("/api/so2/v1/grades").status_code == 200
    assert time.perf_counter() - started >= 0.4
    assert fresh.admin("DELETE", "/scenarios").status_code == 204


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"count": 1, "status": 418}, "status: 418 is not declared"),
        ({"count": 1, "status": 503, "match": {"course": "x"}}, "'course' is not a query"),
        ({"count": 0, "status": 503}, "count"),
        ({"count": 1}, "status"),
        ({"count": 1, "delay_ms": 99_999}, "delay_ms"),
    ],
)
def test_bad_scenarios_are_rejected(fresh: Live, body: dict[str, Any], expected: str) -> None:
    response = fresh.admin("POST", "/scenarios", json=body)
    assert response.status_code == 422
    assert expected in conforms(response, "Error")["detail"]
    assert fresh.admin("GET", "/scenarios").json() == {"scenarios": []}


def test_scenario_delay_bound_is_the_mocks_own() -> None:
    schema = admin_contract().schema("ScenarioRequest")
    assert schema["properties"]["delay_ms"]["maximum"] == MAX_DELAY_MS
