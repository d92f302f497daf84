"""Real HTTP servers for tests whose behaviour lives at the HTTP level (CORS, streaming, CLI).

Like httpx's ``serve_in_thread``: a WSGI app on a free loopback port in a daemon thread,
shut down when the ``with`` block ends.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from werkzeug.serving import make_server


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def eventually(check: Callable[[], bool], timeout_s: float = 5.0, every_s: float = 0.1) -> bool:
    """Poll ``check`` until it holds (True) or ``timeout_s`` passes (False): for what a server
    does a little after it answers (a watcher's reload, a batched log line)."""
    deadline = time.monotonic() + timeout_s
    while True:
        if check():
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(every_s)


@contextmanager
def serve_in_thread(app: Any) -> Iterator[str]:
    """Serve the WSGI ``app`` on a free port; yields its base URL (no trailing slash)."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
