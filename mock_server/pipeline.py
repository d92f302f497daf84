"""The mock's one request pipeline: every engine (granian, gunicorn, the tests) serves it.

Every request takes the same steps, assembled here and nowhere else::

    limits      a request line or header field too long: 414 / 431, the router never runs
    CORS        the one Cors object's headers, on every answer (the 414/431 included)
    hooks       before: e.g. --watch's poller; after: the access log, the admin journal
    router      GET/HEAD on the grades path: the grades branch (plan → delay → answer);
                anything else: Flask (docs, spec, health, preflight, admin API, 404/405)
    errors      any exception of either branch: errors.to_response

The grades branch exists because Flask's per-request machinery costs more than the work
itself (``docs/benchmarks.md``); it is always on, and the hooks run for both branches, so
a feature that must see every request is one more hook, never a reason to switch it off.
The delay is a step of its own (:meth:`Pipeline.wait`), not a sleep inside the operation,
so it can later complete without holding a worker thread.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, cast

from flask import Flask
from werkzeug.wrappers import Request, Response

from mock_server.cors import Cors
from mock_server.errors import ApiError, to_response
from mock_server.limits import over_limit
from spec.loader import GRADES_PATH

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

    from mock_server.routes import GradesApi

GRADES_BRANCH = ("GET", "HEAD")
"""The methods the grades branch answers on the grades path; Flask answers the others."""

BeforeHook = Callable[[Request], None]
"""Runs when a request passed the limits, before either branch answers it."""
AfterHook = Callable[[Request, Response, float], None]
"""Runs with the answer of either branch and the request's ``time.perf_counter()`` arrival."""


class Pipeline:
    """The WSGI app ``create_app`` returns (as the Flask object's ``wsgi_app``)."""

    def __init__(
        self,
        flask_app: Flask,
        grades: GradesApi,
        cors: Cors,
        before: Sequence[BeforeHook] = (),
        after: Sequence[AfterHook] = (),
    ) -> None:
        self._flask = flask_app
        self._grades = grades
        self.cors = cors
        self._before = tuple(before)
        self._after = tuple(after)

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        started = time.perf_counter()
        request = Request(environ)
        problem = over_limit(environ)
        if problem is None:
            response = self._handle(request, started)
        else:
            status, detail = problem
            response = to_response(ApiError(status, detail, {"Connection": "close"}), request)
        self.cors.apply(response.headers, request.headers.get("Origin"))
        if environ["REQUEST_METHOD"] == "GET" and environ.get("PATH_INFO") == GRADES_PATH:
            # The grades answer is always complete (a body, or the store's stream with its
            # length): Werkzeug's generic header fix-ups in Response.__call__ would find
            # nothing to do on this, the hot path.
            start_response(response.status, response.headers.to_wsgi_list())
            return cast("Iterable[bytes]", response.response)  # our bodies are always bytes
        return response(environ, start_response)

    def _handle(self, request: Request, started: float) -> Response:
        try:
            for before in self._before:
                before(request)
            response = self._route(request)
        except Exception as exc:  # noqa: BLE001 - every exception becomes an answer
            response = to_response(exc, request)
        for after in self._after:
            after(request, response, started)
        return response

    def _route(self, request: Request) -> Response:
        environ = request.environ
        if environ.get("PATH_INFO") == GRADES_PATH and environ["REQUEST_METHOD"] in GRADES_BRANCH:
            return self._answer_grades(request)
        return self._answer_with_flask(environ)

    def _answer_grades(self, request: Request) -> Response:
        call = self._grades.plan(request)
        if call.delay_ms:
            self.wait(call.delay_ms)
        try:
            response = call.answer()
        except Exception as exc:  # noqa: BLE001 - the same mapping as Flask's errors
            response = to_response(exc, request)
        call.label(response)
        return response

    def wait(self, delay_ms: int) -> None:
        """The delay step: a blocking sleep today (see the module docstring)."""
        time.sleep(delay_ms / 1000)

    def _answer_with_flask(self, environ: WSGIEnvironment) -> Response:
        """Flask's routing, views and error handlers (to_response), without its WSGI tail."""
        context = self._flask.request_context(environ)
        context.push()
        try:
            return self._flask.full_dispatch_request()
        finally:
            context.pop()
