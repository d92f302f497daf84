"""Fixtures for the contract suite's self-tests: a recording mock on a free port."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import pytest

from grades_kit.mock_server import Settings, create_app
from tests.serve_in_thread import serve_in_thread


class Recorder:
    """WSGI middleware around the mock that remembers every request line it saw."""

    def __init__(self, app: Callable[..., Iterable[bytes]]) -> None:
        self.app = app
        self.requests: list[tuple[str, str]] = []
        self._lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        line = environ["PATH_INFO"] + "?" + environ.get("QUERY_STRING", "")
        with self._lock:
            self.requests.append((environ["REQUEST_METHOD"], line))
        return self.app(environ, start_response)

    def take(self) -> list[tuple[str, str]]:
        with self._lock:
            taken, self.requests = self.requests, []
        return taken


@pytest.fixture(scope="module")
def recording_mock() -> Iterator[tuple[str, Recorder]]:
    """The real mock (default settings) behind a recorder, on a free loopback port."""
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    recorder = Recorder(create_app(Settings()))
    with serve_in_thread(recorder) as url:
        yield url, recorder
