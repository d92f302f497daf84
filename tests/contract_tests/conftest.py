"""Fixtures for the contract suite's self-tests: a recording mock on a free port."""

from __future__ import annotations

import itertools
import logging
import threading
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import pytest

from grades_kit.mock_server import Settings, create_app
from tests.serve_in_thread import serve_in_thread


class Recorder:
    """WSGI middleware around the mock that remembers every request line it saw.

    The requests of one concurrency burst (``X-Grades-Contract-Burst``) arrive in the
    server's order, not the seed's: :meth:`take` sorts each burst's lines among themselves
    and keeps every other request where it arrived."""

    def __init__(self, app: Callable[..., Iterable[bytes]]) -> None:
        self.app = app
        self.requests: list[tuple[str, str]] = []
        self._bursts: list[str | None] = []
        self._lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        line = environ["PATH_INFO"] + "?" + environ.get("QUERY_STRING", "")
        with self._lock:
            self.requests.append((environ["REQUEST_METHOD"], line))
            self._bursts.append(environ.get("HTTP_X_GRADES_CONTRACT_BURST"))
        return self.app(environ, start_response)

    def take(self) -> list[tuple[str, str]]:
        with self._lock:
            taken, bursts = self.requests, self._bursts
            self.requests, self._bursts = [], []
        ordered: list[tuple[str, str]] = []
        for burst, group in itertools.groupby(zip(bursts, taken, strict=True), lambda p: p[0]):
            lines = [request for _, request in group]
            ordered += lines if burst is None else sorted(lines)
        return ordered


@pytest.fixture(scope="module")
def recording_mock() -> Iterator[tuple[str, Recorder]]:
    """The real mock (default settings) behind a recorder, on a free loopback port."""
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    recorder = Recorder(create_app(Settings()))
    with serve_in_thread(recorder) as url:
        yield url, recorder
