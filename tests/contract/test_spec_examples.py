"""Every example in the spec is valid, and the named 200 examples form one consistent data set.

Examples are found by walking the resolved document, so a new example anywhere (a parameter,
a header, an error response, a schema's ``examples`` list) is checked without editing this file.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import jsonschema
import pytest

from grades_kit.contract.loader import Contract, load_contract

Example = tuple[str, dict[str, Any], Any]  # (where, schema, value)


def _validate(schema: dict[str, Any], value: Any) -> list[str]:
    cls = jsonschema.Draft202012Validator
    validator = cls(schema, format_checker=cls.FORMAT_CHECKER)
    return [error.message for error in validator.iter_errors(value)]


def _examples(node: Any, where: str) -> Iterator[Example]:
    """(where, schema, value) for every example under ``node`` of the resolved document."""
    if isinstance(node, list):
        for index, item in enumerate(node):
            yield from _examples(item, f"{where}/{index}")
        return
    if not isinstance(node, dict):
        return
    if isinstance(node.get("schema"), dict):  # a parameter, a header or a media type
        schema = node["schema"]
        if "example" in node:
            yield f"{where}/example", schema, node["example"]
        for name, example in node.get("examples", {}).items():
            yield f"{where}/examples/{name}", schema, example["value"]
    elif isinstance(node.get("examples"), list):  # a schema's own examples
        for index, value in enumerate(node["examples"]):
            yield f"{where}/examples/{index}", node, value
    for key, value in node.items():
        if key not in ("example", "examples"):
            yield from _examples(value, f"{where}/{key}")


ALL_EXAMPLES = list(_examples(dict(load_contract().document), "#"))


def test_the_walk_finds_every_kind_of_example() -> None:
    places = [where for where, _, _ in ALL_EXAMPLES]
    assert any(
        p.endswith("/get/responses/200/content/application/json/examples/all") for p in places
    )
    assert any(p.endswith("/content/application/json/example") for p in places)  # error bodies
    assert any("/parameters/0/examples/by_course" in p for p in places)  # parameter examples
    assert any("/headers/WWW-Authenticate/example" in p for p in places)  # header examples
    assert any("/properties/percent_grade/examples/0" in p for p in places)  # schema examples


@pytest.mark.parametrize(
    ("where", "schema", "value"), ALL_EXAMPLES, ids=[e[0] for e in ALL_EXAMPLES]
)
def test_example_is_valid(where: str, schema: dict[str, Any], value: Any) -> None:
    assert not _validate(schema, value), f"{where}: {_validate(schema, value)}"


def test_formats_are_asserted(contract: Contract) -> None:
    """Without format assertion, a bad date or email in an example would pass unnoticed."""
    properties = contract.schema("GradeRecord")["properties"]
    assert _validate(
        {k: v for k, v in properties["last_date"].items() if k != "pattern"}, "2021-02-30"
    )
    assert _validate({"type": "string", "format": "email"}, "not-an-email")


# --- the named 200 examples and the queries they answer ------------------------------------------


def _matches(record: Mapping[str, Any], query: Mapping[str, str]) -> bool:
    return all(record[name] == value for name, value in query.items())


def _key(record: Mapping[str, Any]) -> tuple[str, str]:
    return (record["username"], record["course_id"])


def _by_key(records: list[dict[str, Any]]) -> dict[tuple[str, str], dict[str, Any]]:
    keyed = {_key(record): record for record in records}
    assert len(keyed) == len(records), "duplicate (username, course_id) pair"
    return keyed


def test_every_example_name_pairs_a_query_with_an_answer(contract: Contract) -> None:
    """A parameter example whose name no 200 example has would pair with nothing."""
    assert set(contract.example_queries()) == set(contract.response_examples())
    queried = {name for name, query in contract.example_queries().items() if query}
    assert queried == set(contract.response_examples()) - {"all"}


def test_all_is_the_unfiltered_answer(contract: Contract) -> None:
    assert contract.example_queries()["all"] == {}


@pytest.mark.parametrize("name", sorted(load_contract().response_examples()))
def test_example_is_what_its_query_selects(contract: Contract, name: str) -> None:
    """The example filtered by its query is itself, and is exactly that selection of ``all``."""
    example = contract.response_examples()[name]
    query = contract.example_queries()[name]
    every = contract.response_examples()["all"]
    assert [record for record in example if _matches(record, query)] == example
    selected = [record for record in every if _matches(record, query)]
    assert _by_key(example) == _by_key(selected)


def test_every_paired_query_value_is_a_valid_parameter(contract: Contract) -> None:
    parameters = contract.query_parameters()
    for name, query in contract.example_queries().items():
        for parameter, value in query.items():
            assert not _validate(parameters[parameter]["schema"], value), (name, parameter)
