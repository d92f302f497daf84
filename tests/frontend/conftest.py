"""A live mock (real HTTP, in a thread) with the admin API on, shared by a module's tests."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests

from grades_kit.mock_server import Settings, create_app
from tests.serve_in_thread import serve_in_thread

ADMIN_TOKEN = "test-admin-token"
ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
API = {"Authorization": "Bearer local-dev-token"}


class Live:
    """A base URL plus a requests session; ``admin(...)`` calls ``/__mock/`` with the token."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.http = requests.Session()

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        return self.http.get(self.base + path, headers=API, timeout=10, **kwargs)

    def admin(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        headers = kwargs.pop("headers", ADMIN)
        return self.http.request(
            method, f"{self.base}/__mock{path}", headers=headers, timeout=10, **kwargs
        )


@pytest.fixture(scope="module")
def live() -> Iterator[Live]:
    app = create_app(Settings(admin_token=ADMIN_TOKEN, journal_size=50))
    with serve_in_thread(app) as base:
        server = Live(base)
        yield server
        server.http.close()


@pytest.fixture
def fresh(live: Live) -> Live:
    """The live mock back at its start-up state: fixtures, empty journal, no scenario."""
    for method, path in (("POST", "/reset"), ("DELETE", "/journal"), ("DELETE", "/scenarios")):
        assert live.admin(method, path).status_code in (200, 204)
    return live
