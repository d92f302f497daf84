"""The Python mock against ``frontend-kit/test/conformance.json``: the requests the MSW
handlers answer in ``frontend-kit/test/conformance.test.js``, with the same expectations."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from grades_kit.contract.loader import GRADES_PATH, load_contract
from grades_kit.mock_server import create_app
from tests.serve_in_thread import serve_in_thread

CASES_FILE = Path(__file__).resolve().parents[2] / "frontend-kit" / "test" / "conformance.json"
CASES: list[dict[str, Any]] = json.loads(CASES_FILE.read_text(encoding="utf-8"))["cases"]
FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "grades.json"


def expected_body(case: dict[str, Any]) -> Any:
    """What the case's body must be, from the bundled fixtures or the spec."""
    if "records" in case:
        records = json.loads(FIXTURES.read_text(encoding="utf-8"))
        wanted = case["records"].items()
        return [r for r in records if all(r[k] == v for k, v in wanted)]
    if "example" in case:
        return load_contract().response_examples()[case["example"]]
    return case.get("body")


@pytest.fixture(scope="module")
def mock() -> Iterator[str]:
    with serve_in_thread(create_app()) as base:
        yield base


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_the_python_mock_conforms(mock: str, case: dict[str, Any]) -> None:
    query = f"?{case['query']}" if case["query"] else ""
    answer = requests.get(mock + GRADES_PATH + query, headers=case["send"], timeout=10)
    assert answer.status_code == case["status"]
    body = expected_body(case)
    if body is not None:
        assert answer.json() == body
    if "count" in case:
        assert len(answer.json()) == case["count"]
    for name, value in case.get("headers", {}).items():
        assert answer.headers.get(name) == value, name
    assert not set(case.get("absent", [])) & set(answer.headers)


def test_the_cases_cover_each_way_the_mock_answers() -> None:
    statuses = {c["status"] for c in CASES}
    assert {200, 400, 401, 403, 429, 503} <= statuses
    prefer = " ".join(c["send"].get("Prefer", "") for c in CASES)
    assert all(key in prefer for key in ("code=", "example=", "delay="))
