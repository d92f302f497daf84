"""Serve the app with granian (a Rust HTTP server): the default engine, chosen for speed.

granian parses HTTP and handles connections in Rust and calls the pipeline through its
asynchronous interface (RSGI): the grades branch answers on the worker's event loop, its
delay an ``await``, and the rest of the app (Flask) on the pipeline's small thread pool
(:mod:`mock_server.pipeline`). So a slow answer holds no thread and the hot path never
waits for another Python thread's GIL turn: more than 3x Prism's throughput with a flat
tail (``docs/benchmarks.md``). The app is built before the server starts (bad fixtures stop
the start with one line); forked workers inherit it, spawned ones (macOS, Python 3.14)
rebuild it from the settings.

This module only configures the engine: the app it serves is ``create_app``'s pipeline,
which also answers the HTTP-level limits gunicorn enforces itself (request line and header
field size), so both engines answer them with the same JSON errors.
"""

from __future__ import annotations

from importlib.util import find_spec
from typing import TYPE_CHECKING, Any

from granian import Granian
from granian.constants import HTTPModes, Interfaces, Loops
from granian.http import HTTP1Settings
from granian.log import LogLevels

from grades_kit.mock_server.limits import MAX_GRACE_S, REQUEST_HEAD_TIMEOUT_S
from grades_kit.mock_server.settings import Settings

if TYPE_CHECKING:
    from flask import Flask

MAX_BUFFER_BYTES = 64 * 1024
"""A request head larger than this is refused by granian itself (431, empty body)."""
LOOP = Loops.uvloop if find_spec("uvloop") else Loops.asyncio
"""Each worker's event loop: uvloop (7-9 % more requests/s than asyncio's at 32 connections,
``docs/benchmarks.md``), where it installs (not on Windows)."""


class AppLoader:
    """What each worker calls for its app: the prebuilt pipeline when forked, else a new one."""

    def __init__(self, app: Flask, settings: Settings) -> None:
        self._app: Flask | None = app
        self._settings = settings

    def __call__(self) -> Any:
        if self._app is None:  # a spawned worker: nothing inherited
            from grades_kit.mock_server.app import create_app

            self._app = create_app(self._settings)
        return self._app.wsgi_app  # the Pipeline: granian calls its __rsgi__

    def __getstate__(self) -> dict[str, Any]:
        return {"_app": None, "_settings": self._settings}


def serve(app: Flask, settings: Settings, port: int) -> None:
    """Run until SIGINT/SIGTERM; in-flight requests get ``MAX_GRACE_S`` to finish."""
    server = Granian(
        "grades_kit.mock_server.app:create_app",  # only a label: the loader below provides the app
        address=settings.host,
        port=port,
        interface=Interfaces.RSGI,
        loop=LOOP,
        workers=settings.worker_count,
        blocking_threads=1,  # the event loop's: RSGI runs Python on one thread per worker
        **hardened(),
    )
    server.serve(target_loader=AppLoader(app, settings), wrap_loader=False)


def hardened() -> dict[str, Any]:
    """What every granian server of the kit shares (the mock's and the proxy's): HTTP/1.1
    only, the request-head deadline (slowloris guard), the head size bound, the grace."""
    return {
        "http": HTTPModes.http1,
        "websockets": False,
        "http1_settings": HTTP1Settings(
            header_read_timeout=REQUEST_HEAD_TIMEOUT_S * 1000, max_buffer_size=MAX_BUFFER_BYTES
        ),
        "log_level": LogLevels.warning,
        "workers_kill_timeout": MAX_GRACE_S,
    }
