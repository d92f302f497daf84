"""granian's RSGI protocol, translated for the pipeline: a scope in, an answer out.

The pipeline's steps work on a WSGI environ and an :class:`~mock_server.answer.Answer`
whatever the engine, so the RSGI front (:meth:`mock_server.pipeline.Pipeline.__rsgi__`) only
translates at its edges: :func:`environ` builds the environ from granian's scope (the request
body is read first, for the methods that have one), :func:`send` writes an answer back (the
store's unfiltered list in its chunks, each awaited, so a long dump never holds the event
loop), and :func:`read_whole` reads a Flask answer's body on a pool thread. Unlike granian's
own WSGI environ, this one holds no copy of the process environment.
"""

from __future__ import annotations

import asyncio
import io
import sys
from collections.abc import Iterable
from functools import cache
from typing import TYPE_CHECKING, Any

from grades_kit.mock_server.answer import Answer, close

if TYPE_CHECKING:
    from granian._granian import RSGIHTTPProtocol as HTTPProtocol
    from granian._granian import RSGIHTTPStreamTransport as StreamTransport
    from granian.rsgi import Scope

BODILESS = ("GET", "HEAD", "OPTIONS")
"""Methods whose body, if any, the mock never reads (granian drains it)."""
STREAM_BYTES_PER_S = 1e9
"""The pace of a streamed answer (the unfiltered list): about half what a reader on
loopback takes here, so it keeps up and the queue stays a few chunks long; 1M records
(275 MB) take 0.3 s (``docs/benchmarks.md``)."""


async def environ(scope: Scope, protocol: HTTPProtocol) -> dict[str, Any]:
    """The WSGI environ of an RSGI request (PEP 3333's keys; headers joined with commas)."""
    method = scope.method
    body = b"" if method in BODILESS else await protocol()
    server, _, server_port = scope.server.rpartition(":")
    client, _, client_port = scope.client.rpartition(":")
    found: dict[str, Any] = {
        "REQUEST_METHOD": method,
        "SCRIPT_NAME": "",
        "PATH_INFO": scope.path.encode().decode("latin-1"),  # WSGI's "bytes as latin-1"
        "QUERY_STRING": scope.query_string,
        "SERVER_NAME": server,
        "SERVER_PORT": server_port,
        "SERVER_PROTOCOL": f"HTTP/{scope.http_version}",
        "REMOTE_ADDR": client,
        "REMOTE_PORT": client_port,
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": scope.scheme,
        "wsgi.input": io.BytesIO(body),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": True,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
    }
    for name, value in scope.headers.items():
        key = _environ_key(name)
        found[key] = f"{found[key]},{value}" if key in found else value
    if body:
        found["CONTENT_LENGTH"] = str(len(body))
    return found


@cache
def _environ_key(header: str) -> str:
    """``content-type`` → ``CONTENT_TYPE``, ``x-y`` → ``HTTP_X_Y`` (a few dozen names)."""
    key = header.upper().replace("-", "_")
    return key if key in ("CONTENT_TYPE", "CONTENT_LENGTH") else f"HTTP_{key}"


async def send(protocol: HTTPProtocol, answer: Answer, head: bool) -> None:
    """Write one of the pipeline's answers (a body, or a stream with its length)."""
    body = answer.body
    if head:
        close(answer)
        protocol.response_bytes(answer.status, answer.headers, b"")
    elif isinstance(body, bytes):
        protocol.response_bytes(answer.status, answer.headers, body)
    else:
        await _stream(protocol.response_stream(answer.status, answer.headers), body)


async def _stream(transport: StreamTransport, chunks: Iterable[bytes]) -> None:
    """Send the chunks at most at :data:`STREAM_BYTES_PER_S`, yielding to the loop after each.

    granian 2.8 queues a sent chunk without bound and returns a finished future, so a loop
    that only awaited ``send_bytes`` would hold the event loop for the whole dump and queue
    all of it in the worker's memory. Paced, a reader at loopback speed keeps the queue to a
    few chunks; a slower one leaves the difference queued (granian's next release bounds the
    queue itself)."""
    loop = asyncio.get_running_loop()
    started, sent = loop.time(), 0
    for chunk in chunks:
        await transport.send_bytes(chunk)
        sent += len(chunk)
        await asyncio.sleep(max(0.0, started + sent / STREAM_BYTES_PER_S - loop.time()))


def read_whole(answer: Answer) -> Answer:
    """The answer with its body read into bytes (then closed): called on a pool thread, so
    reading a static file Flask serves never holds the event loop."""
    if isinstance(answer.body, bytes):
        return answer
    try:
        body = b"".join(answer.body)
    finally:
        close(answer)
    return Answer(answer.status, answer.headers, body)
