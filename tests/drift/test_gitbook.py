"""The GitBook ``{% swagger %}`` parser and the lenient reader of its example bodies."""

from __future__ import annotations

import pytest

from grades_kit.drift.gitbook import GitBookError, Parameter, parse_page
from grades_kit.drift.lenient_json import read_lenient, records
from tests.contract.conftest import Page

BLOCK = """
# Title

{% swagger baseUrl="https://api.example.org" path="/v1/things?kind={kind}&owner={owner}" \
method="GET" summary="List things" %}
{% swagger-description %}
Things of \\<your\\_instance>
{% endswagger-description %}

{% swagger-parameter in="header" name="Authorization" type="string" required="true" %}
Bearer \\<auth\\_token>
{% endswagger-parameter %}

{% swagger-parameter in="query" name="kind" type="string" %}
the kind
{% endswagger-parameter %}

{% swagger-response status="200" description="ok" %}
{% code overflow="wrap" %}
```json
{"a": 1, "b": "x"}
{"a": 2 "c": null}
...
```
{% endcode %}
{% endswagger-response %}

{% swagger-response status="404" description="" %}
{% endswagger-response %}
{% endswagger %}
"""


def test_block_attributes() -> None:
    (block,) = parse_page(BLOCK)
    assert block.base_url == "https://api.example.org"
    assert block.method == "get"  # normalised like OpenAPI's keys
    assert block.summary == "List things"
    assert block.description == "Things of <your_instance>"
    assert block.line == 4
    assert block.title == '"List things" (line 4)'


def test_query_template_is_split_into_query_parameters() -> None:
    (block,) = parse_page(BLOCK)
    assert block.path == "/v1/things"
    assert block.parameters_in("query") == (
        Parameter("kind", "query", "string", False, "the kind", in_path_template=True),
        Parameter("owner", "query", "", False, "", in_path_template=True),
    )


def test_header_parameter_is_unescaped() -> None:
    (block,) = parse_page(BLOCK)
    (header,) = block.parameters_in("header")
    assert header == Parameter("Authorization", "header", "string", True, "Bearer <auth_token>")


def test_responses_and_their_example_fields() -> None:
    (block,) = parse_page(BLOCK)
    ok, missing = block.responses
    assert (ok.status, ok.description) == ("200", "ok")
    assert ok.records == ({"a": 1, "b": "x"}, {"a": 2, "c": None})
    assert ok.field_names == ("a", "b", "c")
    assert (missing.status, missing.records, missing.field_names) == ("404", (), ())


def test_text_outside_blocks_and_other_tags_are_ignored() -> None:
    text = '{% hint style="info" %}\nnote\n{% endhint %}\n{% embed url="x" %}\n' + BLOCK
    assert [b.summary for b in parse_page(text)] == ["List things"]
    assert parse_page("# nothing here\n") == ()


@pytest.mark.parametrize(
    ("text", "line", "problem"),
    [
        ('{% swagger path="/x" method="get" %}\n', 1, "{% swagger %} is never closed"),
        ("\n{% endswagger %}", 2, "without an open {% swagger %}"),
        ("a\n\n{% swagger path='/x'", 3, "never closed by '%}'"),
        ('{% swagger path="/x %}{% endswagger %}', 1, "cannot read tag"),
        ('{% swagger %}\n{% swagger-response status="200" %}\n{% endswagger %}', 2, "never closed"),
    ],
)
def test_broken_structure_names_the_line(text: str, line: int, problem: str) -> None:
    with pytest.raises(GitBookError) as caught:
        parse_page(text)
    assert caught.value.line == line
    assert problem in str(caught.value)


def test_the_vendored_page(page: Page) -> None:
    summaries = [block.summary for block in page.blocks]
    assert summaries == ["List all grades", "List grades by course", "List grades by username"]
    assert {block.path for block in page.blocks} == {"/api/so2/v1/grades"}
    assert [[p.name for p in b.parameters_in("query")] for b in page.blocks] == [
        [],
        ["course_id"],
        ["username"],
    ]
    for block in page.blocks:
        (response,) = block.responses
        assert len(response.records) == 2
        assert len(response.field_names) == 8


# --- lenient JSON -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "values"),
    [
        ('[{"a": 1}, {"a": 2}]', [{"a": 1}, {"a": 2}]),  # valid JSON: the array is unwrapped
        ('{"a": 1}, {"a": 2}', [{"a": 1}, {"a": 2}]),  # no brackets
        ('{"a": "x"\n"b": null}', [{"a": "x", "b": None}]),  # a missing comma
        ('{"a": true}\n...', [{"a": True}]),  # a trailing ellipsis
        ('{"a": [1 2 …], "b": {"c": -1.5e2}}', [{"a": [1, 2], "b": {"c": -150.0}}]),
        ('{"a": "es\\"caped", "b": bare}', [{"a": 'es"caped', "b": "bare"}]),
        ('{"a": }', [{"a": None}]),  # a missing value
        ('{"a": "unterminated', [{"a": "unterminated"}]),
        ('{"a" 1, "b": 2}', [{"b": 2}]),  # a key without a colon is skipped
        ("} ] : ,", []),
        ("", []),
    ],
)
def test_read_lenient(text: str, values: list[object]) -> None:
    assert read_lenient(text) == values


def test_records_keeps_only_objects() -> None:
    assert records('1, "x", {"a": 1}, [2], {"b": 2}') == [{"a": 1}, {"b": 2}]
