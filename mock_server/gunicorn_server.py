"""Serve the app with gunicorn (``gthread`` workers): the ``--server gunicorn`` engine.

Slower than granian (the default, :mod:`mock_server.granian_server`), but every answer it
gives is the spec's JSON Error, even to malformed HTTP and to a client that stalls mid-head
(a 408): the engine for hardening tests of an HTTP client.

The CLI binds the listening socket itself and hands gunicorn its file descriptor, so a
port in use is one clear line before gunicorn starts. Errors gunicorn answers on its own
(request line or headers too large, malformed HTTP) are rendered as the spec's JSON Error
too, by a worker subclass, instead of gunicorn's HTML page, with the texts of
:mod:`mock_server.limits` and the headers of the app's one :class:`Cors`. Otherwise this
module only configures the engine: it serves ``create_app``'s app as it is.
"""

from __future__ import annotations

import socket
import struct
import time
from typing import Any

from flask import Flask
from gunicorn.app.base import BaseApplication
from gunicorn.http import errors as http_errors
from gunicorn.workers.gthread import ThreadWorker

from grades_kit.mock_server.app import EXTENSION
from grades_kit.mock_server.cors import Cors
from grades_kit.mock_server.errors import SERVER_ERROR_DETAIL, error_body
from grades_kit.mock_server.limits import (
    HEADERS_TOO_LARGE,
    MAX_GRACE_S,
    MAX_HEADER_FIELD,
    MAX_REQUEST_LINE,
    REQUEST_HEAD_TIMEOUT_S,
    URI_TOO_LONG,
)
from grades_kit.mock_server.settings import Settings

TIMEOUT_S = 30
"""A worker stuck longer than this is restarted; requests time out waiting for headers too."""


class RequestHeadTimeout(Exception):
    """The client stalled while sending its request head."""


class HeadDeadlineSocket(socket.socket):
    """A client socket whose reads fail once the request head is overdue.

    gthread reads the head with a blocking ``recv`` and no timeout, so a client that sends
    half a request would hold a worker thread forever; ``SO_RCVTIMEO`` bounds each wait.
    """

    head_deadline: float | None = None

    def recv(self, bufsize: int, flags: int = 0) -> bytes:
        if self.head_deadline is None:
            return super().recv(bufsize, flags)
        remaining = self.head_deadline - time.monotonic()
        if remaining <= 0:
            raise RequestHeadTimeout
        self.set_read_timeout(remaining)
        try:
            return super().recv(bufsize, flags)
        except BlockingIOError as exc:  # SO_RCVTIMEO expired
            raise RequestHeadTimeout from exc

    def set_read_timeout(self, seconds: float) -> None:
        whole = int(seconds)
        timeval = struct.pack("ll", whole, int((seconds - whole) * 1e6))
        self.setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO, timeval)


class JsonErrorWorker(ThreadWorker):  # type: ignore[misc]
    """A gthread worker that answers HTTP-level errors with the JSON Error body."""

    cors: Cors
    """The app's one Cors object (set by :class:`MockServer`)."""

    def handle(self, conn: Any) -> Any:
        if not isinstance(conn.sock, HeadDeadlineSocket):
            sock = conn.sock
            conn.sock = HeadDeadlineSocket(sock.family, sock.type, sock.proto, sock.detach())
        conn.sock.head_deadline = time.monotonic() + REQUEST_HEAD_TIMEOUT_S
        return super().handle(conn)

    def handle_request(self, req: Any, conn: Any) -> Any:
        if conn.sock.head_deadline is not None:  # the head is in: no deadline for the rest
            conn.sock.head_deadline = None
            conn.sock.set_read_timeout(0)
        return super().handle_request(req, conn)

    def handle_error(self, req: Any, client: socket.socket, addr: Any, exc: Exception) -> None:
        status, reason, detail = _describe(exc)
        if status == 500:
            self.log.exception("error handling a request")
        else:  # the type only: a message may quote a header value, i.e. a token
            self.log.warning("invalid request: %s", type(exc).__name__)
        body = error_body(detail)
        cors = "".join(f"{k}: {v}\r\n" for k, v in self.cors.headers(_origin(req)))
        head = (
            f"HTTP/1.1 {status} {reason}\r\nConnection: close\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n{cors}\r\n"
        )
        try:
            client.sendall(head.encode("latin-1") + body)
        except OSError:
            self.log.debug("could not send the error response")


def _origin(req: Any) -> str | None:
    """The request's ``Origin``, when gunicorn parsed the headers before failing."""
    for name, value in getattr(req, "headers", None) or ():
        if name.upper() == "ORIGIN":
            return str(value)
    return None


def _describe(exc: Exception) -> tuple[int, str, str]:
    if isinstance(exc, RequestHeadTimeout):
        return 408, "Request Timeout", f"Request not received within {REQUEST_HEAD_TIMEOUT_S} s."
    if isinstance(exc, http_errors.LimitRequestLine):
        return 414, "URI Too Long", URI_TOO_LONG
    if isinstance(exc, http_errors.LimitRequestHeaders):
        return 431, "Request Header Fields Too Large", HEADERS_TOO_LARGE
    if isinstance(exc, http_errors.ParseException):
        return 400, "Bad Request", f"Malformed HTTP request ({type(exc).__name__})."
    return 500, "Internal Server Error", SERVER_ERROR_DETAIL


class MockServer(BaseApplication):  # type: ignore[misc]
    """gunicorn, configured from :class:`Settings`, serving an already-built app."""

    def __init__(self, app: Flask, settings: Settings, listener: socket.socket) -> None:
        self._app = app
        self._settings = settings
        self._listener = listener
        super().__init__()

    def load_config(self) -> None:
        cors = self._app.extensions[EXTENSION].cors
        worker = type("Worker", (JsonErrorWorker,), {"cors": cors})
        options: dict[str, Any] = {
            "bind": [f"fd://{self._listener.fileno()}"],
            "workers": self._settings.worker_count,
            "worker_class": worker,
            "threads": self._settings.thread_count,
            "timeout": TIMEOUT_S,
            "graceful_timeout": MAX_GRACE_S,
            "keepalive": 5,
            "limit_request_line": MAX_REQUEST_LINE,
            "limit_request_field_size": MAX_HEADER_FIELD,
            "accesslog": None,
            "loglevel": "warning",
            "preload_app": True,
        }
        for key, value in options.items():
            self.cfg.set(key, value)

    def load(self) -> Flask:
        return self._app
