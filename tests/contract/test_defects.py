"""Each defect of the GitBook page listed in docs/transcription.md is shown fixed in the spec.

One function per defect, registered under its id (D1, D2...). Where it is cheap, a check first
shows that the page really has the defect (so an upstream fix is noticed), then that the spec
does not. A last test parses the doc so that its list and this registry cannot diverge.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from grades_kit.contract.loader import GRADES_PATH, Contract
from grades_kit.drift.gitbook import SwaggerBlock
from tests.contract.conftest import TRANSCRIPTION_PATH, Page

Check = Callable[[Contract, Page], None]
DEFECTS: dict[str, Check] = {}
HTTP_METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}


def defect(defect_id: str) -> Callable[[Check], Check]:
    def register(check: Check) -> Check:
        assert defect_id not in DEFECTS, f"{defect_id} registered twice"
        DEFECTS[defect_id] = check
        return check

    return register


# --- helpers: the page's blocks and records, the spec's examples ---------------------------------


def _block(page: Page, query: frozenset[str]) -> SwaggerBlock:
    """The page's block whose path carries exactly these query parameters."""
    found = [b for b in page.blocks if {p.name for p in b.parameters_in("query")} == query]
    assert len(found) == 1, f"page blocks for query {set(query)}: {len(found)}"
    return found[0]


def _page_records(block: SwaggerBlock) -> list[dict[str, Any]]:
    (response,) = block.responses
    return list(response.records)


def _example_for(contract: Contract, block: SwaggerBlock) -> tuple[str, list[dict[str, Any]]]:
    """The named 200 example that corrects this block's example (same query, not empty)."""
    names = {p.name for p in block.parameters_in("query")}
    for name, query in contract.example_queries().items():
        example = contract.response_examples()[name]
        if set(query) == names and example:
            return name, example
    raise AssertionError(f"no named example for {block.title}")


def _all_spec_records(contract: Contract) -> Iterator[dict[str, Any]]:
    for example in contract.response_examples().values():
        yield from example


def _pair(record: dict[str, Any]) -> tuple[str, str]:
    return (record["username"], record["course_id"])


def _grade(record: dict[str, Any]) -> tuple[Any, ...]:
    """What a record says about the learner's result, apart from which course it is."""
    fields = ("username", "email", "percent_grade", "letter_grade", "passed_timestamp", "last_date")
    return tuple(record[name] for name in fields)


def _code_blocks(text: str) -> list[str]:
    return [part.split("```", 1)[0] for part in text.split("```json")[1:]]


def _errors(contract: Contract, schema: dict[str, Any], value: Any) -> bool:
    import jsonschema

    cls = jsonschema.Draft202012Validator
    return not cls(schema, format_checker=cls.FORMAT_CHECKER).is_valid(value)


def _operations(contract: Contract) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in contract.document["paths"].items():
        for method, operation in item.items():
            if method in HTTP_METHODS:
                yield path, method, operation


def _strings(node: Any, key: str = "") -> Iterator[tuple[str, str]]:
    """(key, text) for every string in the document, with the key that holds it."""
    if isinstance(node, dict):
        for name, value in node.items():
            yield from _strings(value, str(name))
    elif isinstance(node, list):
        for item in node:
            yield from _strings(item, key)
    elif isinstance(node, str):
        yield key, node


# --- the defects -------------------------------------------------------------------------------


@defect("D1")
def examples_are_arrays(contract: Contract, page: Page) -> None:
    for text in _code_blocks(page.text):
        assert not text.strip().startswith("["), "the page now wraps its example in [ ]"
    assert contract.schema("GradeList")["type"] == "array"
    for name, example in contract.response_examples().items():
        assert isinstance(example, list), name
        assert not contract.validator("GradeList").is_valid(example[0] if example else {}), name


@defect("D2")
def records_keep_both_fields_with_the_page_values(contract: Contract, page: Page) -> None:
    for text in _code_blocks(page.text):
        with pytest.raises(json.JSONDecodeError):
            json.loads(f"[{text.replace('...', '')}]")  # still not JSON even once wrapped
    every = contract.response_examples()["all"]
    for record in _page_records(_block(page, frozenset())):
        assert record in every, f"page record {_pair(record)} not kept as it is"
    for record in _all_spec_records(contract):
        assert "passed_timestamp" in record and "last_date" in record


@defect("D3")
def the_all_example_is_complete(contract: Contract, page: Page) -> None:
    assert all(text.rstrip().endswith("...") for text in _code_blocks(page.text))
    every = {_pair(record): record for record in contract.response_examples()["all"]}
    assert len(every) > len(_page_records(_block(page, frozenset())))
    for record in _all_spec_records(contract):
        assert every.get(_pair(record)) == record, f"{_pair(record)} missing from `all`"


@defect("D4")
def by_course_holds_only_the_requested_course(contract: Contract, page: Page) -> None:
    block = _block(page, frozenset({"course_id"}))
    name, example = _example_for(contract, block)
    course = contract.example_queries()[name]["course_id"]
    assert {r["course_id"] for r in _page_records(block)} != {course}, "the page was fixed"
    assert example and {record["course_id"] for record in example} == {course}
    for record in _page_records(block):  # every page record kept, moved to the course
        assert any(_grade(record) == _grade(fixed) for fixed in example)


@defect("D5")
def one_display_name_per_course(contract: Contract, page: Page) -> None:
    truth = {r["course_id"]: r["display_name"] for r in _page_records(_block(page, frozenset()))}
    wrong = [
        r
        for b in page.blocks
        for r in _page_records(b)
        if truth.get(r["course_id"], "") not in ("", r["display_name"])
    ]
    assert wrong, "the page no longer contradicts itself"
    names: dict[str, set[str]] = {}
    for record in _all_spec_records(contract):
        names.setdefault(record["course_id"], set()).add(record["display_name"])
    assert all(len(found) == 1 for found in names.values()), names
    for course, display_name in truth.items():
        assert names[course] == {display_name}


@defect("D6")
def no_duplicate_learner_course_pair(contract: Contract, page: Page) -> None:
    block = _block(page, frozenset({"username"}))
    pairs = [_pair(record) for record in _page_records(block)]
    assert len(set(pairs)) < len(pairs), "the page no longer has a duplicate pair"
    for name, example in contract.response_examples().items():
        example_pairs = [_pair(record) for record in example]
        assert len(set(example_pairs)) == len(example_pairs), name
    _, example = _example_for(contract, block)
    for record in _page_records(block):  # both grades kept, each in its own course
        assert any(_grade(record) == _grade(fixed) for fixed in example)


@defect("D7")
def no_markdown_escapes(contract: Contract, page: Page) -> None:
    assert "\\<auth\\_token>" in page.text and "course\\_id" in page.text
    for key, text in _strings(contract.document):
        if key != "pattern":  # a regex may escape what it likes
            assert not any(f"\\{char}" in text for char in "_<>*"), f"{key}: {text!r}"
    scheme = contract.document["components"]["securitySchemes"]["bearerAuth"]
    assert "Bearer <auth_token>" in scheme["description"]


@defect("D8")
def authorization_is_a_security_scheme(contract: Contract, page: Page) -> None:
    assert all(
        "authorization" in {p.name.lower() for p in b.parameters_in("header")} for b in page.blocks
    )
    for path, method, operation in _operations(contract):
        names = {p["name"].lower() for p in operation.get("parameters", [])}
        assert "authorization" not in names, f"{method} {path}"
    schemes = contract.document["components"]["securitySchemes"]
    (requirement,) = contract.document["security"]
    (name,) = requirement
    assert schemes[name]["type"] == "http" and schemes[name]["scheme"] == "bearer"
    assert "security" not in contract.operation("get")  # the global requirement applies


@defect("D9")
def no_content_type_on_the_get(contract: Contract, page: Page) -> None:
    assert any(p.name == "Content-Type" and p.required for p in page.blocks[0].parameters)
    get = contract.operation("get")
    assert "requestBody" not in get
    assert "content-type" not in {p["name"].lower() for p in get.get("parameters", [])}


@defect("D10")
def cors_request_headers_belong_to_the_preflight(contract: Contract, page: Page) -> None:
    name = "Access-Control-Request-Headers"
    assert any(p.name == name and p.required for p in page.blocks[0].parameters)
    assert name not in {p["name"] for p in contract.operation("get").get("parameters", [])}
    preflight = contract.operation("options")
    (parameter,) = [p for p in preflight["parameters"] if p["name"] == name]
    assert parameter["in"] == "header" and not parameter.get("required", False)
    assert preflight["security"] == []
    for status in contract.statuses("options"):
        allowed = contract.response(status, "options")["headers"]["Access-Control-Allow-Headers"]
        assert "authorization" in allowed["example"].lower()


@defect("D11")
def one_path_one_operation(contract: Contract, page: Page) -> None:
    assert any("?" in block.path or block.parameters_in("query") for block in page.blocks)
    assert all("?" not in path for path in contract.document["paths"])
    documented = {p.name for block in page.blocks for p in block.parameters_in("query")}
    assert {block.path for block in page.blocks} == {GRADES_PATH}
    assert set(contract.query_parameters()) == documented
    assert all(not p.get("required", False) for p in contract.query_parameters().values())


@defect("D12")
def every_parameter_is_described(contract: Contract, page: Page) -> None:
    (username,) = _block(page, frozenset({"username"})).parameters_in("query")
    assert username.description == ""
    for path, method, operation in _operations(contract):
        for parameter in operation.get("parameters", []):
            assert parameter.get("description", "").strip(), f"{method} {path} {parameter['name']}"


@defect("D13")
def course_key_pattern_accepts_both_forms(contract: Contract, page: Page) -> None:
    (parameter,) = _block(page, frozenset({"course_id"})).parameters_in("query")
    documented_form = parameter.description.split()[-1]  # "course-v1:org+num+session"
    page_values = {r["course_id"] for b in page.blocks for r in _page_records(b)}
    assert "+" in documented_form and all("+" not in value for value in page_values)
    key = contract.schema("CourseKey")
    for value in {documented_form, *page_values}:
        assert not _errors(contract, key, value), value
    for bad in ("MOOCit-demo-1", "course-v1:", "course-v1:a+b+c+d", "course-v1:a b"):
        assert _errors(contract, key, bad), bad


@defect("D14")
def percent_grade_is_a_two_decimal_string(contract: Contract, page: Page) -> None:
    schema = contract.schema("GradeRecord")["properties"]["percent_grade"]
    for value in {r["percent_grade"] for b in page.blocks for r in _page_records(b)}:
        assert not _errors(contract, schema, value), value
    for bad in (0.8, "0.8", "1.01", "-0.10", "0.800", "2.00"):
        assert _errors(contract, schema, bad), bad


@defect("D15")
def passed_timestamp_format_is_stated(contract: Contract, page: Page) -> None:
    schema = contract.schema("GradeRecord")["properties"]["passed_timestamp"]
    values = {r["passed_timestamp"] for b in page.blocks for r in _page_records(b)}
    assert None in values
    for value in values:
        assert not _errors(contract, schema, value), value
    for bad in ("2020-03-28T23:21:24.354019Z", "2020-03-28 24:00:00", "2020-03-28", ""):
        assert _errors(contract, schema, bad), bad
    assert "UTC" in schema["description"] and "null" in schema["description"]


@defect("D16")
def every_field_is_described_and_required(contract: Contract, page: Page) -> None:
    record = contract.schema("GradeRecord")
    shown = {name for b in page.blocks for r in _page_records(b) for name in r}
    assert set(record["properties"]) == shown
    assert set(record["required"]) == shown
    for name, schema in record["properties"].items():
        assert schema.get("description", "").strip(), name


@defect("D17")
def error_statuses_are_declared_with_a_body(contract: Contract, page: Page) -> None:
    assert {r.status for b in page.blocks for r in b.responses} == {"200"}
    assert all(r.description == "" for b in page.blocks for r in b.responses)
    for path, method, operation in _operations(contract):
        for status, response in operation["responses"].items():
            assert response["description"].strip(), f"{method} {path} {status}"
    error = contract.schema("Error")
    failures = [status for status in contract.statuses() if status >= 400]
    assert 401 in failures and 403 in failures and 400 in failures
    for status in failures:
        assert contract.response(status)["content"]["application/json"]["schema"] == error
    assert contract.response(401)["headers"]["WWW-Authenticate"]["required"]


@defect("D18")
def an_unknown_filter_gives_an_empty_list(contract: Contract, page: Page) -> None:
    empty = [name for name, example in contract.response_examples().items() if example == []]
    assert empty, "no example shows the empty answer"
    every = contract.response_examples()["all"]
    for name in empty:
        query = contract.example_queries()[name]
        assert query, f"{name} pairs with no query"
        assert not any(all(r[k] == v for k, v in query.items()) for r in every)


# --- the registry and the doc ------------------------------------------------------------------


def _numbered(defect_id: str) -> int:
    return int(defect_id.removeprefix("D"))


DEFECT_IDS = sorted(DEFECTS, key=_numbered)


@pytest.mark.parametrize("defect_id", DEFECT_IDS)
def test_defect_is_fixed(defect_id: str, contract: Contract, page: Page) -> None:
    DEFECTS[defect_id](contract, page)


def test_every_defect_in_the_doc_has_a_test() -> None:
    text = TRANSCRIPTION_PATH.read_text(encoding="utf-8")
    listed = re.findall(r"^\d+\. \*\*(D\d+)\*\*", text, flags=re.MULTILINE)
    assert listed == sorted(listed, key=_numbered), "defects not in order"
    assert len(listed) == len(set(listed)), "a defect id is listed twice"
    assert set(listed) == set(DEFECTS)
    mentioned = set(re.findall(r"\bD\d+\b", text))
    assert mentioned <= set(listed), f"mentioned but not listed: {mentioned - set(listed)}"
