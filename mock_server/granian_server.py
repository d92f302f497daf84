"""Serve the app with granian (a Rust HTTP server): the default engine, chosen for speed.

granian parses HTTP and handles connections in Rust and calls the WSGI app on a few Python
threads, so the per-request cost left in Python is the app's own: 2x Prism's throughput
where gunicorn's gthread workers stayed below Prism (``docs/benchmarks.md``). The app is
built before the server starts (bad fixtures stop the start with one line); forked workers
inherit it, spawned ones (macOS, Python 3.14) rebuild it from the settings.

HTTP-level limits that gunicorn enforces itself (request line and header field size) are
checked here, before the app, so both engines answer them with the same JSON errors.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, MutableMapping
from typing import TYPE_CHECKING, Any

from granian import Granian
from granian.constants import HTTPModes, Interfaces
from granian.http import HTTP1Settings
from granian.log import LogLevels

from mock_server.errors import error_body, render
from mock_server.limits import (
    MAX_GRACE_S,
    MAX_HEADER_FIELD,
    MAX_REQUEST_LINE,
    REQUEST_HEAD_TIMEOUT_S,
)
from mock_server.settings import Settings

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment
    from flask import Flask

MAX_BUFFER_BYTES = 64 * 1024
"""A request head larger than this is refused by granian itself (431, empty body)."""


class RequestLimits:
    """WSGI middleware: a 414 or 431 JSON Error for a request line or header field too long."""

    def __init__(self, app: WSGIApplication, cors_origin: str) -> None:
        self._app = app
        self._cors_origin = cors_origin

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        problem = _over_limit(environ)
        if problem is None:
            return self._app(environ, start_response)
        status, detail = problem
        headers = {"Access-Control-Allow-Origin": self._cors_origin, "Connection": "close"}
        return render(status, error_body(detail), headers)(environ, start_response)


def _over_limit(environ: WSGIEnvironment) -> tuple[int, str] | None:
    target, query = environ.get("PATH_INFO", ""), environ.get("QUERY_STRING", "")
    line = len(environ.get("REQUEST_METHOD", "")) + len(target) + len(query) + 10
    if line > MAX_REQUEST_LINE:
        return 414, f"Request line over {MAX_REQUEST_LINE} bytes."
    for key, value in environ.items():
        if key.startswith("HTTP_") and len(key) - 3 + len(value) > MAX_HEADER_FIELD:
            return 431, "Request headers too large."
    return None


class AppLoader:
    """What each worker calls for its app: the prebuilt one when forked, else a new one."""

    def __init__(self, app: Flask, settings: Settings) -> None:
        self._app: WSGIApplication | None = RequestLimits(app, settings.cors_origins[0])
        self._settings = settings

    def __call__(self) -> WSGIApplication:
        _drop_header_lookalikes(os.environ)
        if self._app is None:  # a spawned worker: nothing inherited
            from mock_server.app import create_app

            self._app = RequestLimits(create_app(self._settings), self._settings.cors_origins[0])
        return self._app

    def __getstate__(self) -> dict[str, Any]:
        return {"_app": None, "_settings": self._settings}


def _drop_header_lookalikes(environment: MutableMapping[str, str]) -> None:
    """granian copies the worker's environment into every WSGI environ, so a variable named
    like ``HTTP_AUTHORIZATION`` would pose as a request header (the httpoxy class of bug).
    Called in the worker before granian takes that copy; the parent keeps its environment."""
    for name in [n for n in environment if n.startswith("HTTP_")]:
        del environment[name]


def serve(app: Flask, settings: Settings, port: int) -> None:
    """Run until SIGINT/SIGTERM; in-flight requests get ``MAX_GRACE_S`` to finish."""
    server = Granian(
        "mock_server.app:create_app",  # only a label: the loader below provides the app
        address=settings.host,
        port=port,
        interface=Interfaces.WSGI,
        workers=settings.workers,
        blocking_threads=settings.thread_count,
        http=HTTPModes.http1,
        websockets=False,
        http1_settings=HTTP1Settings(
            header_read_timeout=REQUEST_HEAD_TIMEOUT_S * 1000, max_buffer_size=MAX_BUFFER_BYTES
        ),
        log_level=LogLevels.warning,
        workers_kill_timeout=MAX_GRACE_S,
    )
    server.serve(target_loader=AppLoader(app, settings), wrap_loader=False)
