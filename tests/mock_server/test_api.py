"""The grades operation through the Flask test client: filters, auth, errors, CORS, HEAD.

Every response here is validated against the spec by the ``client`` fixture.
"""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import quote

import pytest

from grades_kit.contract.authorization import parse_authorization
from grades_kit.contract.loader import GRADES_PATH

AUTH = {"Authorization": "Bearer local-dev-token"}
FIXTURE = Path(__file__).resolve().parents[2] / "fixtures" / "grades.json"


def get(client, query: str = "", headers=None):
    return client.get(f"{GRADES_PATH}{query}", headers=AUTH if headers is None else headers)


def test_unfiltered_list_is_every_bundled_record(client):
    response = get(client)
    records = response.get_json()
    bundled = json.loads(FIXTURE.read_text(encoding="utf-8"))
    assert response.status_code == 200
    assert records == bundled
    assert int(response.headers["Content-Length"]) == len(response.get_data())


def test_named_examples_are_what_their_queries_return(client, contract):
    for name, query in contract.example_queries().items():
        if not query:
            continue  # "all" is the demo data only; the bundled set has more learners
        qs = "?" + "&".join(f"{k}={quote(v)}" for k, v in query.items())
        assert get(client, qs).get_json() == contract.response_examples()[name], name


def test_filters_combine_with_and(client):
    both = get(client, "?course_id=course-v1%3AMOOCit-demo-2&username=JaneDoe").get_json()
    assert [(r["username"], r["course_id"]) for r in both] == [
        ("JaneDoe", "course-v1:MOOCit-demo-2")
    ]


def test_filters_are_exact_and_case_sensitive(client):
    upper = get(client, "?username=JaneDoe").get_json()
    lower = get(client, "?username=janedoe").get_json()
    assert upper and lower
    assert {r["username"] for r in upper} == {"JaneDoe"}
    assert {r["username"] for r in lower} == {"janedoe"}


def test_non_ascii_username_filter(client):
    records = get(client, "?username=" + quote("zoë.müller")).get_json()
    assert records and {r["username"] for r in records} == {"zoë.müller"}


@pytest.mark.parametrize(
    "query",
    ["?course_id=course-v1%3AMOOCit%2BNoSuchCourse%2B2020", "?username=nobody", "?username=johndoe"
     "&course_id=course-v1%3Aedx%2BDemoX%2BDemo_Course"],
)  # fmt: skip
def test_unknown_values_give_an_empty_list(client, query):
    assert get(client, query).get_json() == []


@pytest.mark.parametrize(
    ("query", "param"),
    [
        ("?course_id=not%20a%20key", "course_id"),
        ("?course_id=", "course_id"),
        ("?course_id=course-v1%3A" + "a" * 300, "course_id"),
        ("?username=a", "username"),
        ("?username=" + "a" * 31, "username"),
        ("?username=john%20doe", "username"),
        ("?username=%00ab", "username"),
        ("?username=%ff%fe", "username"),
        ("?username=%zz", "username"),
        ("?course_id=course-v1%3Aa&course_id=course-v1%3Ab", "course_id"),
        ("?username=ab&username=ab", "username"),
    ],
)
def test_forbidden_values_give_400_naming_the_parameter(client, query, param):
    response = get(client, query)
    assert response.status_code == 400
    assert response.get_json()["detail"].startswith(f"{param}: ")


def test_pattern_errors_stay_short(client):
    detail = get(client, "?course_id=not%20a%20key").get_json()["detail"]
    assert detail == "course_id: 'not a key' does not match the course key pattern."


def test_unknown_parameters_are_ignored_by_default(client):
    assert get(client, "?page=2&username=johndoe").status_code == 200


def test_strict_params_refuses_unknown_parameters(make_client):
    strict = make_client(strict_params=True)
    response = get(strict, "?page=2&username=johndoe")
    assert response.status_code == 400
    assert response.get_json()["detail"].startswith("page: unknown query parameter")
    assert get(strict, "?username=johndoe").status_code == 200


@pytest.mark.parametrize(
    ("header", "detail"),
    [
        (None, "Authentication credentials were not provided."),
        ("", "Authentication credentials were not provided."),
        ("Basic dXNlcjpwYXNz", "Invalid authorization header"),
        ("Token local-dev-token", "Invalid authorization header"),
        ("Bearer", "Invalid token header"),
        ("Bearer    ", "Invalid token header"),
        ("Bearer wrong-token", "Invalid token."),
        ("Bearer local-dev-token-and-more", "Invalid token."),
        ("Bearer l\u00f6cal", "Invalid token."),
    ],
)
def test_bad_credentials_give_401_with_challenge(client, header, detail):
    headers = {} if header is None else {"Authorization": header}
    response = get(client, "", headers)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith('Bearer realm="api"')
    assert response.get_json()["detail"].startswith(detail)
    sent = parse_authorization(header)
    if sent is not None and sent.token:
        assert sent.token not in response.get_data(as_text=True)  # never echoed


def test_scheme_is_case_insensitive(client):
    assert get(client, "", {"Authorization": "bearer local-dev-token"}).status_code == 200


def test_forbidden_token_gives_403(client):
    response = get(client, "", {"Authorization": "Bearer local-no-grades-token"})
    assert response.status_code == 403
    assert "local-no-grades-token" not in response.get_data(as_text=True)


def test_configured_tokens_replace_the_default(make_client):
    custom = make_client(tokens=("alpha", "beta"), forbidden_tokens=("gamma",))
    assert get(custom, "", {"Authorization": "Bearer beta"}).status_code == 200
    assert get(custom, "", {"Authorization": "Bearer gamma"}).status_code == 403
    assert get(custom, "", AUTH).status_code == 401


def test_auth_comes_before_query_validation(client):
    assert get(client, "?course_id=bad", {}).status_code == 401


def test_head_is_get_without_body(client):
    full = get(client, "?username=johndoe")
    head = client.head(f"{GRADES_PATH}?username=johndoe", headers=AUTH)
    assert head.status_code == 200 and head.get_data() == b""
    assert head.headers["Content-Length"] == full.headers["Content-Length"]
    assert client.head(GRADES_PATH).status_code == 401


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE"])
def test_other_methods_give_405_with_allow(client, method):
    response = client.open(GRADES_PATH, method=method, headers=AUTH, data=b"{}")
    assert response.status_code == 405
    assert response.headers["Allow"] == "GET, HEAD, OPTIONS"
    assert method in response.get_json()["detail"]
    assert response.headers["Access-Control-Allow-Origin"] == "*"


@pytest.mark.parametrize("path", ["/", "/api/so2/v1/grades/", "/api/so2/v1/grade", "/%ff"])
def test_unknown_paths_give_json_404(client, path):
    response = client.get(path, headers=AUTH)
    assert response.status_code == 404
    assert response.is_json and response.get_json()["detail"].startswith("No such path")


def test_a_body_on_get_is_ignored(client):
    response = client.get(GRADES_PATH, headers=AUTH, data=b"x" * 10_000)
    assert response.status_code == 200


def test_unexpected_errors_are_json_500(make_app, contract, monkeypatch):
    app = make_app(seed=99)  # a private app: the patch must not leak into the shared one
    api = app.extensions["grades_mock"]

    def boom(*_args, **_kwargs):
        raise RuntimeError("secret internals")

    monkeypatch.setattr(api.store, "matching", boom)
    response = app.test_client().get(f"{GRADES_PATH}?username=johndoe", headers=AUTH)
    assert response.status_code == 500
    assert response.get_json() == {"detail": "A server error occurred."}


def test_request_log_has_no_token(client, caplog):
    caplog.set_level("INFO", logger="grades_mock.access")
    get(client, "?username=johndoe")
    get(client, "", {"Authorization": "Bearer some-secret-value"})
    lines = [r.getMessage() for r in caplog.records if r.name == "grades_mock.access"]
    assert lines[0].startswith(f"GET {GRADES_PATH} 200 ") and lines[0].endswith("ms")
    assert lines[1].startswith(f"GET {GRADES_PATH} 401 ")
    assert not any("secret" in line or "local-dev-token" in line for line in lines)


def test_a_raw_plus_in_a_course_key_gets_a_400_that_says_to_send_2b(client):
    response = client.get(f"{GRADES_PATH}?course_id=course-v1:edX+Demo+2024", headers=AUTH)
    assert response.status_code == 400
    detail = response.get_json()["detail"]
    assert "send '+' as %2B" in detail
    assert "course_id=course-v1:edX%2BDemo%2B2024" in detail
    encoded = client.get(f"{GRADES_PATH}?course_id=course-v1:edX%2BDemo%2B2024", headers=AUTH)
    assert encoded.status_code == 200


def test_a_space_that_no_plus_would_fix_gets_no_hint(client):
    response = client.get(f"{GRADES_PATH}?course_id=not a key", headers=AUTH)
    assert response.status_code == 400 and "%2B" not in response.get_json()["detail"]
