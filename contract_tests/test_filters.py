"""Filters, judged against the unfiltered list (metamorphic: no knowledge of the data needed).

For a filter value ``v``, the answer must be exactly the records of the unfiltered list whose
field equals ``v`` (sound: nothing else; complete: nothing missing; as multisets). Values are
drawn from the data itself, from near-misses of it (another case, a prefix) that
an exact, case-sensitive filter must tell apart, and from the parameter's pattern.

Soundness is judged on every answer as it comes. Completeness and the union over courses
compare two answers, so on an instance whose data changes during the run they are judged
by :mod:`contract_tests.live` against answers fetched close together.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import jsonschema
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from grades_kit.contract import checks as rules
from grades_kit.contract.loader import load_contract
from grades_kit.contract.matching import other_case
from grades_kit.contract.registry import Finding, rule
from grades_kit.contract_tests.client import GradesClient, json_body
from grades_kit.contract_tests.coverage import no_data
from grades_kit.contract_tests.live import LiveData, check_filtered, fetch_filtered
from grades_kit.contract_tests.session_fixtures import GradeData

PARAMETERS = load_contract().query_parameters()
FILTERS = tuple(PARAMETERS)


NEAR_MISSES: tuple[Callable[[str], str], ...] = (
    other_case,  # an exact filter is case-sensitive
    lambda v: v[:-1],  # an exact filter matches neither a prefix nor a substring
)
"""Drawn by the properties too; ``test_near_miss.py`` probes every class deterministically."""
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
    near = sorted({f(v) for v in known for f in NEAR_MISSES if is_valid(name, f(v))})
    if not known:
        return anything
    return st.one_of(st.sampled_from(known), st.sampled_from(near), anything)


@pytest.mark.parametrize("name", FILTERS)
def test_filter_matches_exactly(
    name: str, client: GradesClient, live_data: LiveData, all_grades: list[dict[str, Any]]
) -> None:
    """A value the instance returned gets exactly its records."""
    known = known_values(all_grades, name)
    if not known:
        filter_rules = [rule(f"filter-soundness/{name}"), rule(f"filter-completeness/{name}")]
        no_data(filter_rules, f"no record of the instance has a {name}: nothing to filter on")
    check_filtered(client, live_data, {name: known[0]})


@pytest.mark.parametrize("pair", ["present", "absent"])
def test_both_filters_are_anded(
    pair: str, client: GradesClient, live_data: LiveData, all_grades: list[dict[str, Any]]
) -> None:
    """With both filters a record must match both: a learner not in a course gets ``[]``."""
    present = {(r.get("username"), r.get("course_id")) for r in all_grades}
    users, courses = known_values(all_grades, "username"), known_values(all_grades, "course_id")
    pairs = [(u, c) for u in users for c in courses if ((u, c) in present) == (pair == "present")]
    if not pairs and pair == "present":
        no_data([rule("filter-completeness/course_id+username")], "the instance returned no record")
    if not pairs:
        pytest.skip(f"the data has no {pair} (username, course_id) pair")
    username, course_id = pairs[0]
    check_filtered(client, live_data, {"course_id": course_id, "username": username})


@pytest.mark.parametrize("names", [(n,) for n in FILTERS] + [FILTERS], ids="+".join)
@given(data=st.data())
def test_filter_property(
    names: tuple[str, ...],
    data: st.DataObject,
    client: GradesClient,
    live_data: LiveData,
    grades_data: GradeData,
) -> None:
    """For drawn values, the filtered answer is exactly the matching subset of the unfiltered."""
    records = grades_data.records
    params = {name: data.draw(values_of(name, records), label=name) for name in names}
    check_filtered(client, live_data, params)


def test_union_over_courses_is_everything(
    client: GradesClient, live_data: LiveData, all_grades: list[dict[str, Any]]
) -> None:
    """The answers for every course, together, are exactly the unfiltered list.

    Each course's answer is checked against fresh data as it comes; a union discrepancy is
    then re-fetched for its own courses only, between two unfiltered answers.
    """
    courses = known_values(all_grades, "course_id")
    if not courses:
        no_data([rule("filter-completeness/union-of-courses")], "the instance returned no course")
    if len(courses) > MAX_UNION_COURSES:
        pytest.skip(f"{len(courses)} courses: over the {MAX_UNION_COURSES}-request budget")
    by_course = {
        course: check_filtered(client, live_data, {"course_id": course}) for course in courses
    }

    def ask(courses: set[str]) -> dict[str, list[Any]]:
        return {c: fetch_filtered(client, {"course_id": c})[1] for c in sorted(courses)}

    def judge(answers: dict[str, list[Any]], unfiltered: list[dict[str, Any]]) -> list[Finding]:
        local = [r for r in unfiltered if r.get("course_id") in answers]
        return list(rules.union_of_courses(local, answers))

    discrepant = rules.union_discrepant_courses(live_data.latest, by_course)
    first = {c: by_course.get(c, []) for c in discrepant}
    _, findings = live_data.confirm(first, lambda: ask(discrepant), judge)
    if findings:
        raise client.violations(findings)


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
