"""A server that does nothing but answer: the load generator's ceiling is measured against it.

``python -m bench.trivial_server PORT BYTES`` answers every request on keep-alive connections
with a fixed 200 of BYTES body bytes, from a raw asyncio protocol (no HTTP parsing beyond
counting request ends), so nearly all the CPU of a run against it is the generator's.
"""

from __future__ import annotations

import asyncio
import sys

from bench.servers import HOST


class _Answer(asyncio.Protocol):
    def __init__(self, response: bytes) -> None:
        self._response = response
        self._pending = b""
        self._transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self._transport = transport

    def data_received(self, data: bytes) -> None:
        assert self._transport is not None
        self._pending += data
        requests = self._pending.count(b"\r\n\r\n")
        if requests:
            self._pending = self._pending[self._pending.rfind(b"\r\n\r\n") + 4 :]
            self._transport.write(self._response * requests)


async def serve(port: int, body_bytes: int) -> None:
    body = b"[" + b"0," * max(0, (body_bytes - 3) // 2) + b"0]"
    response = (
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
        + f"Content-Length: {len(body)}\r\n\r\n".encode()
        + body
    )
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: _Answer(response), HOST, port)
    async with server:
        await server.serve_forever()


def main() -> None:
    asyncio.run(serve(int(sys.argv[1]), int(sys.argv[2])))


if __name__ == "__main__":
    main()
