"""Correct servers that differ from the mock in ways the contract allows: each must pass.

A suite that flags one of these is a false red build, as bad as a missed defect. Each entry
wraps an unmodified mock (or a larger one) in a few lines that change one thing the spec
leaves open: the encoding, the framing, the order of records or keys, throttling and
transient unavailability answered as the spec declares them (with ``Retry-After``), latency,
and size.
"""

from __future__ import annotations

import gzip
import itertools
import json
import random
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from werkzeug.wrappers import Request, Response

from grades_kit.mock_server import Settings, create_app
from tests.contract_tests.broken_servers import (
    BrokenServer,
    WsgiApp,
    rewrite_records,
    rewrite_response,
)

CHUNK = 512
"""Bytes per chunk of a chunked answer."""


def _gzip(request: Request, response: Response) -> Response:
    if "gzip" in request.headers.get("Accept-Encoding", "") and response.status_code == 200:
        response.set_data(gzip.compress(response.get_data()))
        response.headers["Content-Encoding"] = "gzip"
        response.headers["Vary"] = "Accept-Encoding"
    return response


def _chunked(request: Request, response: Response) -> Response:
    body = response.get_data()
    chunks: Iterator[bytes] = (body[i : i + CHUNK] for i in range(0, len(body), CHUNK))
    streamed = Response(chunks, response.status_code, list(response.headers.items()))
    streamed.headers.pop("Content-Length", None)
    return streamed


def _keys_reversed(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [dict(reversed(list(record.items()))) for record in records]


def _shuffled(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    shuffled = list(records)
    random.shuffle(shuffled)
    return shuffled


def every_nth(n: int, status: int, detail: str) -> Callable[[WsgiApp], WsgiApp]:
    """Every ``n``-th grades request answered ``status`` with ``Retry-After: 1`` and the
    spec's Error body (the platform's throttling, or a moment of maintenance)."""

    def build(mock: WsgiApp) -> WsgiApp:
        count, lock = itertools.count(1), threading.Lock()

        def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
            with lock:
                turn = next(count)
            if environ.get("REQUEST_METHOD") == "GET" and turn % n == 0:
                body = json.dumps({"detail": detail})
                answer = Response(body, status, {"Retry-After": "1"}, mimetype="application/json")
                return answer(environ, start_response)
            return mock(environ, start_response)

        return app

    return build


def slow(delay_s: float) -> Callable[[WsgiApp], WsgiApp]:
    def build(mock: WsgiApp) -> WsgiApp:
        def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
            time.sleep(delay_s)
            return mock(environ, start_response)

        return app

    return build


def large(records: int) -> Callable[[WsgiApp], WsgiApp]:
    """A larger instance: generated records (the spec's invariants hold), not the fixtures."""
    return lambda _mock: create_app(Settings(generate=records, seed=7))


VARIANTS: tuple[BrokenServer, ...] = (
    BrokenServer("gzip", "answers gzip-compressed", "", rewrite_response(_gzip)),
    BrokenServer("chunked", "answers chunked, no Content-Length", "", rewrite_response(_chunked)),
    BrokenServer("shuffled", "records in another order each time", "", rewrite_records(_shuffled)),
    BrokenServer("keys-reversed", "keys reversed", "", rewrite_records(_keys_reversed)),
    BrokenServer(
        "throttled", "every 25th request 429 with Retry-After: 1", "",
        every_nth(25, 429, "Request was throttled. Expected available in 1 second."),
    ),
    BrokenServer(
        "transient-503", "every 60th request 503 with Retry-After: 1", "",
        every_nth(60, 503, "Service temporarily unavailable, try again later."),
    ),
    BrokenServer("slow", "10 ms per answer", "", slow(0.01)),
    BrokenServer("large", "1,000 generated records instead of the fixtures", "", large(1000)),
)  # fmt: skip
"""Each differs from the mock in one way the contract allows (``expected_rule`` is empty)."""
