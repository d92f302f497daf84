"""The grades GET answered without Flask's per-request machinery: the mock's hot path.

Flask's request and app contexts, URL matching and hooks cost more per request than finding
and rendering the records (``docs/benchmarks.md``). This WSGI middleware answers a GET on
the grades path itself, by calling the same :meth:`GradesApi.list_grades` as the Flask route
with a plain Werkzeug request, so parsing, auth, ``Prefer``, validation and rendering are one
code path; CORS and the access log come from the same helpers as the Flask hooks. Every other
request (other paths and methods, docs, admin API) goes to Flask unchanged.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import TYPE_CHECKING, cast

from werkzeug.wrappers import Request, Response

from mock_server.access_log import log_access
from mock_server.errors import ApiError, render_error, render_unexpected
from spec.loader import GRADES_PATH

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

    from mock_server.routes import GradesApi


class GradesFastPath:
    """WSGI middleware: GET on the grades path here, everything else to ``app``."""

    def __init__(self, app: WSGIApplication, api: GradesApi) -> None:
        self._app = app
        self._api = api

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        if environ.get("REQUEST_METHOD") != "GET" or environ.get("PATH_INFO") != GRADES_PATH:
            return self._app(environ, start_response)
        started = time.perf_counter()
        request = Request(environ)
        response = self._answer(request)
        self._api.cors.apply(response.headers, request.headers.get("Origin"))
        log_access("GET", GRADES_PATH, response.status_code, started)
        # The answer is always complete (a body, or the store's stream with its length), so
        # Werkzeug's generic header fix-ups in Response.__call__ have nothing to do.
        start_response(response.status, response.headers.to_wsgi_list())
        return cast("Iterable[bytes]", response.response)  # our bodies are always bytes

    def _answer(self, request: Request) -> Response:
        try:
            return self._api.list_grades(request)
        except ApiError as error:
            return render_error(error)
        except Exception as exc:  # noqa: BLE001 - the same 500 the Flask handler gives
            return render_unexpected(exc)
