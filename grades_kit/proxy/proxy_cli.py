"""``grades-mock proxy --upstream URL``: flags → :class:`ProxyConfig` → the proxy on granian.

The same hardened granian settings as the mock (:func:`granian_server.hardened`), on the WSGI
interface with one worker and threads: the violation tally lives in the process, and forwarding
waits on the network, not on the CPU. Anything that stops the start is one line on stderr
and exit code 2, as for the mock.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import MutableMapping, Sequence
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from granian import Granian
from granian.constants import Interfaces

from grades_kit.contract.loader import GRADES_PATH, SpecError
from grades_kit.mock_server.contract_routes import DOCS_PATH, SPEC_JSON_PATH
from grades_kit.mock_server.cors import CorsPolicy
from grades_kit.mock_server.granian_server import hardened
from grades_kit.mock_server.listener import bind
from grades_kit.mock_server.mock_cli import add_cors_flags
from grades_kit.mock_server.settings import SettingsError, cors_policy
from grades_kit.proxy.forwarding import TALLY_PATH, ProxyConfig, ValidatingProxy

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIApplication

PROG = "grades-mock proxy"
EXIT_USAGE = 2


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog=PROG,
        allow_abbrev=False,
        description="Forward an app's requests to a real server and report every contract "
        "violation in the answers (rules named as grades-contract names them).",
    )
    p.add_argument("--upstream", required=True, help="base URL of the real server (http/https)")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=8080, help="port (default 8080; 0: a free one)")
    p.add_argument("--errors", action="store_true", help="answer 502 instead of a violating answer")
    p.add_argument("--token", help="Bearer token sent for requests that carry no Authorization")
    p.add_argument("--timeout", type=float, default=30.0, help="seconds to wait for the upstream")
    p.add_argument("--threads", type=int, default=4, help="requests served at once (default 4)")
    p.add_argument("--examples", type=int, default=20, help=f"examples kept at {TALLY_PATH}")
    add_cors_flags(p)  # for the answers the proxy makes itself, as the mock's
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """``grades-mock proxy ...`` (dispatched from :func:`mock_server.mock_cli.main`)."""
    args = build_parser().parse_args(argv)
    problem = _upstream_problem(args.upstream)
    if problem is not None:
        return _fail(problem)
    try:
        cors = cors_from(args)
    except SettingsError as exc:
        return _fail(str(exc))
    config = ProxyConfig(
        args.upstream, args.errors, args.token, args.timeout, args.examples, cors=cors
    )
    try:
        app = ValidatingProxy(config)
        listener = bind(args.host, args.port)
    except SpecError as exc:
        return _fail(str(exc))
    except OSError as exc:
        return _fail(f"cannot listen on {args.host}:{args.port}: {exc.strerror or exc}")
    port = int(listener.getsockname()[1])
    listener.close()  # granian binds its own socket: the check above made the port ours
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", stream=sys.stderr)
    base = f"http://{args.host}:{port}"
    print(f"Grades proxy: {base}{GRADES_PATH} -> {config.upstream}{GRADES_PATH}", flush=True)
    print(f"  violations: {base}{TALLY_PATH}   --errors: {config.errors}", flush=True)
    print(f"  docs:       {base}{DOCS_PATH}   spec: {base}{SPEC_JSON_PATH}", flush=True)
    serve(app, args.host, port, args.threads)
    return 0


def cors_from(args: argparse.Namespace) -> CorsPolicy:
    """The CORS flags as the mock reads them; raises :class:`SettingsError` (one line)."""
    return cors_policy(
        args.cors_origin or "*", bool(args.cors_credentials), args.cors_allow_headers
    )


class _Loader:
    """granian's app loader: the built proxy when forked, a new one when spawned."""

    def __init__(self, app: ValidatingProxy) -> None:
        self._app: ValidatingProxy | None = app
        self._config = app.config

    def __call__(self) -> WSGIApplication:
        _drop_header_lookalikes(os.environ)
        if self._app is None:
            self._app = ValidatingProxy(self._config)
        return self._app

    def __getstate__(self) -> dict[str, Any]:
        return {"_app": None, "_config": self._config}


def serve(app: ValidatingProxy, host: str, port: int, threads: int) -> None:
    """Run until SIGINT/SIGTERM, one worker (the tally is per process)."""
    server = Granian(
        "grades_kit.proxy.forwarding:ValidatingProxy",  # a label: the loader provides the app
        address=host,
        port=port,
        interface=Interfaces.WSGI,
        workers=1,
        blocking_threads=threads,
        **hardened(),
    )
    server.serve(target_loader=_Loader(app), wrap_loader=False)


def _drop_header_lookalikes(environment: MutableMapping[str, str]) -> None:
    """granian's WSGI interface copies the worker's environment into every environ, so a
    variable named like ``HTTP_AUTHORIZATION`` would pose as a request header and be
    forwarded upstream (the httpoxy class of bug). Called in the worker before granian takes
    that copy; the parent keeps its environment. (The mock's RSGI front builds its own
    environ and needs none of this.)"""
    for name in [n for n in environment if n.startswith("HTTP_")]:
        del environment[name]


def _upstream_problem(url: str) -> str | None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return f"--upstream must be an http(s) URL like https://host, not {url!r}"
    if parts.query or parts.fragment:
        return f"--upstream must not carry a query or fragment: {url!r}"
    return None


def _fail(message: str) -> int:
    print(f"{PROG}: error: {message}", file=sys.stderr)
    return EXIT_USAGE
