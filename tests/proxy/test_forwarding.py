"""``grades-mock proxy``: in front of the mock, of broken servers, of nothing at all."""

from __future__ import annotations

import gzip
import json
import logging
import os
import signal
import subprocess
import sys
import threading
import time
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import requests

from grades_kit.contract import checks as rules
from grades_kit.contract.loader import GRADES_PATH, load_contract
from grades_kit.contract.registry import registry
from grades_kit.mock_server import Settings, create_app
from grades_kit.proxy.forwarding import ProxyConfig, ValidatingProxy
from tests.contract_tests.broken_servers import CATALOGUE, BrokenServer
from tests.serve_in_thread import free_port, serve_in_thread

TOKEN = Settings().tokens[0]
AUTH = {"Authorization": f"Bearer {TOKEN}"}
ORIGIN = "https://app.example"
CLI = str(Path(sys.executable).with_name("grades-mock"))

UNSEEN_PASSIVELY = {
    "shared-filter-state",  # a frontend's requests here come one at a time
    "any-token",
    "token-prefix",
    "token-extension",
    "token-case-insensitive",
    "token-whitespace-split",
    "token-in-query",
}
"""Passive traffic cannot show a token accepted that should not be (``any-token`` and the
token near-misses): the proxy does not know which tokens the upstream should refuse; nor, from
one request at a time, state shared between concurrent requests (``grades-contract load`` does)."""


NEAR_MISSES = (
    {"username": "johndoex"},  # an extension of a learner's name
    {"username": "zoe.muller"},  # zoë.müller, accents folded
    {"username": unicodedata.normalize("NFD", "zoë.müller")},  # outside the pattern: 400
    {"username": "johndoe "},  # outside the pattern: 400
    {"course_id": ""},  # outside the pattern: 400
    {"course_id": "course-v1:edX+DemoX+Demo_Course"},  # its + sent as %2B
    {"username": "johndo_"},  # '_' typed for a letter: a LIKE filter's wildcard
    {"course_id": "course-v1:MOOCit-demo-_"},  # the same in a course key
    {"username": "john@example.com"},  # the email typed in the username field
    [("username", "johndoe"), ("username", "JaneDoe")],  # a filter given twice
)
"""What a frontend sends by mistake (a typo, a macOS NFD string, a blank field): the
near-misses of the catalogue that passive traffic can show."""


@contextmanager
def proxied(upstream: Any, **config: Any) -> Iterator[tuple[str, ValidatingProxy]]:
    """``upstream`` (a WSGI app) and the proxy in front of it, both on free ports."""
    with serve_in_thread(upstream) as up:
        proxy = ValidatingProxy(ProxyConfig(up, **config))
        with serve_in_thread(proxy) as base:
            yield base, proxy


def app_traffic(base: str) -> None:
    """What a frontend sends in a session: lists, filters, a preflight, a forgotten token."""
    course, user = "course-v1:MOOCit-demo-1", "johndoe"
    url = base + GRADES_PATH
    for params in ({}, {"course_id": course}, {"username": user},
                   {"course_id": course, "username": user},
                   {"course_id": "course-v1:MOOCit+NoSuchCourse+2020"},
                   {"course_id": course[:-2]}, {"username": user.upper()},
                   *NEAR_MISSES):  # fmt: skip
        requests.get(url, params=params, headers={**AUTH, "Origin": ORIGIN}, timeout=10)
    requests.get(url, headers={"Origin": ORIGIN}, timeout=10)
    requests.get(url, headers={"Authorization": "Bearer not-a-known-token"}, timeout=10)
    preflight = {"Origin": ORIGIN, "Access-Control-Request-Method": "GET",
                 "Access-Control-Request-Headers": "authorization"}  # fmt: skip
    requests.options(url, headers=preflight, timeout=10)


def test_in_front_of_the_mock_no_violation_and_answers_unchanged() -> None:
    mock = create_app(Settings())
    with serve_in_thread(mock) as direct, proxied(mock) as (base, proxy):
        app_traffic(base)
        through = requests.get(base + GRADES_PATH, headers=AUTH, timeout=10)
        straight = requests.get(direct + GRADES_PATH, headers=AUTH, timeout=10)
        tally = requests.get(base + "/__proxy/violations", timeout=10).json()
    # The mock answers every request right; the app's three malformed filters are its own
    # mistakes, reported as advisories about the request, never as the upstream's violation.
    assert tally["by_rule"] == {"request-parameters": 4}, tally["examples"]
    assert {e["severity"] for e in tally["examples"]} == {"advisory"}
    assert tally["exchanges"] == 11 + len(NEAR_MISSES)
    assert through.content == straight.content and through.status_code == 200
    assert through.headers["Content-Type"] == straight.headers["Content-Type"]


@pytest.mark.parametrize("server", CATALOGUE, ids=[s.name for s in CATALOGUE])
def test_the_proxy_names_the_rule_the_suite_names(
    server: BrokenServer, caplog: pytest.LogCaptureFixture
) -> None:
    """For every catalogue defect passive traffic can show, the proxy's tally and log name
    the catalogue's expected rule: the rule ``test_catalogue.py`` asserts the suite's
    verdict names for the same defect."""
    if server.name in UNSEEN_PASSIVELY:
        pytest.skip("passive traffic cannot show which tokens the upstream should refuse")
    with (
        caplog.at_level(logging.WARNING, "grades_mock.proxy"),
        proxied(server.build()) as (base, _),
    ):
        app_traffic(base)
        tally = requests.get(base + "/__proxy/violations", timeout=10).json()
    assert server.expected_rule in tally["by_rule"], tally["by_rule"]
    line = next(
        r.getMessage() for r in caplog.records if f"[{server.expected_rule}]" in r.getMessage()
    )
    assert GRADES_PATH in line and TOKEN not in line
    assert set(tally["by_rule"]) <= {r.id for r in registry()}


def test_token_is_masked_in_log_and_tally(caplog: pytest.LogCaptureFixture) -> None:
    broken = next(s for s in CATALOGUE if s.name == "token-echoed")
    secret = "s3cret-token-of-the-app"
    with (
        caplog.at_level(logging.WARNING, "grades_mock.proxy"),
        proxied(broken.build()) as (base, _),
    ):
        requests.get(base + GRADES_PATH, headers={"Authorization": f"Bearer {secret}"}, timeout=10)
        tally = requests.get(base + "/__proxy/violations", timeout=10).text
    assert "auth/token-echoed" in tally and secret not in tally and secret not in caplog.text


def test_errors_mode_replaces_a_violating_answer_by_a_502_naming_the_rule() -> None:
    broken = next(s for s in CATALOGUE if s.name == "duplicates")
    with proxied(broken.build(), errors=True) as (base, _):
        answer = requests.get(base + GRADES_PATH, headers=AUTH, timeout=10)
    assert answer.status_code == 502
    assert "[invariant/unique-learner-course]" in answer.json()["detail"]


def test_errors_mode_passes_a_good_answer_unchanged() -> None:
    mock = create_app(Settings())
    with proxied(mock, errors=True) as (base, _):
        answer = requests.get(base + GRADES_PATH, headers=AUTH, timeout=10)
    assert answer.status_code == 200 and len(answer.json()) > 100


def test_the_app_token_passes_through_and_token_flag_only_fills_in() -> None:
    seen: list[str | None] = []

    def upstream(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        seen.append(environ.get("HTTP_AUTHORIZATION"))
        start_response("200 OK", [("Content-Type", "application/json")])
        return [b"[]"]

    with proxied(upstream, token="proxy-token") as (base, _):
        requests.get(base + GRADES_PATH, headers={"Authorization": "Bearer app-token"}, timeout=10)
        requests.get(base + GRADES_PATH, timeout=10)
    assert seen == ["Bearer app-token", "Bearer proxy-token"]


def test_hop_by_hop_headers_are_dropped_both_ways() -> None:
    seen: dict[str, str] = {}

    def upstream(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        seen.update({k: v for k, v in environ.items() if k.startswith("HTTP_")})
        start_response("200 OK", [("Content-Type", "application/json"), ("X-Secret-Hop", "1"),
                                  ("Connection", "X-Secret-Hop"), ("Keep-Alive", "timeout=5"),
                                  ("X-End-To-End", "kept")])  # fmt: skip
        return [b"[]"]

    headers = {**AUTH, "Connection": "X-Private", "X-Private": "1", "TE": "trailers",
               "Proxy-Authorization": "Basic abc", "X-Kept": "yes"}  # fmt: skip
    with proxied(upstream) as (base, _):
        answer = requests.get(base + GRADES_PATH, headers=headers, timeout=10)
    assert "HTTP_X_PRIVATE" not in seen and "HTTP_TE" not in seen
    assert "HTTP_PROXY_AUTHORIZATION" not in seen and seen["HTTP_X_KEPT"] == "yes"
    assert "X-Secret-Hop" not in answer.headers and "Keep-Alive" not in answer.headers
    assert answer.headers["X-End-To-End"] == "kept"


def test_a_gzipped_answer_is_forwarded_as_is_and_judged_decoded() -> None:
    records = [{"not": "a grade record"}]

    def upstream(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        start_response("200 OK", [("Content-Type", "application/json"),
                                  ("Content-Encoding", "gzip")])  # fmt: skip
        return [gzip.compress(json.dumps(records).encode())]

    with proxied(upstream) as (base, proxy):
        answer = requests.get(base + GRADES_PATH, headers=AUTH, timeout=10)
    assert answer.json() == records  # requests decoded the untouched gzip body
    assert rules.SCHEMA_VIOLATED.id in proxy.tally.snapshot()["by_rule"]


def test_unreachable_upstream_is_a_502_and_the_proxy_keeps_running() -> None:
    proxy = ValidatingProxy(ProxyConfig(f"http://127.0.0.1:{free_port()}"))
    with serve_in_thread(proxy) as base:
        first = requests.get(base + GRADES_PATH, headers=AUTH, timeout=10)
        second = requests.get(base + GRADES_PATH, headers=AUTH, timeout=10)
        tally = requests.get(base + "/__proxy/violations", timeout=10)
    assert first.status_code == second.status_code == 502
    assert "cannot reach" in first.json()["detail"]
    assert tally.status_code == 200


def test_a_slow_upstream_is_a_504() -> None:
    def upstream(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        time.sleep(1.0)
        start_response("200 OK", [("Content-Type", "application/json")])
        return [b"[]"]

    with proxied(upstream, timeout_s=0.2) as (base, _):
        answer = requests.get(base + GRADES_PATH, headers=AUTH, timeout=10)
    assert answer.status_code == 504 and "did not answer within 0.2 s" in answer.json()["detail"]


def test_tls_failure_is_a_502_naming_tls() -> None:
    plain = create_app(Settings())
    with serve_in_thread(plain) as up:  # speaks plain HTTP: the TLS handshake fails
        proxy = ValidatingProxy(ProxyConfig(up.replace("http://", "https://")))
        with serve_in_thread(proxy) as base:
            answer = requests.get(base + GRADES_PATH, headers=AUTH, timeout=10)
    assert answer.status_code == 502 and "TLS" in answer.json()["detail"]


@pytest.mark.slow
def test_the_cli_serves_the_proxy_with_granian() -> None:
    mock = create_app(Settings())
    with serve_in_thread(mock) as up:
        port = free_port()
        process = subprocess.Popen(
            [CLI, "proxy", "--upstream", up, "--port", str(port),
             "--cors-origin", ORIGIN, "--cors-credentials"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        base = f"http://127.0.0.1:{port}"
        try:
            answer = _first_answer(base + GRADES_PATH, process)
            own = requests.get(base + "/__proxy/violations", headers={"Origin": ORIGIN}, timeout=10)
            tally = own.json()
        finally:
            process.send_signal(signal.SIGTERM)
            out, _ = process.communicate(timeout=20)
    assert answer.status_code == 200 and len(answer.json()) > 100
    assert tally["violations"] == 0 and tally["exchanges"] == 1
    assert own.headers["Access-Control-Allow-Origin"] == ORIGIN  # the CORS flags reach it
    assert own.headers["Access-Control-Allow-Credentials"] == "true"
    assert f"{base}{GRADES_PATH} -> {up}{GRADES_PATH}" in out


def test_no_environment_variable_is_forwarded_as_a_request_header() -> None:
    """granian's WSGI environ holds the process environment: ``HTTP_AUTHORIZATION`` there
    must not reach the upstream as the caller's credentials (httpoxy)."""
    mock = create_app(Settings())
    with serve_in_thread(mock) as up:
        port = free_port()
        env = {**os.environ, "HTTP_AUTHORIZATION": "Bearer local-dev-token"}
        process = subprocess.Popen(
            [CLI, "proxy", "--upstream", up, "--port", str(port)], env=env,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        try:
            answer = _first_answer(f"http://127.0.0.1:{port}{GRADES_PATH}", process, {})
        finally:
            process.send_signal(signal.SIGTERM)
            process.communicate(timeout=20)
    assert answer.status_code == 401


def test_cli_refuses_a_bad_upstream(capsys: pytest.CaptureFixture[str]) -> None:
    from grades_kit.mock_server.mock_cli import main

    assert main(["proxy", "--upstream", "ftp://x"]) == 2
    assert "--upstream must be an http(s) URL" in capsys.readouterr().err


def _first_answer(
    url: str, process: subprocess.Popen[str], headers: dict[str, str] = AUTH
) -> requests.Response:
    for _ in range(300):  # bounded: 30 s (a loaded CI machine starts granian slowly)
        try:
            return requests.get(url, headers=headers, timeout=10)
        except requests.ConnectionError:
            assert process.poll() is None, process.communicate()[1]
            time.sleep(0.1)
    raise AssertionError("the proxy did not start")


def test_a_list_streams_through_without_being_held() -> None:
    """The first records reach the client while the upstream is still producing the rest."""
    release = threading.Event()
    record = json.dumps(load_contract().response_examples()["all"][0])

    def upstream(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        start_response("200 OK", [("Content-Type", "application/json")])
        yield b"[" + record.encode()
        assert release.wait(10)
        yield b"]"

    with proxied(upstream) as (base, proxy):
        answer = requests.get(base + GRADES_PATH, headers=AUTH, timeout=10, stream=True)
        chunks = answer.iter_content(chunk_size=None)
        first = next(chunks)  # arrives while the upstream still waits for `release`
        release.set()
        rest = b"".join(chunks)
    assert first.startswith(b"[{") and json.loads(first + rest) == [json.loads(record)]
    assert proxy.tally.snapshot()["violations"] == 0


def test_errors_mode_cuts_a_long_answer_that_breaks_a_rule_past_the_buffer(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("grades_kit.proxy.forwarding.ERRORS_BUFFER", 1024)
    monkeypatch.setattr("grades_kit.proxy.forwarding.CHUNK", 1024)
    broken = next(s for s in CATALOGUE if s.name == "duplicates")  # the copies come last
    with proxied(broken.build(), errors=True) as (base, proxy):
        with pytest.raises(requests.exceptions.RequestException):
            requests.get(base + GRADES_PATH, headers=AUTH, timeout=10).json()
    assert "invariant/unique-learner-course" in proxy.tally.snapshot()["by_rule"]
