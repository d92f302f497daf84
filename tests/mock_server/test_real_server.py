"""The mock as people run it: ``grades-mock`` in a subprocess, spoken to over real HTTP."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import requests

from grades_kit.contract.loader import GRADES_PATH
from grades_kit.mock_server.settings import SERVERS
from tests.conftest import AUTH, conforms
from tests.hardening.fuzz_self import st_command
from tests.serve_in_thread import free_port

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("real-server")]  # one mock per engine
CLI = str(Path(sys.executable).with_name("grades-mock"))
FIXTURE = Path(__file__).resolve().parents[2] / "fixtures" / "grades.json"


class Mock:
    def __init__(self, process: subprocess.Popen[str], base: str) -> None:
        self.process, self.base = process, base

    def get(self, contract, path=GRADES_PATH, **kwargs):
        response = requests.get(self.base + path, timeout=10, **kwargs)
        conforms(contract, "GET", path, response.status_code, response.headers, response.content)
        return response


@contextmanager
def running(*args: str, env: dict[str, str] | None = None) -> Iterator[Mock]:
    port = free_port()
    process = subprocess.Popen(
        [CLI, "--port", str(port), *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True, env=env,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):  # bounded: 10 s
            try:
                requests.get(f"{base}/healthz", timeout=1)
                break
            except requests.ConnectionError:
                assert process.poll() is None, process.communicate()[1]
                time.sleep(0.1)
        yield Mock(process, base)
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            process.communicate(timeout=20)


@pytest.fixture(scope="module")
def mock() -> Iterator[Mock]:
    with running() as started:
        yield started


def test_banner_prints_url_token_and_curl():
    with running("--token", "tok-1") as started:
        started.process.send_signal(signal.SIGTERM)
        out, _ = started.process.communicate(timeout=20)
    assert f"{started.base}{GRADES_PATH}" in out
    assert "tok-1" in out
    assert f"curl -H 'Authorization: Bearer tok-1' {started.base}{GRADES_PATH}" in out


def test_serves_the_bundled_list_streamed(mock, contract):
    response = mock.get(contract, headers=AUTH, stream=True)
    body = b"".join(response.iter_content(4096))
    assert json.loads(body) == json.loads(FIXTURE.read_text(encoding="utf-8"))
    assert int(response.headers["Content-Length"]) == len(body)


def test_filters_auth_and_cors_over_http(mock, contract):
    filtered = mock.get(contract, params={"username": "johndoe"}, headers=AUTH)
    assert {r["username"] for r in filtered.json()} == {"johndoe"}
    denied = mock.get(contract, headers={"Origin": "http://localhost:3000"})
    assert denied.status_code == 401 and denied.headers["Access-Control-Allow-Origin"] == "*"
    preflight = requests.options(
        mock.base + GRADES_PATH,
        headers={"Origin": "http://localhost:3000", "Access-Control-Request-Method": "GET",
                 "Access-Control-Request-Headers": "authorization"},
        timeout=10,
    )  # fmt: skip
    assert preflight.status_code == 204
    conforms(contract, "OPTIONS", GRADES_PATH, 204, preflight.headers, preflight.content)


def _raw(base: str, request: bytes) -> bytes:
    host, port = base.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(request)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


@pytest.fixture(scope="module", params=SERVERS)
def engine_mock(request: pytest.FixtureRequest) -> Iterator[Mock]:
    with running("--server", request.param) as started:
        yield started


@pytest.mark.parametrize(
    ("request_bytes", "status"),
    [
        (b"GET " + GRADES_PATH.encode() + b"?x=" + b"a" * 9000 + b" HTTP/1.1\r\n\r\n", 414),
        (b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 9000 + b"\r\n\r\n", 431),
    ],
)
def test_http_limits_are_json_errors_on_both_engines(engine_mock, request_bytes, status):
    answer = _raw(engine_mock.base, request_bytes)
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(f"HTTP/1.1 {status}".encode())
    assert b"content-type: application/json" in head.lower() and json.loads(body)["detail"]


def test_not_http_is_a_400_json_on_gunicorn_bodiless_on_granian(engine_mock):
    answer = _raw(engine_mock.base, b"NOT HTTP AT ALL\r\n\r\n")
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 400")
    if "gunicorn" not in engine_mock.process.args:  # granian, the default
        assert body == b"" and b"connection: close" in head.lower()
    else:
        assert b"content-type: application/json" in head.lower() and json.loads(body)["detail"]


def test_a_slow_answer_does_not_block_others(mock, contract):
    slow = threading.Thread(
        target=mock.get, args=(contract,), kwargs={"headers": {**AUTH, "Prefer": "delay=1500"}}
    )
    slow.start()
    time.sleep(0.1)
    started = time.perf_counter()
    assert mock.get(contract, params={"username": "johndoe"}, headers=AUTH).status_code == 200
    assert time.perf_counter() - started < 1.0
    slow.join(timeout=10)


@pytest.mark.parametrize("engine", SERVERS)
def test_sigterm_finishes_in_flight_requests_then_exits_0(contract, engine):
    with running("--generate", "3000", "--seed", "5", "--server", engine) as started:
        results: list[int] = []
        slow = threading.Thread(
            target=lambda: results.append(
                started.get(contract, headers={**AUTH, "Prefer": "delay=1000"}).status_code
            )
        )
        slow.start()
        time.sleep(0.3)
        started.process.send_signal(signal.SIGTERM)
        slow.join(timeout=10)
        started.process.communicate(timeout=20)
        assert results == [200]
        assert started.process.returncode == 0


def test_schemathesis_cli_finds_no_failure(mock):
    """``make fuzz-self``'s command, smaller: every check, ``--mode all``, a fixed seed."""
    done = subprocess.run(
        st_command(mock.base, max_examples=300, seed=1),
        capture_output=True, text=True, timeout=180,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-3000:]
    assert "No issues found" in done.stdout


def test_no_access_log_keeps_stderr_quiet(contract):
    with running("--no-access-log") as started:
        assert started.get(contract, headers=AUTH).status_code == 200
        started.process.send_signal(signal.SIGTERM)
        _, err = started.process.communicate(timeout=20)
    assert GRADES_PATH not in err and "Traceback" not in err


def test_an_environment_variable_cannot_pose_as_a_request_header(contract):
    """granian copies the process environment into each request's WSGI environ."""
    env = {**os.environ, "HTTP_AUTHORIZATION": "Bearer local-dev-token"}
    with running(env=env) as started:
        assert started.get(contract).status_code == 401


@pytest.mark.parametrize("engine", SERVERS)
@pytest.mark.parametrize(
    ("request_bytes", "status"),
    [
        (b"GET /?x=" + b"a" * 9000 + b" HTTP/1.1\r\nOrigin: http://b.test\r\n\r\n", 414),
        (b"GET / HTTP/1.1\r\nOrigin: http://b.test\r\nX-Big: " + b"a" * 9000 + b"\r\n\r\n", 431),
    ],
)
def test_http_limits_carry_the_one_cors_decision(engine, request_bytes, status):
    """Under several origins the limits' errors carry Vary, and the request's origin when
    the engine read it (granian: always; gunicorn refuses before reading the headers)."""
    with running("--server", engine, "--cors-origin", "http://a.test,http://b.test") as mock:
        head = _raw(mock.base, request_bytes).partition(b"\r\n\r\n")[0].decode().lower()
    assert head.startswith(f"http/1.1 {status}")
    expected = "http://a.test" if engine == "gunicorn" else "http://b.test"
    assert f"access-control-allow-origin: {expected}\r\n" in head
    assert "vary: origin" in head and "retry-after" in head  # exposed
