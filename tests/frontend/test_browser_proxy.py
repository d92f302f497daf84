"""The Chromium page through ``grades-mock proxy``: a real browser's traffic, judged clean.

The page on another origin sends a GET with its Bearer token and an Origin; the proxy
forwards it to the mock and finds no violation (CORS included). Playwright answers the
preflight itself while its request guard is on, so the preflight is judged in
``tests/proxy/test_forwarding.py``. Skips without Chromium locally, fails with ``CI=true``
(the fixtures of ``test_browser`` decide).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests

from grades_kit.mock_server import create_app
from grades_kit.proxy.forwarding import TALLY_PATH, ProxyConfig, ValidatingProxy
from tests.frontend.test_browser import (  # noqa: F401  (fixtures)
    TOKEN,
    browser,
    open_grades_page,
    page,
    page_url,
)
from tests.serve_in_thread import serve_in_thread

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("browser")]  # one Chromium at a time


@pytest.fixture(scope="module")
def proxy_url() -> Iterator[str]:
    with serve_in_thread(create_app()) as upstream:
        with serve_in_thread(ValidatingProxy(ProxyConfig(upstream))) as base:
            yield base


def test_page_renders_through_the_proxy_without_a_violation(
    page: Any,  # noqa: F811
    page_url: str,  # noqa: F811
    proxy_url: str,
) -> None:
    open_grades_page(page, page_url, proxy_url, TOKEN, course_id="course-v1:MOOCit-demo-1")
    rows = page.locator("#grades tbody tr")
    assert rows.count() > 0
    assert page.locator("#error").is_hidden()
    tally = requests.get(proxy_url + TALLY_PATH, timeout=10).json()
    assert tally["exchanges"] >= 1 and tally["violations"] == 0, tally
