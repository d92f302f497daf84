"""Every error the mock answers, and the one renderer that turns it into the spec's Error body.

Errors are raised anywhere as :class:`ApiError`; Werkzeug's own HTTP errors (404, 405, 413,
bad encodings ...) and unexpected exceptions are mapped here too, so no error leaves the
app as HTML and the wire cannot disagree with the spec's ``Error`` schema.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

import orjson
from flask import Flask, Response, request
from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound

from spec.loader import GRADES_PATH

JSON = "application/json"
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
    """A JSON response; the only place error responses are built."""
    response = Response(body, status=status, mimetype=JSON)
    response.headers.update(headers or {})
    return response


def render_error(error: ApiError) -> Response:
    return render(error.status, error_body(error.detail), error.headers)


def _from_http_exception(exc: HTTPException) -> Response:
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
    return render(exc.code or 500, error_body(detail), headers)


def render_unexpected(exc: Exception) -> Response:
    """A 500 with a generic detail; the exception goes to the log, never to the client."""
    log.exception("unhandled error: %s", type(exc).__name__)
    return render(500, error_body(SERVER_ERROR_DETAIL))


def register_error_handlers(app: Flask) -> None:
    """Route every error through the renderer above."""
    app.register_error_handler(ApiError, render_error)
    app.register_error_handler(HTTPException, _from_http_exception)
    app.register_error_handler(Exception, render_unexpected)
