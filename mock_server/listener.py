"""The listening socket, bound by the CLI before any server engine starts.

Binding first makes "port in use" one clear line and exit 2 whatever the engine, and tells
the banner the real port when ``--port 0`` asks for a free one.
"""

from __future__ import annotations

import socket


def bind(host: str, port: int) -> socket.socket:
    """The listening socket; raises ``OSError`` (e.g. port in use) before any engine starts."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
        sock.listen(2048)
    except OSError:
        sock.close()
        raise
    sock.set_inheritable(True)
    return sock
