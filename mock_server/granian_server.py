"""Serve the app with granian (a Rust HTTP server): the default engine, chosen for speed.

granian parses HTTP and handles connections in Rust and calls the WSGI app on a few Python
threads, so the per-request cost left in Python is the app's own: 2x Prism's throughput
where gunicorn's gthread workers stayed below Prism (``docs/benchmarks.md``). The app is
built before the server starts (bad fixtures stop the start with one line); forked workers
inherit it, spawned ones (macOS, Python 3.14) rebuild it from the settings.

This module only configures the engine: the app it serves is ``create_app``'s, whose
pipeline also answers the HTTP-level limits gunicorn enforces itself (request line and
header field size), so both engines answer them with the same JSON errors.
"""

from __future__ import annotations

import os
from collections.abc import MutableMapping
from typing import TYPE_CHECKING, Any

from granian import Granian
from granian.constants import HTTPModes, Interfaces
from granian.http import HTTP1Settings
from granian.log import LogLevels

from mock_server.limits import MAX_GRACE_S, REQUEST_HEAD_TIMEOUT_S
from mock_server.settings import Settings

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIApplication
    from flask import Flask

MAX_BUFFER_BYTES = 64 * 1024
"""A request head larger than this is refused by granian itself (431, empty body)."""


class AppLoader:
    """What each worker calls for its app: the prebuilt one when forked, else a new one."""

    def __init__(self, app: Flask, settings: Settings) -> None:
        self._app: WSGIApplication | None = app
        self._settings = settings

    def __call__(self) -> WSGIApplication:
        _drop_header_lookalikes(os.environ)
        if self._app is None:  # a spawned worker: nothing inherited
            from mock_server.app import create_app

            self._app = create_app(self._settings)
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
