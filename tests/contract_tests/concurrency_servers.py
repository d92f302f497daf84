"""Two more broken servers: right one request at a time, wrong under concurrent load.

Like the catalogue of ``broken_servers.py`` (the same :class:`BrokenServer`, one defect
each, around an unmodified mock), but no one-at-a-time run can see these: only
``grades-contract load`` sends requests that overlap.

- ``shared-filter-state``: the request's filter is kept where every thread sees it (a real
  app's module-level variable; here one dict shared by the server's threads) and read back
  after a short "database" wait, so concurrent requests get each other's answers.
- ``fails-past-concurrency``: above a number of requests in flight the server answers 500
  (or, with ``timeout=True``, does not answer in time), and is fine below it.
"""

from __future__ import annotations

import argparse
import json
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

from werkzeug.serving import make_server

from tests.contract_tests.broken_servers import BrokenServer, WsgiApp

DB_WAIT_S = 0.005
"""The shared-state server's pause between storing the filter and reading it back."""
HOLD_S = 0.02
"""How long the threshold server holds each request, so that requests overlap."""
IN_FLIGHT_LIMIT = 8
"""Above this many requests in flight the threshold server fails."""
HANG_S = 3.0
"""The threshold server's pause when it fails by timing out (past a 1 s --request-timeout)."""


def shared_filter_state(mock: WsgiApp) -> WsgiApp:
    """The filter stored in state shared by all threads, read back after the lookup's wait."""
    shared = {"query": ""}  # one for the whole server, as a module-level variable would be

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        shared["query"] = environ.get("QUERY_STRING", "")
        time.sleep(DB_WAIT_S)
        return mock({**environ, "QUERY_STRING": shared["query"]}, start_response)

    return app


def fails_past(limit: int, timeout: bool = False) -> Callable[[WsgiApp], WsgiApp]:
    """The mock, answering 500 (or hanging) while more than ``limit`` requests are in flight."""

    def build(mock: WsgiApp) -> WsgiApp:
        lock, in_flight = threading.Lock(), [0]

        def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
            with lock:
                in_flight[0] += 1
                over = in_flight[0] > limit
            try:
                time.sleep(HANG_S if over and timeout else HOLD_S)
                if not over:
                    return list(mock(environ, start_response))
                body = json.dumps({"detail": "A server error occurred."}).encode()
                start_response("500 Internal Server Error", [("Content-Type", "application/json")])
                return [body]
            finally:
                with lock:
                    in_flight[0] -= 1

        return app

    return build


SHARED_FILTER_STATE = BrokenServer(
    "shared-filter-state",
    "the filter kept in state shared by threads: concurrent requests get each other's answers",
    "filter-soundness/",
    shared_filter_state,
)
FAILS_PAST_CONCURRENCY = BrokenServer(
    "fails-past-concurrency",
    f"HTTP 500 while more than {IN_FLIGHT_LIMIT} requests are in flight",
    "server-error",
    fails_past(IN_FLIGHT_LIMIT),
)
TIMES_OUT_PAST_CONCURRENCY = BrokenServer(
    "times-out-past-concurrency",
    f"no answer in time while more than {IN_FLIGHT_LIMIT} requests are in flight",
    "timed out",
    fails_past(IN_FLIGHT_LIMIT, timeout=True),
)
CONCURRENCY_CATALOGUE = (SHARED_FILTER_STATE, FAILS_PAST_CONCURRENCY, TIMES_OUT_PAST_CONCURRENCY)


def main(argv: list[str] | None = None) -> None:
    """Serve one of these servers on a port, for a load run by hand (docs/contract-suite.md)."""
    parser = argparse.ArgumentParser(prog="python -m tests.contract_tests.concurrency_servers")
    parser.add_argument("name", choices=[server.name for server in CONCURRENCY_CATALOGUE])
    parser.add_argument("--port", type=int, default=8081)
    args = parser.parse_args(argv)
    chosen = next(server for server in CONCURRENCY_CATALOGUE if server.name == args.name)
    print(f"{chosen.name} ({chosen.defect}) on http://127.0.0.1:{args.port}", flush=True)
    make_server("127.0.0.1", args.port, chosen.build(), threaded=True).serve_forever()


if __name__ == "__main__":
    main()
