"""Every error the mock answers, and the one renderer that turns it into the spec's Error body.

Errors are raised anywhere as :class:`ApiError`; Werkzeug's own HTTP errors (404, 405, 413,
bad encodings ...) and unexpected exceptions are mapped here too, by :func:`to_answer`,
which both branches of the pipeline (the grades branch, and Flask through its error
handler) use: no error leaves the app as HTML and the wire cannot disagree with the spec's
``Error`` schema.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

import flask
import orjson
from flask import Flask, Response
from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound
from werkzeug.wrappers import Request

from grades_kit.contract.loader import GRADES_PATH
from grades_kit.contract.queries import QueryRejected
from grades_kit.mock_server.answer import Answer, json_answer, to_flask

SERVER_ERROR_DETAIL = "A server error occurred."
METHOD_ORDER = ("GET", "HEAD", "OPTIONS")

log = logging.getLogger("grades_mock")


class ApiError(Exception):
    """An answer other than 200: a status, a ``detail`` for a person, and extra headers."""

    def __init__(self, status: int, detail: str, headers: Mapping[str, str] | None = None) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.headers = dict(headers or {})


class BadRequest(ApiError):
    """A request value the spec or the mock forbids; ``detail`` names the parameter."""

    def __init__(self, detail: str) -> None:
        super().__init__(400, detail)


def error_body(detail: str) -> bytes:
    """The spec's Error schema: ``{"detail": "..."}``."""
    return orjson.dumps({"detail": detail})


def render(status: int, body: bytes, headers: Mapping[str, str] | None = None) -> Response:
    """A JSON answer as a Flask view returns it (the admin API, the spec, health, the
    proxy's own answers)."""
    return to_flask(json_answer(status, body, headers))


def to_answer(exc: BaseException, request: Request) -> Answer:
    """The one mapping of an exception to an answer, for every branch of the pipeline.

    :class:`ApiError` as raised; a query the contract rejects as 400; a Werkzeug HTTP error
    (404, 405, 413, a bad encoding ...) with its status and a JSON detail; anything else a 500
    whose exception goes to the log, never to the client.
    """
    if isinstance(exc, ApiError):
        return json_answer(exc.status, error_body(exc.detail), exc.headers)
    if isinstance(exc, QueryRejected):  # the contract's query rules: the spec's 400
        return json_answer(400, error_body(exc.detail))
    if isinstance(exc, HTTPException):
        return _from_http_exception(exc, request)
    log.error("unhandled error: %s", type(exc).__name__, exc_info=exc)
    return json_answer(500, error_body(SERVER_ERROR_DETAIL))


def _from_http_exception(exc: HTTPException, request: Request) -> Answer:
    headers: dict[str, str] = {}
    detail = (exc.description or exc.name or "Error").strip()
    if isinstance(exc, MethodNotAllowed) and exc.valid_methods:
        allowed = [m for m in METHOD_ORDER if m in exc.valid_methods]
        allowed += sorted(set(exc.valid_methods) - set(METHOD_ORDER))
        headers["Allow"] = ", ".join(allowed)
        detail = (
            f"Method {request.method} is not allowed on this path (allowed: {headers['Allow']})."
        )
    elif isinstance(exc, NotFound):
        detail = f"No such path: {request.path!r}. The grades list is at {GRADES_PATH}."
    return json_answer(exc.code or 500, error_body(detail), headers)


def register_error_handlers(app: Flask) -> None:
    """Flask's errors go through :func:`to_answer` too (one handler: every exception)."""
    app.register_error_handler(Exception, lambda exc: to_flask(to_answer(exc, flask.request)))
