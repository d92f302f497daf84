"""Fault-injecting servers: a healthy Grades API for the first N requests, then one fault.

The contract runner must end with a clear "no verdict" or "violated" whatever the network
does, so these faults live below HTTP where a WSGI app cannot reach: a raw socket server on
127.0.0.1 that answers each request on its own connection (``Connection: close``), so
"request N" is "connection N". Healthy answers come from the unmodified mock, called
in-process; once ``healthy`` requests have been answered, every request gets the fault.
``healthy=0`` is the preflight-time variant: faulty from the first request.
"""

from __future__ import annotations

import json
import math
import random
import socket
import struct
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from types import TracebackType
from urllib.parse import urlsplit

from werkzeug.test import Client

from grades_kit.mock_server import Settings, create_app

MAX_HEAD_BYTES = 65536
HANG_LIMIT_S = 60.0
"""A hanging answer gives up after this long even if nobody stops the server (bounded)."""
HTML_502 = (
    b"<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    b"<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n"
    b"</body>\r\n</html>\r\n"
)


@dataclass(frozen=True)
class Seen:
    """One request the server received: when, what, and what it answered."""

    at: float
    line: str
    answer: str


@dataclass
class Exchange:
    """The connection of one faulty request, for the fault to answer (or not) as it likes."""

    server: FaultServer
    conn: socket.socket
    head: bytes


Fault = Callable[[Exchange], str]
"""Does something bad on the connection; returns a short label of what it did (for ``seen``)."""


@dataclass
class FaultServer:
    """A threaded raw-socket server: the mock's answers, then ``fault`` from request N+1 on."""

    fault: Fault
    healthy: int
    targets: Callable[[bytes], bool] = lambda head: True
    """Which requests (by their head) get the fault once ``healthy`` are answered; others don't."""
    down_after_healthy: bool = False
    """Stop listening right after the last healthy answer: the next request is refused."""
    seen: list[Seen] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _threads: list[threading.Thread] = field(default_factory=list)
    _listener: socket.socket | None = None
    _mock: Client = field(default_factory=lambda: Client(create_app(Settings())))

    def __enter__(self) -> str:
        listener = socket.create_server(("127.0.0.1", 0))
        listener.settimeout(0.2)
        self._listener = listener
        self._spawn(self._accept_loop)
        return f"http://127.0.0.1:{listener.getsockname()[1]}"

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self._stop.set()
        self.go_down()
        for thread in list(self._threads):
            thread.join(timeout=5)

    def go_down(self) -> None:
        """Stop listening: from now on every connection attempt is refused."""
        listener, self._listener = self._listener, None
        if listener is not None:
            try:
                listener.shutdown(socket.SHUT_RDWR)  # wakes a blocked accept() on Linux
            except OSError:
                pass
            listener.close()

    def wait(self, seconds: float) -> None:
        """Sleep ``seconds``, but wake up at once when the server is stopped."""
        self._stop.wait(seconds)

    def healthy_answer(self, head: bytes) -> bytes:
        """The mock's answer to the request ``head``, as HTTP/1.1 bytes."""
        method, target, headers = _parse_head(head)
        parts = urlsplit(target)
        response = self._mock.open(
            parts.path, method=method, query_string=parts.query, headers=headers
        )
        return http_message(response.status, list(response.headers.items()), response.get_data())

    def _spawn(self, target: Callable[..., None], *args: object) -> None:
        thread = threading.Thread(target=target, args=args, daemon=True)
        self._threads.append(thread)
        thread.start()

    def _accept_loop(self) -> None:
        while not self._stop.is_set() and self._listener is not None:
            try:
                conn, _ = self._listener.accept()
            except TimeoutError:
                continue
            except (OSError, AttributeError):
                return  # the listener was shut down
            self._spawn(self._serve, conn)

    def _serve(self, conn: socket.socket) -> None:
        with conn:
            conn.settimeout(5)
            try:
                head = _read_head(conn)
            except OSError:
                return
            with self._lock:
                index = len(self.seen)
                faulty = index >= self.healthy and self.targets(head)
                self.seen.append(Seen(time.monotonic(), _first_line(head), "pending"))
            try:
                if faulty:
                    answer = self.fault(Exchange(self, conn, head))
                else:
                    conn.sendall(self.healthy_answer(head))
                    answer = "healthy"
                    if self.down_after_healthy and index + 1 >= self.healthy:
                        self.go_down()
            except OSError:
                answer = "client gone"
            with self._lock:
                self.seen[index] = Seen(self.seen[index].at, self.seen[index].line, answer)


def http_message(status: str, headers: list[tuple[str, str]], body: bytes) -> bytes:
    """An HTTP/1.1 response that closes its connection (``status`` like ``"200 OK"``)."""
    lines = [f"HTTP/1.1 {status}"]
    lines += [f"{k}: {v}" for k, v in headers if k.lower() not in ("content-length", "connection")]
    lines += [f"Content-Length: {len(body)}", "Connection: close", "", ""]
    return "\r\n".join(lines).encode("latin-1") + body


# --- the faults: each a few lines --------------------------------------------------------


def never_answers(exchange: Exchange) -> str:
    """Reads the request, then says nothing (until the server stops): a hung backend."""
    exchange.server.wait(HANG_LIMIT_S)
    return "hung"


def answers_after(delay_s: float) -> Fault:
    """The right answer, but only after ``delay_s`` (slower than the client's timeout)."""

    def fault(exchange: Exchange) -> str:
        exchange.server.wait(delay_s)
        exchange.conn.sendall(exchange.server.healthy_answer(exchange.head))
        return f"answered after {delay_s} s"

    return fault


def resets(exchange: Exchange) -> str:
    """Closes with SO_LINGER 0: the kernel sends a TCP RST instead of a clean FIN."""
    exchange.conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    return "reset"


def html_error_page(status: str = "502 Bad Gateway", page: bytes = HTML_502) -> Fault:
    """A reverse proxy's HTML error page (nginx's 502 by default) instead of the API."""

    def fault(exchange: Exchange) -> str:
        headers = [("Server", "nginx"), ("Content-Type", "text/html")]
        exchange.conn.sendall(http_message(status, headers, page))
        return status

    return fault


def garbage(exchange: Exchange) -> str:
    """Bytes that are not HTTP at all (a wrong port, a TLS-only or binary service)."""
    exchange.conn.sendall(random.Random(7).randbytes(512).replace(b"HTTP", b"xxxx"))
    return "garbage"


def goes_down(exchange: Exchange) -> str:
    """The instance dies: this connection is dropped and the port stops listening.

    With ``down_after_healthy`` the port is already closed when the next request comes, so
    this only runs for a connection that raced the shutdown.
    """
    exchange.server.go_down()
    return "went down"


def rate_limited(for_s: float = math.inf, retry_after: str = "1") -> Fault:
    """``429`` with ``Retry-After`` for ``for_s`` seconds after the first one, then the mock."""
    first: list[float] = []

    def fault(exchange: Exchange) -> str:
        now = time.monotonic()
        first.append(now)
        if now - first[0] >= for_s:
            exchange.conn.sendall(exchange.server.healthy_answer(exchange.head))
            return "healthy"
        body = json.dumps({"detail": "Request was throttled."}).encode()
        headers = [("Content-Type", "application/json"), ("Retry-After", retry_after)]
        exchange.conn.sendall(http_message("429 Too Many Requests", headers, body))
        return "429"

    return fault


def from_schemathesis(head: bytes) -> bool:
    """A request Schemathesis generated (its User-Agent), not one of the suite's own."""
    return b"user-agent: schemathesis/" in head.lower()


def _read_head(conn: socket.socket) -> bytes:
    data = b""
    while b"\r\n\r\n" not in data and len(data) < MAX_HEAD_BYTES:
        chunk = conn.recv(4096)
        if not chunk:
            raise ConnectionError("client closed before its request was complete")
        data += chunk
    return data.split(b"\r\n\r\n", 1)[0]


def _parse_head(head: bytes) -> tuple[str, str, list[tuple[str, str]]]:
    request_line, *header_lines = head.decode("latin-1").split("\r\n")
    method, target, _ = request_line.split(" ", 2)
    headers = [tuple(p.strip() for p in line.split(":", 1)) for line in header_lines if ":" in line]
    return method, target, [(k, v) for k, v in headers]


def _first_line(head: bytes) -> str:
    return head.split(b"\r\n", 1)[0].decode("latin-1")
