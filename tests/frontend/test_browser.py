"""A real browser (Debian's headless Chromium, driven by Playwright) against the mock.

A page on another origin fetches the grades with a Bearer token and renders a table; with a
wrong token it shows the 401 ``detail`` (readable only because errors carry CORS headers);
Swagger UI at ``/docs`` loads from loopback alone and its "Try it out" gets a 200.
A probe page (``pages/probe.html``) does what frontends do with the mock's features: each
``Prefer`` form (reading ``Retry-After`` and ``Preference-Applied``), a 401's
``WWW-Authenticate`` and ``detail``, a 414 under several ``--cors-origin`` origins, and the
effect of the admin API driven by the test runner.
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

from grades_kit.contract.loader import GRADES_PATH
from grades_kit.mock_server import Settings, create_app
from tests.serve_in_thread import serve_in_thread

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("browser")]  # one Chromium at a time

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


# What frontends do with the mock's features, from a page on another origin (probe.html):
# every fetch below crosses origins, so Chromium enforces the preflight (Prefer, Authorization)
# and hides any response header the mock does not expose.


def open_probe(page: Any, page_url: str) -> Any:
    page.goto(f"{page_url}/probe.html")
    page.wait_for_selector("body[data-state=ready]", state="attached")

    def probe(url: str, **headers: str) -> dict[str, Any]:
        result: dict[str, Any] = page.evaluate("([u, h]) => window.probe(u, h)", [url, headers])
        assert "error" not in result, f"the browser refused the fetch: {result['error']}"
        return result

    return probe


AUTH = {"Authorization": f"Bearer {TOKEN}"}


@pytest.mark.parametrize(
    ("prefer", "status", "readable"),
    [
        ("code=503", 503, {"retry-after": "120", "preference-applied": "code=503"}),
        ("code=429", 429, {"retry-after": "30", "preference-applied": "code=429"}),
        ("example=by_course", 200, {"preference-applied": "example=by_course"}),
        ("dynamic=true, seed=7", 200, {"preference-applied": "dynamic=true, seed=7"}),
        ("delay=400", 200, {"preference-applied": "delay=400"}),
        ("return=minimal, code=503", 503, {"preference-applied": "code=503"}),
    ],
)
def test_page_uses_each_prefer_form(
    page: Any, page_url: str, mock_url: str, prefer: str, status: int, readable: dict[str, str]
) -> None:
    probe = open_probe(page, page_url)
    answer = probe(mock_url + GRADES_PATH, Prefer=prefer, **AUTH)
    direct = requests.get(mock_url + GRADES_PATH, headers={"Prefer": prefer, **AUTH}, timeout=10)
    assert answer["status"] == status == direct.status_code
    for name, value in readable.items():
        assert answer["headers"][name] == direct.headers[name]
        if name != "retry-after":  # the spec's example value, not a constant of this test
            assert answer["headers"][name] == value
    assert answer["body"] == direct.json() or prefer.startswith("delay")
    if prefer.startswith("dynamic"):
        assert probe(mock_url + GRADES_PATH, Prefer=prefer, **AUTH)["body"] == answer["body"]
    if prefer.startswith("delay"):
        assert answer["ms"] >= 400
    assert page.outside == []


def test_page_reads_www_authenticate_and_the_detail_of_a_401(
    page: Any, page_url: str, mock_url: str
) -> None:
    probe = open_probe(page, page_url)
    answer = probe(mock_url + GRADES_PATH, Authorization="Bearer wrong-token")
    assert answer["status"] == 401
    assert answer["headers"]["www-authenticate"].startswith("Bearer")
    assert answer["body"]["detail"] == "Invalid token."


def test_page_reads_the_error_of_a_414_under_several_origins(page: Any, page_url: str) -> None:
    """The page's origin is the second of two: the 414 must name it (and Vary on Origin)."""
    origins = f"http://first.test,{page_url}"
    with serve_in_thread(create_app(Settings(cors_origin=origins))) as mock:
        probe = open_probe(page, page_url)
        answer = probe(f"{mock}{GRADES_PATH}?username=" + "a" * 9000)  # a simple request
        assert answer["status"] == 414
        assert answer["body"]["detail"].startswith("Request line over")
        headers = requests.get(mock + GRADES_PATH, headers={"Origin": page_url}, timeout=10)
        assert headers.headers["Vary"] == "Origin"


def test_runner_drives_the_admin_api_while_the_page_observes(page: Any, page_url: str) -> None:
    admin_token = "browser-admin-token"
    admin = {"Authorization": f"Bearer {admin_token}"}
    with serve_in_thread(create_app(Settings(admin_token=admin_token))) as mock:
        probe = open_probe(page, page_url)
        url = mock + GRADES_PATH
        assert len(probe(url, **AUTH)["body"]) > 1
        record = probe(url, **AUTH)["body"][0]
        put = requests.put(f"{mock}/__mock/records", json=[record], headers=admin, timeout=10)
        assert put.json() == {"count": 1}
        assert probe(url, **AUTH)["body"] == [record]
        scenario = {"count": 1, "status": 503}
        requests.post(f"{mock}/__mock/scenarios", json=scenario, headers=admin, timeout=10)
        forced = probe(url, **AUTH)
        assert forced["status"] == 503 and forced["headers"]["retry-after"].isdigit()
        assert probe(url, **AUTH)["status"] == 200  # the scenario was used up
        journal = requests.get(f"{mock}/__mock/journal", headers=admin, timeout=10).json()
        assert [e["status"] for e in journal["entries"] if e["method"] == "GET"][-2:] == [
            503,
            200,
        ]


def test_the_documented_fetch_with_prefer_works_as_written(
    page: Any, page_url: str, mock_url: str
) -> None:
    """docs/mock-server.md's browser example, run as written from another origin."""
    doc = (Path(__file__).resolve().parents[2] / "docs" / "mock-server.md").read_text()
    blocks = [b for b in doc.split("```js\n")[1:] if "Prefer:" in b.split("```")[0]]
    assert len(blocks) == 1, "docs/mock-server.md: one js example with Prefer"
    code = blocks[0].split("```")[0].replace("http://127.0.0.1:8080", mock_url)
    open_probe(page, page_url)
    logged: list[str] = []
    page.on("console", lambda m: logged.append(m.text) if m.type == "log" else None)
    page.evaluate(f"async () => {{\n{code}\n}}")
    assert logged[:2] == ["503 30", "delay=200, code=503"]
    assert logged[2] == "Service temporarily unavailable, try again later."
