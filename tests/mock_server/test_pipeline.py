"""The one request pipeline: both branches (grades, Flask) get the same limits, CORS, hooks
and error mapping, and the grades branch is on whatever features are enabled."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import pytest
from flask import Flask
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.test import EnvironBuilder, run_wsgi_app
from werkzeug.wrappers import Request

from grades_kit.contract.loader import GRADES_PATH
from grades_kit.contract.queries import QueryValidator
from grades_kit.mock_server import Settings, create_app
from grades_kit.mock_server.limits import HEADERS_TOO_LARGE, URI_TOO_LONG
from grades_kit.mock_server.pipeline import Pipeline, PipelineRequest, parse_query

TOKEN = "Bearer local-dev-token"
TWO_ORIGINS = "http://a.test,http://b.test"
LONG_QUERY = "x=" + "a" * 9000


def _call(
    app: Any, path: str = GRADES_PATH, query: str = "", method: str = "GET", **headers: str
) -> tuple[str, dict[str, list[str]], bytes]:
    environ = EnvironBuilder(
        path=path, method=method, query_string=query, headers=list(headers.items())
    ).get_environ()
    body, status, response_headers = run_wsgi_app(app, environ)
    found: dict[str, list[str]] = {}
    for name, value in response_headers:
        found.setdefault(name, []).append(value)
    return status, found, b"".join(body)


def test_create_app_serves_the_pipeline() -> None:
    app = create_app()
    assert isinstance(app.wsgi_app, Pipeline)


@pytest.mark.parametrize(
    "settings", [Settings(), Settings(admin_token="adm"), Settings(watch=True)]
)
def test_the_grades_branch_is_on_whatever_is_enabled(settings: Settings) -> None:
    """Flask's grades view is never called: the pipeline answers GET and HEAD itself."""
    app = create_app(settings)
    try:
        for method in ("GET", "HEAD"):
            status, _, _ = _call(app, method=method, Authorization=TOKEN)
            assert status == "200 OK"
    finally:
        if settings.watch:
            app.extensions["grades_mock_watch"].stop()


def test_head_is_get_without_the_body() -> None:
    app = create_app()
    get = _call(app, Authorization=TOKEN)
    head = _call(app, method="HEAD", Authorization=TOKEN)
    assert head[:2] == get[:2] and head[2] == b"" and get[2].startswith(b"[")


def test_a_werkzeug_http_error_in_the_grades_branch_keeps_its_status(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Regression: a Werkzeug 413 raised inside the operation was a 500 on the fast path."""

    def too_large(self: QueryValidator, args: Any) -> dict[str, str]:
        raise RequestEntityTooLarge()

    monkeypatch.setattr(QueryValidator, "__call__", too_large)
    status, headers, body = _call(create_app(), Authorization=TOKEN)
    assert status.startswith("413") and body.startswith(b'{"detail":')
    assert headers["Content-Type"] == ["application/json"]


def test_an_unexpected_error_is_the_same_500_on_both_branches(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def broken(self: QueryValidator, args: Any) -> dict[str, str]:
        raise ZeroDivisionError

    monkeypatch.setattr(QueryValidator, "__call__", broken)
    app = create_app()

    @app.get("/boom")
    def boom() -> str:
        raise ZeroDivisionError

    grades, flask = _call(app, Authorization=TOKEN), _call(app, "/boom")
    assert grades[0] == flask[0] == "500 INTERNAL SERVER ERROR"
    assert grades[2] == flask[2] == b'{"detail":"A server error occurred."}'


@pytest.mark.parametrize(
    ("query", "headers", "status", "detail"),
    [
        (LONG_QUERY, {}, 414, URI_TOO_LONG),
        ("", {"X-Big": "a" * 9000}, 431, HEADERS_TOO_LARGE),
    ],
)
def test_limits_answer_the_requesting_origin(
    query: str, headers: dict[str, str], status: int, detail: str
) -> None:
    """Regression: under several origins a 414 named the first one, without ``Vary``."""
    app = create_app(Settings(cors_origin=TWO_ORIGINS))
    got, found, body = _call(app, query=query, Origin="http://b.test", **headers)
    assert got.startswith(str(status)) and detail in body.decode()
    assert found["Access-Control-Allow-Origin"] == ["http://b.test"]
    assert found["Vary"] == ["Origin"]
    assert "Retry-After" in found["Access-Control-Expose-Headers"][0]


def _cors(found: dict[str, list[str]]) -> dict[str, list[str]]:
    return {k: v for k, v in found.items() if k.startswith("Access-Control-") or k == "Vary"}


def test_every_answer_gets_the_same_cors_headers() -> None:
    app = create_app(Settings(cors_origin=TWO_ORIGINS, admin_token="adm"))
    origin = {"Origin": "http://b.test"}
    answers = [
        _call(app, **origin),
        _call(app, query="username=a b", Authorization=TOKEN, **origin),
        _call(app, method="POST", **origin),
        _call(app, "/nope", **origin),
        _call(app, "/openapi.json", **origin),
        _call(app, "/openapi.yaml", **origin),
        _call(app, "/docs/", **origin),
        _call(app, "/healthz", **origin),
        _call(app, "/__mock/records", **origin),
        _call(app, "/__mock/records", Authorization="Bearer adm", **origin),
        _call(app, query=LONG_QUERY, **origin),
    ]
    statuses = [int(status[:3]) for status, _, _ in answers]
    assert statuses == [401, 400, 405, 404, 200, 200, 200, 200, 401, 200, 414]
    assert len({str(_cors(found)) for _, found, _ in answers}) == 1
    assert _cors(answers[0][1])["Access-Control-Allow-Origin"] == ["http://b.test"]


def test_hooks_see_both_branches(caplog: pytest.LogCaptureFixture) -> None:
    """The access log and the admin journal: one line / entry per request, either branch."""
    caplog.set_level("INFO", logger="grades_mock.access")
    app: Flask = create_app(Settings(admin_token="adm"))
    _call(app, query="username=johndoe", Authorization="Bearer secret-x")
    _call(app, "/healthz")
    lines = [r.getMessage() for r in caplog.records if r.name == "grades_mock.access"]
    assert [line.rsplit(" ", 1)[0] for line in lines] == [
        f"GET {GRADES_PATH} 401",
        "GET /healthz 200",
    ]
    assert "secret-x" not in caplog.text and "johndoe" not in caplog.text
    _, _, body = _call(app, "/__mock/journal", Authorization="Bearer adm")
    assert body.count(b'"path"') == 2 and GRADES_PATH.encode() in body


def test_a_failing_hook_is_a_500_answer_with_cors_not_a_crash() -> None:
    app = create_app()
    api = app.extensions["grades_mock"]

    def broken(request: Any) -> None:
        raise OSError("the watcher could not start")

    pipeline = Pipeline(app, api, api.cors, before=[broken])
    status, headers, body = _call(pipeline)
    assert status.startswith("500") and b"A server error occurred." in body
    assert headers["Access-Control-Allow-Origin"] == ["*"]


@pytest.mark.parametrize(
    "query",
    [
        "",
        "course_id=course-v1%3AMOOCit-demo-1",
        "username=a+b&username=c",
        "course_id=&flag",
        "username=%E9t%C3%A9&x=%zz%2",
        "a=1;b=2",
    ],
)
def test_the_remembered_query_parse_is_werkzeugs(query: str) -> None:
    """The pipeline parses each distinct query string once; the result is Werkzeug's own."""
    environ = EnvironBuilder(path=GRADES_PATH, query_string=query).get_environ()
    parse = lru_cache(maxsize=2)(parse_query)
    ours = PipelineRequest(environ, parse).args
    assert list(ours.items(multi=True)) == list(Request(environ).args.items(multi=True))
    assert PipelineRequest(dict(environ), parse).args is ours  # parsed once, shared
