"""Hostile input against a real ``grades-mock``, on both engines: one test per case.

Raw sockets send what an HTTP client library would refuse to (bytes outside ASCII, NUL, a
half-sent request). Every request that is valid HTTP gets a JSON 4xx matching the spec's
Error schema, on both engines: never a 500, never an HTML page, never a traceback. Bytes
that are not valid HTTP (raw NUL or non-ASCII in the request line, NUL in a header) get a
JSON 400 from gunicorn; granian's parser refuses them before any app code runs, with a
bodiless ``400`` and a closed connection (``docs/hardening.md``).
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass

import jsonschema
import orjson
import pytest

from grades_kit.contract.loader import GRADES_PATH, Contract
from grades_kit.mock_server.limits import REQUEST_HEAD_TIMEOUT_S
from grades_kit.mock_server.settings import SERVERS
from tests.conftest import conforms
from tests.hardening.mock_process import MockProcess, started_mock

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("hostile-input")]  # one mock per engine
TOKEN = b"local-dev-token"
AUTH_LINE = b"Authorization: Bearer " + TOKEN + b"\r\n"


@dataclass(frozen=True)
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes


@pytest.fixture(scope="module", params=SERVERS)
def mock(request: pytest.FixtureRequest) -> Iterator[MockProcess]:
    with started_mock("--server", request.param) as started:
        yield started


def request(target: bytes, *extra: bytes, body: bytes = b"") -> bytes:
    """One ``Connection: close`` GET with the default token and ``extra`` header lines."""
    head = b"GET " + target + b" HTTP/1.1\r\nHost: 127.0.0.1\r\n" + AUTH_LINE
    return head + b"".join(extra) + b"Connection: close\r\n\r\n" + body


def exchange(mock: MockProcess, raw: bytes) -> list[Answer]:
    """Send ``raw``, read until the server closes; every response in it, parsed."""
    with socket.create_connection((mock.host, mock.port), timeout=15) as sock:
        sock.sendall(raw)
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    answers = []
    while data:
        head, _, rest = data.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        pairs = (line.split(": ", 1) for line in lines[1:])
        headers = {name.title(): value for name, value in pairs}  # granian sends lower case
        length = int(headers.get("Content-Length", len(rest)))
        answers.append(Answer(int(lines[0].split()[1]), headers, rest[:length]))
        data = rest[length:]
    return answers


def assert_json_4xx(contract: Contract, answer: Answer, status: int) -> str:
    """The answer is ``status``, JSON, a valid Error; where the spec declares it, conforms."""
    assert answer.status == status, answer
    assert answer.headers["Content-Type"].startswith("application/json")
    detail = orjson.loads(answer.body)
    jsonschema.validate(detail, contract.schema("Error"))
    if status in contract.statuses("get"):
        conforms(contract, "GET", GRADES_PATH, status, answer.headers, answer.body)
    return str(detail["detail"])


def only(answers: list[Answer]) -> Answer:
    assert len(answers) == 1, answers
    return answers[0]


def assert_refused_as_not_http(mock: MockProcess, contract: Contract, answer: Answer) -> str:
    """Bytes that are not HTTP: gunicorn's JSON 400, or granian's bodiless 400 + close."""
    if mock.engine == "gunicorn":
        return assert_json_4xx(contract, answer, 400)
    assert answer.status == 400 and answer.body == b"", answer
    assert answer.headers["Connection"] == "close"
    return "Malformed"


def test_query_string_over_8_kb(mock, contract):
    target = GRADES_PATH.encode() + b"?username=" + b"a" * 9000
    detail = assert_json_4xx(contract, only(exchange(mock, request(target))), 414)
    assert "8190" in detail


def test_invalid_percent_encoding(mock, contract):
    target = GRADES_PATH.encode() + b"?username=%zz%4"
    detail = assert_json_4xx(contract, only(exchange(mock, request(target))), 400)
    assert detail.startswith("username:")


def test_invalid_utf8_in_the_query(mock, contract):
    encoded = exchange(mock, request(GRADES_PATH.encode() + b"?username=%ff%fe%C0%AF"))
    assert assert_json_4xx(contract, only(encoded), 400).startswith("username:")
    raw = exchange(mock, request(GRADES_PATH.encode() + b"?username=\xff\xfe"))
    assert "Malformed" in assert_refused_as_not_http(mock, contract, only(raw))


def test_nul_byte(mock, contract):
    encoded = exchange(mock, request(GRADES_PATH.encode() + b"?username=a%00b"))
    assert assert_json_4xx(contract, only(encoded), 400).startswith("username:")
    in_line = exchange(mock, request(GRADES_PATH.encode() + b"?username=a\x00b"))
    assert_refused_as_not_http(mock, contract, only(in_line))
    in_header = exchange(mock, request(GRADES_PATH.encode(), b"X-Note: a\x00b\r\n"))
    assert_refused_as_not_http(mock, contract, only(in_header))


def test_repeated_parameter(mock, contract):
    target = GRADES_PATH.encode() + b"?course_id=a&course_id=b"
    detail = assert_json_4xx(contract, only(exchange(mock, request(target))), 400)
    assert detail.startswith("course_id: given 2 times")


def test_unknown_parameter_ignored_by_default_refused_when_strict(mock, contract):
    target = GRADES_PATH.encode() + b"?page=2&username=johndoe"
    lenient = only(exchange(mock, request(target)))
    assert lenient.status == 200
    conforms(contract, "GET", GRADES_PATH, 200, lenient.headers, lenient.body)
    assert {r["username"] for r in orjson.loads(lenient.body)} == {"johndoe"}
    with started_mock("--strict-params", "--server", mock.engine) as strict:
        detail = assert_json_4xx(contract, only(exchange(strict, request(target))), 400)
    assert detail.startswith("page: unknown query parameter")


def test_header_over_8_kb(mock, contract):
    big = b"X-Padding: " + b"a" * 9000 + b"\r\n"
    assert_json_4xx(contract, only(exchange(mock, request(GRADES_PATH.encode(), big))), 431)


def test_body_on_a_get_is_ignored_and_the_connection_stays_in_sync(mock, contract):
    """A body is read and dropped: the next request on the connection is not mis-parsed."""
    first = request(GRADES_PATH.encode(), b"Content-Length: 10000\r\n", body=b"x" * 10000)
    first = first.replace(b"Connection: close\r\n", b"")
    second = request(GRADES_PATH.encode() + b"?username=johndoe")
    answers = exchange(mock, first + second)
    assert [a.status for a in answers] == [200, 200]
    for answer in answers:
        conforms(contract, "GET", GRADES_PATH, 200, answer.headers, answer.body)
    assert {r["username"] for r in orjson.loads(answers[1].body)} == {"johndoe"}


def test_a_slow_client_is_cut_off_and_does_not_block_others(mock, contract):
    """Half-sent requests are cut off at the head timeout; others are served meanwhile.

    gunicorn answers them a JSON 408; granian closes the connection (it has no request to
    answer, and its Rust side held no Python thread while waiting).
    """
    stalled = [socket.create_connection((mock.host, mock.port), timeout=30) for _ in range(4)]
    answers: list[bytes] = []
    readers = [threading.Thread(target=lambda s=s: answers.append(_read_all(s))) for s in stalled]
    started = time.monotonic()
    for sock, reader in zip(stalled, readers, strict=True):
        sock.sendall(b"GET " + GRADES_PATH.encode() + b" HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Half")
        reader.start()
    time.sleep(0.5)
    quick = time.monotonic()
    other = only(exchange(mock, request(GRADES_PATH.encode() + b"?username=johndoe")))
    assert other.status == 200 and time.monotonic() - quick < 2
    for reader in readers:
        reader.join(timeout=30)
    assert time.monotonic() - started < REQUEST_HEAD_TIMEOUT_S + 5
    assert len(answers) == len(stalled)
    for raw in answers:
        if mock.engine == "granian":
            assert raw == b""
            continue
        head, _, body = raw.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 408 ")
        jsonschema.validate(orjson.loads(body), contract.schema("Error"))
    for sock in stalled:
        sock.close()
    assert "Traceback" not in mock.stderr()


def _read_all(sock: socket.socket) -> bytes:
    data = b""
    while chunk := sock.recv(65536):
        data += chunk
    return data
