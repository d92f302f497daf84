"""What ``grades-mock proxy`` answers itself: CORS a page can read, declared statuses passed
through as conforming, and its own ``/openapi.json`` and ``/docs``."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import Any

import pytest
import requests

from grades_kit.contract.loader import GRADES_PATH
from grades_kit.mock_server import Settings, create_app
from grades_kit.mock_server.cors import CorsPolicy
from grades_kit.proxy.forwarding import TALLY_PATH, ProxyConfig, ValidatingProxy
from tests.contract_tests.broken_servers import CATALOGUE
from tests.proxy.test_forwarding import AUTH, proxied
from tests.serve_in_thread import free_port, serve_in_thread

PAGE = "http://localhost:3000"
LISTED = CorsPolicy((PAGE,), credentials=True)


def _cors_of(answer: requests.Response) -> tuple[str | None, str | None]:
    headers = answer.headers
    return headers.get("Access-Control-Allow-Origin"), headers.get(
        "Access-Control-Allow-Credentials"
    )


def _slow(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    time.sleep(1.0)
    start_response("200 OK", [("Content-Type", "application/json")])
    return [b"[]"]


def test_every_answer_the_proxy_makes_carries_its_cors() -> None:
    broken = next(s for s in CATALOGUE if s.name == "duplicates").build()
    seen = {}
    with proxied(broken, errors=True, cors=LISTED) as (base, _):
        seen["--errors 502"] = requests.get(base + GRADES_PATH, headers={**AUTH, "Origin": PAGE})
        seen["tally"] = requests.get(base + TALLY_PATH, headers={"Origin": PAGE})
        seen["docs"] = requests.get(base + "/openapi.json", headers={"Origin": PAGE})
    with proxied(_slow, timeout_s=0.2, cors=LISTED) as (base, _):
        seen["504"] = requests.get(base + GRADES_PATH, headers={**AUTH, "Origin": PAGE})
    nowhere = ValidatingProxy(ProxyConfig(f"http://127.0.0.1:{free_port()}", cors=LISTED))
    with serve_in_thread(nowhere) as base:
        seen["502"] = requests.get(base + GRADES_PATH, headers={**AUTH, "Origin": PAGE})
    assert {name: _cors_of(a) for name, a in seen.items()} == dict.fromkeys(seen, (PAGE, "true"))
    assert [seen[n].status_code for n in ("--errors 502", "504", "502")] == [502, 504, 502]


def test_the_tally_answers_a_preflight_without_a_body() -> None:
    with proxied(create_app(Settings())) as (base, proxy):
        answer = requests.options(
            base + TALLY_PATH,
            headers={"Origin": PAGE, "Access-Control-Request-Method": "GET",
                     "Access-Control-Request-Headers": "x-requested-with"},
        )  # fmt: skip
        assert proxy.tally.snapshot()["exchanges"] == 0
    assert answer.status_code == 204 and answer.content == b""
    assert answer.headers["Access-Control-Allow-Origin"] == "*"
    assert "x-requested-with" in answer.headers["Access-Control-Allow-Headers"]


@pytest.mark.parametrize("prefer", ["code=503", "code=429"])
def test_a_declared_status_that_conforms_is_no_violation_even_with_errors(prefer: str) -> None:
    mock = create_app(Settings())
    with proxied(mock, errors=True) as (base, _):
        answer = requests.get(base + GRADES_PATH, headers={**AUTH, "Prefer": prefer}, timeout=10)
        tally = requests.get(base + TALLY_PATH, timeout=10).json()
    assert answer.status_code == int(prefer[5:]) and answer.headers["Retry-After"].isdigit()
    assert tally["violations"] == 0, tally["examples"]


def test_a_declared_503_whose_body_breaks_the_schema_still_is_one() -> None:
    def down(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        start_response("503 Service Unavailable", [("Content-Type", "application/json")])
        return [b'{"message": "down"}']  # the spec's Error has a detail

    with proxied(down, errors=True) as (base, _):
        answer = requests.get(base + GRADES_PATH, headers=AUTH, timeout=10)
    assert answer.status_code == 502
    assert answer.json()["detail"].startswith("grades-mock proxy: the upstream's answer breaks [")
    assert "server-error" not in answer.json()["detail"]


def test_the_proxy_serves_a_document_and_docs_that_point_at_itself() -> None:
    with proxied(create_app(Settings())) as (base, _):
        document = requests.get(base + "/openapi.json", timeout=10).json()
        docs = requests.get(base + "/docs/", timeout=10)
    assert document["servers"] == [{"url": base, "description": "This proxy."}]
    assert "Prefer" not in str(document["paths"])  # the upstream may be the real API
    assert docs.status_code == 200 and "/openapi.json" in docs.text


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--cors-credentials"], "cors-credentials: give the origins with --cors-origin"),
        (["--cors-origin", "localhost:3000"], "'localhost:3000' is not an origin"),
        (["--cors-allow-headers", "Prefer"], "must include Authorization"),
    ],
)
def test_the_proxy_cli_refuses_bad_cors_flags_in_one_line(
    capsys: pytest.CaptureFixture[str], flags: list[str], message: str
) -> None:
    from grades_kit.mock_server.mock_cli import main

    assert main(["proxy", "--upstream", "http://127.0.0.1:9", *flags]) == 2
    err = capsys.readouterr().err
    assert err.startswith("grades-mock proxy: error: ") and message in err
    assert err.count("\n") == 1
