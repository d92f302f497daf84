"""Scenario control with Prism's ``Prefer`` header, and every way to misuse it."""

from __future__ import annotations

import time

import pytest

from grades_kit.contract.loader import GRADES_PATH

AUTH = {"Authorization": "Bearer local-dev-token"}


def prefer(client, value, query="", auth=True):
    headers = {"Prefer": value, **(AUTH if auth else {})}
    return client.get(f"{GRADES_PATH}{query}", headers=headers)


def test_every_declared_status_can_be_forced(client, contract):
    for status in contract.statuses():
        response = prefer(client, f"code={status}", auth=False)
        assert response.status_code == status  # body and headers checked by the client


def test_forced_errors_use_the_spec_example_and_headers(client, contract):
    response = prefer(client, "code=429")
    example = contract.response(429)["content"]["application/json"]["example"]
    assert response.get_json() == example
    assert response.headers["Retry-After"] == "30"
    assert prefer(client, "code=401").headers["WWW-Authenticate"].startswith("Bearer")


def test_forced_200_serves_the_real_data_without_auth(client):
    response = prefer(client, "code=200", "?username=johndoe", auth=False)
    assert [r["username"] for r in response.get_json()] == ["johndoe", "johndoe"]


@pytest.mark.parametrize("name", ["all", "by_course", "by_username", "empty"])
def test_named_examples(client, contract, name):
    response = prefer(client, f'example="{name}"')
    assert response.get_json() == contract.response_examples()[name]
    assert prefer(client, f"code=200, example={name}").status_code == 200


def test_example_still_needs_auth(client):
    assert prefer(client, "example=all", auth=False).status_code == 401


def test_dynamic_is_deterministic_for_a_seed_and_bounded(client):
    first = prefer(client, "dynamic=true; seed=7").get_json()
    again = prefer(client, "dynamic=true, seed=7").get_json()
    other = prefer(client, "dynamic=true, seed=8").get_json()
    assert first == again != other
    assert 1 <= len(first) <= 50


def test_dynamic_respects_filters(client):
    course = "course-v1:Org+Num+Run"
    by_course = prefer(client, "dynamic=true", f"?course_id={course.replace('+', '%2B')}")
    assert {r["course_id"] for r in by_course.get_json()} == {course}
    by_user = prefer(client, "dynamic=true", "?username=zz").get_json()
    assert {r["username"] for r in by_user} == {"zz"} and len(by_user) > 1
    both = prefer(client, "dynamic=true", "?username=zz&course_id=course-v1%3AX").get_json()
    assert len(both) == 1


def test_delay_is_applied_and_combines_with_code(client):
    started = time.perf_counter()
    response = prefer(client, "code=503, delay=200")
    assert response.status_code == 503
    assert time.perf_counter() - started >= 0.2


def test_global_delay(make_client):
    slow = make_client(delay_ms=150)
    started = time.perf_counter()
    assert slow.get(GRADES_PATH, headers=AUTH).status_code == 200
    assert time.perf_counter() - started >= 0.15
    started = time.perf_counter()
    slow.get(GRADES_PATH, headers={**AUTH, "Prefer": "delay=0"})  # a request may override it
    assert time.perf_counter() - started < 0.15


@pytest.mark.parametrize(
    ("value", "detail"),
    [
        ("code", "is not of the form key=value"),
        ("code=abc", "code='abc' is not a non-negative integer"),
        ("code=-1", "is not a non-negative integer"),
        ("code=418", "code=418 is not declared by the spec"),
        ("code=204", "is not declared"),
        ("code=200, code=500", "code given more than once"),
        ("example=nope", "unknown example 'nope'"),
        ("code=503, example=all", "example= names a 200 example"),
        ("example=all, dynamic=true", "exclude each other"),
        ("dynamic=maybe", "must be true or false"),
        ("dynamic=true, code=500", "dynamic=true makes 200 records"),
        ("seed=3", "seed= only applies together with dynamic=true"),
        ("dynamic=true, seed=x", "seed='x' is not a non-negative integer"),
        ("delay=10001", "over the maximum 10000 ms"),
        ("delay=1.5", "is not a non-negative integer"),
        ("delay=99999999999", "is not a non-negative integer"),
    ],
)
def test_unusable_preferences_give_400(client, value, detail):
    response = prefer(client, value)
    assert response.status_code == 400
    assert response.get_json()["detail"].startswith("Prefer: ")
    assert detail in response.get_json()["detail"]


def test_empty_prefer_is_no_preference(client):
    response = prefer(client, " , ;")
    assert response.status_code == 200 and "Preference-Applied" not in response.headers


@pytest.mark.parametrize(
    "value", ["return=minimal", "respond-async", "wait=10", "colour=blue", "handling=lenient"]
)
def test_unsupported_preferences_are_ignored(client, value):
    """RFC 7240 section 2: a server ignores a preference it does not support."""
    plain = client.get(GRADES_PATH, headers=AUTH)
    response = prefer(client, value)
    assert response.status_code == 200 and response.data == plain.data
    assert "Preference-Applied" not in response.headers
    both = prefer(client, f"{value}, example=empty")
    assert both.get_json() == [] and both.headers["Preference-Applied"] == "example=empty"


@pytest.mark.parametrize(
    ("value", "status", "applied"),
    [
        ("code=503, delay=10", 503, "delay=10, code=503"),
        ("code=200", 200, "code=200"),
        ('example="by_course"', 200, "example=by_course"),
        ("dynamic=true; seed=7", 200, "dynamic=true, seed=7"),
        ("dynamic=true", 200, "dynamic=true"),
        ("return=minimal, delay=5", 200, "delay=5"),
    ],
)
def test_preference_applied_says_what_was_applied(client, value, status, applied):
    response = prefer(client, value)
    assert response.status_code == status
    assert response.headers["Preference-Applied"] == applied


def test_a_delay_is_applied_even_when_the_answer_is_an_error(client):
    response = prefer(client, "delay=5, example=all", auth=False)
    assert response.status_code == 401 and response.headers["Preference-Applied"] == "delay=5"


def test_a_value_is_parsed_once_and_an_unusable_one_refused_every_time(client):
    """The grades operation remembers parsed values; errors are never remembered."""
    api = client.application.extensions["grades_mock"]
    assert api.preferences("example=by_course") is api.preferences("example=by_course")
    for _ in range(2):
        response = prefer(client, "delay=99999999")
        assert response.status_code == 400 and "over the maximum" in response.get_json()["detail"]
