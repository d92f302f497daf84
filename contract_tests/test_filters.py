"""Filters, judged against the unfiltered list (metamorphic: no knowledge of the data needed).

For a filter value ``v``, the answer must be exactly the records of the unfiltered list whose
field equals ``v`` (sound: nothing else; complete: nothing missing; as multisets). Values are
drawn from the data itself, from near-misses of it (another case, a prefix) that
an exact, case-sensitive filter must tell apart, and from the parameter's pattern.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import jsonschema
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from contract_tests.client import GradesClient, json_body
from contract_tests.plugin import GradeData
from spec import rules
from spec.loader import load_contract

PARAMETERS = load_contract().query_parameters()
FILTERS = tuple(PARAMETERS)


def other_case(value: str) -> str:
    """``value`` with the case of its last cased character swapped (``JaneDoe`` -> ``JaneDoE``)."""
    for index in range(len(value) - 1, -1, -1):
        if value[index].swapcase() != value[index]:
            return value[:index] + value[index].swapcase() + value[index + 1 :]
    return value


NEAR_MISSES: dict[str, Callable[[str], str]] = {
    "exact": lambda v: v,
    "other-case": other_case,  # an exact filter is case-sensitive
    "prefix": lambda v: v[:-1],  # an exact filter matches neither a prefix nor a substring
}
MAX_UNION_COURSES = 500
"""Above this many courses the union property would send too many requests: it is skipped."""


def is_valid(name: str, value: str) -> bool:
    """Whether ``value`` is a value the spec allows for the filter ``name`` (else 400 is fine)."""
    return _validator(name).is_valid(value)


@functools.cache
def _validator(name: str) -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(PARAMETERS[name]["schema"])


@functools.cache
def matching_pattern(name: str) -> st.SearchStrategy[str]:
    """Any value the parameter's schema allows. Built once per parameter: Hypothesis validates
    a new regex strategy on first use, which took half the fuzz profile's CPU when it was
    rebuilt for every draw (``docs/benchmarks.md``)."""
    pattern = PARAMETERS[name]["schema"]["pattern"]
    return st.from_regex(pattern, fullmatch=True).filter(functools.partial(is_valid, name))


def known_values(records: Sequence[Mapping[str, Any]], name: str) -> list[str]:
    return sorted({r[name] for r in records if isinstance(r.get(name), str)})


def values_of(name: str, records: Sequence[Mapping[str, Any]]) -> st.SearchStrategy[str]:
    """Known values, their near-misses, and any value matching the parameter's pattern."""
    known = known_values(records, name)
    anything = matching_pattern(name)
    near = sorted({f(v) for v in known for f in NEAR_MISSES.values() if is_valid(name, f(v))})
    if not known:
        return anything
    return st.one_of(st.sampled_from(known), st.sampled_from(near), anything)


def check_filtered(
    client: GradesClient, params: dict[str, str], unfiltered: Sequence[Mapping[str, Any]]
) -> list[Any]:
    """GET with ``params``; the answer must be exactly the matching subset of ``unfiltered``."""
    response = client.get(params)
    body = json_body(response)
    if response.status_code != 200 or not isinstance(body, list):
        rule = "server-error" if response.status_code >= 500 else "filter-answer"
        detail = (
            f"a valid filter must answer 200 with a JSON array, got HTTP {response.status_code}"
        )
        raise client.violation(rule, detail, response)
    findings = list(rules.filter_soundness(params, body))
    findings += rules.filter_completeness(params, body, unfiltered)
    client.enforce(findings, response)
    return body


@pytest.mark.parametrize("name", FILTERS)
@pytest.mark.parametrize("kind", NEAR_MISSES)
def test_filter_matches_exactly(
    name: str, kind: str, client: GradesClient, all_grades: list[dict[str, Any]]
) -> None:
    """``v``, and its near-misses (other case, prefix), each get exactly their records."""
    known = known_values(all_grades, name)
    if not known:
        pytest.skip(f"the instance has no record with a {name}: nothing to filter on")
    value = NEAR_MISSES[kind](known[0])
    if kind != "exact" and (value == known[0] or not is_valid(name, value)):
        pytest.skip(f"{kind} of {known[0]!r} is not a distinct valid {name}")
    check_filtered(client, {name: value}, all_grades)


@pytest.mark.parametrize("pair", ["present", "absent"])
def test_both_filters_are_anded(
    pair: str, client: GradesClient, all_grades: list[dict[str, Any]]
) -> None:
    """With both filters a record must match both: a learner not in a course gets ``[]``."""
    present = {(r.get("username"), r.get("course_id")) for r in all_grades}
    users, courses = known_values(all_grades, "username"), known_values(all_grades, "course_id")
    pairs = [(u, c) for u in users for c in courses if ((u, c) in present) == (pair == "present")]
    if not pairs:
        pytest.skip(f"the data has no {pair} (username, course_id) pair")
    username, course_id = pairs[0]
    check_filtered(client, {"course_id": course_id, "username": username}, all_grades)


@pytest.mark.parametrize("names", [(n,) for n in FILTERS] + [FILTERS], ids="+".join)
@given(data=st.data())
def test_filter_property(
    names: tuple[str, ...],
    data: st.DataObject,
    client: GradesClient,
    grades_data: GradeData,
) -> None:
    """For drawn values, the filtered answer is exactly the matching subset of the unfiltered."""
    records = grades_data.records
    params = {name: data.draw(values_of(name, records), label=name) for name in names}
    check_filtered(client, params, records)


def test_union_over_courses_is_everything(
    client: GradesClient,
    all_grades: list[dict[str, Any]],
    unfiltered_response: Any,
) -> None:
    """The answers for every course, together, are exactly the unfiltered list."""
    courses = known_values(all_grades, "course_id")
    if len(courses) > MAX_UNION_COURSES:
        pytest.skip(f"{len(courses)} courses: over the {MAX_UNION_COURSES}-request budget")
    by_course = {
        course: check_filtered(client, {"course_id": course}, all_grades) for course in courses
    }
    client.enforce(rules.union_of_courses(all_grades, by_course), unfiltered_response)


@pytest.mark.parametrize("name", FILTERS)
@given(data=st.data())
def test_unknown_value_gives_empty_list(
    name: str, data: st.DataObject, client: GradesClient, grades_data: GradeData
) -> None:
    """A well-formed course or username that no record has gets 200 and ``[]``."""
    known = set(known_values(grades_data.records, name))
    value = data.draw(matching_pattern(name), label=name)
    assume(value not in known)
    response = client.get({name: value})
    findings = rules.unknown_value_gives_empty(
        {name: value}, response.status_code, json_body(response)
    )
    client.enforce(findings, response)
