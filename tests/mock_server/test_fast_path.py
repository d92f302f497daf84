"""The WSGI fast path answers exactly as the Flask route would, byte for byte.

Each request goes once through the whole app (fast path in front) and once through Flask
alone (the app the fast path wraps); status, headers and body must be identical.
"""

from __future__ import annotations

from typing import Any

import pytest
from werkzeug.test import EnvironBuilder, run_wsgi_app

from mock_server import Settings, create_app
from mock_server.fast_path import GradesFastPath
from spec.loader import GRADES_PATH

TOKEN = "Bearer local-dev-token"
CASES: list[tuple[str, dict[str, str]]] = [
    ("", {"Authorization": TOKEN}),
    ("username=johndoe", {"Authorization": TOKEN}),
    ("course_id=course-v1%3AMOOCit-demo-1", {"Authorization": TOKEN, "Origin": "http://a"}),
    ("course_id=course-v1:MOOCit-demo-1&username=johndoe", {"Authorization": TOKEN}),
    ("username=nobody-here", {"Authorization": TOKEN}),
    ("username=a%00b", {"Authorization": TOKEN}),
    ("username=%ff%fe", {"Authorization": TOKEN}),
    ("course_id=a&course_id=b", {"Authorization": TOKEN}),
    ("page=2", {"Authorization": TOKEN}),
    ("", {}),
    ("", {"Authorization": "Basic abc"}),
    ("", {"Authorization": "Bearer wrong"}),
    ("", {"Authorization": "Bearer local-no-grades-token"}),
    ("", {"Authorization": TOKEN, "Prefer": "example=by_course"}),
    ("", {"Authorization": TOKEN, "Prefer": "code=503"}),
    ("", {"Authorization": TOKEN, "Prefer": "code=999"}),
    ("", {"Authorization": TOKEN, "Prefer": "dynamic=true, seed=3"}),
]


def _call(app: Any, query: str, headers: dict[str, str]) -> tuple[str, list[Any], bytes]:
    builder = EnvironBuilder(path=GRADES_PATH, query_string=query, headers=list(headers.items()))
    environ = builder.get_environ()
    body, status, response_headers = run_wsgi_app(app, environ)
    drop = {"Date"}
    return status, sorted((k, v) for k, v in response_headers if k not in drop), b"".join(body)


@pytest.mark.parametrize("cors_origin", ["*", "http://a,http://b"])
@pytest.mark.parametrize(("query", "headers"), CASES)
def test_same_answer_as_flask(query: str, headers: dict[str, str], cors_origin: str) -> None:
    app = create_app(Settings(cors_origin=cors_origin))
    fast = app.wsgi_app
    assert isinstance(fast, GradesFastPath)
    assert _call(fast, query, headers) == _call(fast._app, query, headers)


def test_other_paths_and_methods_go_to_flask() -> None:
    fast = create_app().wsgi_app
    for method, path in (("HEAD", GRADES_PATH), ("OPTIONS", GRADES_PATH), ("GET", "/healthz")):
        environ = EnvironBuilder(path=path, method=method).get_environ()
        assert run_wsgi_app(fast, environ)[1:] == run_wsgi_app(fast._app, environ)[1:]  # type: ignore[attr-defined]


@pytest.mark.parametrize("settings", [Settings(admin_token="adm"), Settings(watch=True)])
def test_off_when_flask_hooks_must_see_every_request(settings: Settings) -> None:
    """The admin journal and the fixture watcher hook into Flask: no fast path then."""
    assert not isinstance(create_app(settings).wsgi_app, GradesFastPath)


def test_the_access_log_names_the_fast_path_requests(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level("INFO", logger="grades_mock.access")
    _call(create_app().wsgi_app, "username=johndoe", {"Authorization": "Bearer secret-x"})
    lines = [r.getMessage() for r in caplog.records if r.name == "grades_mock.access"]
    assert len(lines) == 1 and lines[0].startswith(f"GET {GRADES_PATH} 401 ")
    assert "secret-x" not in caplog.text and "johndoe" not in caplog.text
