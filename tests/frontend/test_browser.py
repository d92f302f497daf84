"""A real browser (Debian's headless Chromium, driven by Playwright) against the mock.

A page on another origin fetches the grades with a Bearer token and renders a table; with a
wrong token it shows the 401 ``detail`` (readable only because errors carry CORS headers);
Swagger UI at ``/docs`` loads from loopback alone and its "Try it out" gets a 200.
Locally these tests skip when Chromium is missing; with ``CI=true`` they must run.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

import pytest
import requests
from flask import Flask, send_from_directory

from mock_server import create_app
from spec.loader import GRADES_PATH
from tests.servers import serve_in_thread

pytestmark = pytest.mark.slow

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip
TOKEN = "local-dev-token"
PAGES = Path(__file__).with_name("pages")
TIMEOUT_MS = 15_000


def _require_chromium() -> None:
    if CHROMIUM.is_file() and shutil.which(str(CHROMIUM)):
        return
    message = f"{CHROMIUM} not found: apt-get install chromium"
    if os.environ.get("CI") == "true":
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    _require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def mock_url() -> Iterator[str]:
    with serve_in_thread(create_app()) as base:
        yield base


@pytest.fixture(scope="module")
def page_url() -> Iterator[str]:
    """The frontend, served from another origin (another port)."""
    app = Flask(__name__)
    app.get("/<path:name>")(lambda name: send_from_directory(PAGES, name))
    with serve_in_thread(app) as base:
        yield base


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A fresh page that refuses (and records) any request beyond loopback."""
    context = browser.new_context()
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    page.outside = []

    def guard(route: Any) -> None:
        if urlsplit(route.request.url).hostname in ("127.0.0.1", "localhost"):
            route.continue_()
        else:
            page.outside.append(route.request.url)
            route.abort()

    page.route("**/*", guard)
    yield page
    context.close()


def open_grades_page(page: Any, page_url: str, mock_url: str, token: str, **query: str) -> None:
    page.goto(f"{page_url}/grades.html?" + urlencode({"api": mock_url, "token": token, **query}))
    page.wait_for_selector("body[data-state=done]")


def test_page_on_another_origin_renders_the_grades(
    page: Any, page_url: str, mock_url: str, tmp_path: Path
) -> None:
    assert urlsplit(page_url).port != urlsplit(mock_url).port
    open_grades_page(page, page_url, mock_url, TOKEN, course_id="course-v1:MOOCit-demo-1")
    page.screenshot(path=str(tmp_path / "grades.png"), full_page=True)
    rows = page.locator("#grades tbody tr")
    assert rows.count() > 0
    cells = [rows.nth(i).locator("td").all_inner_texts() for i in range(rows.count())]
    assert {c[1] for c in cells} == {"course-v1:MOOCit-demo-1"}
    assert ["johndoe", "course-v1:MOOCit-demo-1", "0.80", "Pass"] in cells
    assert page.locator("#error").is_hidden()
    assert page.outside == []


def test_page_shows_the_401_detail(page: Any, page_url: str, mock_url: str, tmp_path: Path) -> None:
    open_grades_page(page, page_url, mock_url, "wrong-token")
    page.screenshot(path=str(tmp_path / "grades-401.png"), full_page=True)
    direct = requests.get(
        mock_url + GRADES_PATH, headers={"Authorization": "Bearer wrong-token"}, timeout=10
    )
    assert page.locator("#error").inner_text() == f"401: {direct.json()['detail']}"
    assert page.locator("#grades").is_hidden()


def test_swagger_ui_try_it_out_gets_200_from_loopback_only(
    page: Any, mock_url: str, tmp_path: Path
) -> None:
    page.goto(f"{mock_url}/docs/")
    page.locator(".btn.authorize").click()
    page.locator(".modal-ux input").fill(TOKEN)
    page.locator(".modal-ux .auth-btn-wrapper .authorize").click()
    page.locator(".modal-ux .btn-done").click()
    page.locator(".opblock-get .opblock-summary").first.click()
    page.locator(".try-out__btn").click()
    page.locator(".execute").click()
    status = page.locator(".live-responses-table tbody .response-col_status").first
    status.wait_for()
    page.screenshot(path=str(tmp_path / "swagger-ui.png"), full_page=True)
    assert status.inner_text().strip() == "200"
    assert (
        "johndoe"
        in page.locator(".live-responses-table tbody .response-col_description").inner_text()
    )
    assert page.outside == []


@pytest.mark.parametrize(
    ("ci", "outcome"), [("", pytest.skip.Exception), ("true", pytest.fail.Exception)]
)
def test_missing_chromium_skips_locally_and_fails_on_ci(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, ci: str, outcome: type[BaseException]
) -> None:
    monkeypatch.setattr(f"{__name__}.CHROMIUM", tmp_path / "no-chromium")
    monkeypatch.setenv("CI", ci)
    with pytest.raises(outcome, match="apt-get install chromium"):
        _require_chromium()
