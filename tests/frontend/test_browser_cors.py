"""Chromium's own CORS checks, preflights included, against the mock and the proxy.

The pages of ``test_browser`` route every request through Playwright to keep them on
loopback, and while a route is on Playwright answers preflights itself. These pages use no
route, so every preflight here is Chromium's and the mock's (or the proxy's) answer to it.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from grades_kit.contract.loader import GRADES_PATH
from grades_kit.mock_server import Settings, create_app
from grades_kit.mock_server.cors import CorsPolicy
from grades_kit.proxy.forwarding import ProxyConfig, ValidatingProxy
from tests.contract_tests.broken_servers import CATALOGUE
from tests.frontend.test_browser import (  # noqa: F401  (fixtures)
    TIMEOUT_MS,
    TOKEN,
    browser,
    mock_url,
    page,
    page_url,
)
from tests.serve_in_thread import serve_in_thread

pytestmark = pytest.mark.slow

OPEN_EDX_FETCH = """async ([url, token]) => {
  try {
    const response = await fetch(url, {
      credentials: "include",
      headers: {Authorization: `Bearer ${token}`, "X-Requested-With": "XMLHttpRequest",
                "USE-JWT-COOKIE": "true"},
    });
    return {status: response.status, body: await response.json()};
  } catch (error) {
    return {error: String(error)};
  }
}"""
"""What an Open edX frontend's authenticated client sends: its JWT cookie and two headers."""


@pytest.fixture
def bare_page(browser: Any, page_url: str) -> Iterator[Any]:  # noqa: F811
    """A page on another origin with no Playwright route: Chromium does every preflight."""
    context = browser.new_context()
    bare = context.new_page()
    bare.set_default_timeout(TIMEOUT_MS)
    bare.goto(f"{page_url}/probe.html")
    bare.wait_for_selector("body[data-state=ready]", state="attached")
    yield bare
    context.close()


def _fetch_with_cookie(bare: Any, base: str) -> dict[str, Any]:
    bare.context.add_cookies([{"name": "edx-jwt-cookie-header-payload", "value": "x.y",
                               "url": base}])  # fmt: skip
    result: dict[str, Any] = bare.evaluate(OPEN_EDX_FETCH, [base + GRADES_PATH, TOKEN])
    return result


def test_credentials_and_open_edx_headers_pass_with_cors_credentials(
    bare_page: Any,
    page_url: str,  # noqa: F811
) -> None:
    settings = Settings(cors_origin=f"http://first.test,{page_url}", cors_credentials=True)
    app, cookies = create_app(settings), []

    def recording(environ: dict[str, Any], start_response: Any) -> Any:
        cookies.append(environ.get("HTTP_COOKIE"))
        return app(environ, start_response)

    with serve_in_thread(recording) as mock:
        answer = _fetch_with_cookie(bare_page, mock)
    assert answer.get("status") == 200, answer
    assert len(answer["body"]) > 100
    assert cookies[-1] == "edx-jwt-cookie-header-payload=x.y"  # the GET carried the cookie


def test_credentials_fail_against_the_wildcard_as_the_browser_insists(bare_page: Any) -> None:
    with serve_in_thread(create_app(Settings())) as mock:
        answer = _fetch_with_cookie(bare_page, mock)
    assert answer["error"].startswith("TypeError: Failed to fetch"), answer


def test_the_default_preflight_passes_the_open_edx_headers_without_credentials(
    bare_page: Any,
) -> None:
    with serve_in_thread(create_app(Settings())) as mock:
        code = OPEN_EDX_FETCH.replace('credentials: "include"', 'credentials: "same-origin"')
        answer = bare_page.evaluate(code, [mock + GRADES_PATH, TOKEN])
    assert answer.get("status") == 200, answer


def test_an_origin_not_in_the_list_is_refused(bare_page: Any) -> None:
    settings = Settings(cors_origin="http://localhost:3000", cors_credentials=True)
    with serve_in_thread(create_app(settings)) as mock:
        answer = _fetch_with_cookie(bare_page, mock)
    assert answer["error"].startswith("TypeError: Failed to fetch"), answer


def test_a_fixed_header_list_refuses_a_header_not_in_it(bare_page: Any) -> None:
    settings = Settings(cors_allow_headers="Authorization, Prefer")
    with serve_in_thread(create_app(settings)) as mock:
        code = OPEN_EDX_FETCH.replace('credentials: "include"', 'credentials: "same-origin"')
        answer = bare_page.evaluate(code, [mock + GRADES_PATH, TOKEN])
    assert answer["error"].startswith("TypeError: Failed to fetch"), answer


def test_a_page_reads_the_rule_from_the_proxy_errors_502(
    bare_page: Any,
    page_url: str,  # noqa: F811
) -> None:
    broken = next(s for s in CATALOGUE if s.name == "duplicates").build()
    policy = CorsPolicy((page_url,), credentials=True)
    with serve_in_thread(broken) as upstream:
        proxy = ValidatingProxy(ProxyConfig(upstream, errors=True, cors=policy))
        with serve_in_thread(proxy) as base:
            answer = bare_page.evaluate(
                """async ([url, token]) => {
                  const headers = {Authorization: `Bearer ${token}`};  // preflight: upstream's
                  const response = await fetch(url, {headers});
                  return {status: response.status, body: await response.json()};
                }""",
                [base + GRADES_PATH, TOKEN],
            )
    assert answer["status"] == 502
    assert "[invariant/unique-learner-course]" in answer["body"]["detail"]


def test_docs_can_force_a_status_through_prefer(
    page: Any,  # noqa: F811
    mock_url: str,  # noqa: F811
) -> None:
    """Swagger UI lists the served document's Prefer examples; picking one forces it."""
    page.goto(f"{mock_url}/docs/")
    page.locator(".opblock-get .opblock-summary").first.click()
    page.locator(".try-out__btn").click()
    prefer = page.locator("tr[data-param-name='Prefer']")
    prefer.locator("select").first.select_option(label="code=503")
    page.locator(".execute").click()
    status = page.locator(".live-responses-table tbody .response-col_status").first
    status.wait_for()
    assert status.inner_text().strip() == "503"
    assert page.outside == []
