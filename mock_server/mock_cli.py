"""``grades-mock``: flags and ``GRADES_MOCK_*`` env vars → one :class:`Settings` → a server.

Flags win over env vars, env vars over defaults. Anything that stops the start (bad value,
invalid fixture, port in use) is one line on stderr and exit code 2, never a traceback.
"""

from __future__ import annotations

import argparse
import ipaddress
import logging
import os
import shlex
import socket
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from flask import Flask

from grades_kit.contract.loader import GRADES_PATH, SpecError
from grades_kit.mock_server.access_log import ACCESS_LOGGER
from grades_kit.mock_server.app import access_log, create_app
from grades_kit.mock_server.fixtures import FixtureError
from grades_kit.mock_server.generator import GeneratorError
from grades_kit.mock_server.listener import bind
from grades_kit.mock_server.settings import DEFAULT_TOKEN, SERVERS, Settings, SettingsError

PROG = "grades-mock"
ENV_PREFIX = "GRADES_MOCK_"
EXIT_USAGE = 2


class UsageError(Exception):
    """A flag or env var has a value the mock cannot use; the message is one line."""


def main(argv: Sequence[str] | None = None, environ: Mapping[str, str] | None = None) -> int:
    """Entry point of the ``grades-mock`` console script (``grades-mock record ...`` too)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["record"]:
        from grades_kit.mock_server.record import main as record_main

        return record_main(argv[1:])
    if argv[:1] == ["proxy"]:
        from grades_kit.proxy.proxy_cli import main as proxy_main

        return proxy_main(argv[1:])
    args = build_parser().parse_args(argv)
    environ = os.environ if environ is None else environ
    try:
        settings = settings_from(args, environ)
        app = create_app(settings)
        listener = bind(settings.host, settings.port)
    except (FixtureError, SpecError) as exc:  # a file named by a flag or an env variable
        field = "fixtures" if isinstance(exc, FixtureError) else "spec_path"
        variable = _variable(_FLAG.get(field, field), args, environ)
        return _fail(f"{variable}: {exc}" if variable else str(exc))
    except (UsageError, SettingsError, GeneratorError) as exc:
        return _fail(str(exc))
    except OSError as exc:
        return _fail(f"cannot listen on {settings.host}:{settings.port}: {exc.strerror or exc}"
                     + _next_free_hint(settings, args, environ))  # fmt: skip
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", stream=sys.stderr)
    if settings.access_log:
        access_log(app).write_to(sys.stderr)  # queued, written in batches: off the request path
    else:
        logging.getLogger(ACCESS_LOGGER).setLevel(logging.WARNING)
    port = int(listener.getsockname()[1])
    print(banner(settings, port, len(app.extensions["grades_mock"].store)), flush=True)
    warning = network_warning(settings)
    if warning:
        print(f"{PROG}: warning: {warning}", file=sys.stderr, flush=True)
    _serve(app, settings, listener)
    return 0


def _serve(app: Flask, settings: Settings, listener: socket.socket) -> None:
    """Hand the app to the chosen engine (imported here: only the one in use is loaded)."""
    if settings.server == "gunicorn":
        from grades_kit.mock_server.gunicorn_server import MockServer

        MockServer(app, settings, listener).run()
        return
    from grades_kit.mock_server import granian_server

    port = int(listener.getsockname()[1])
    listener.close()  # granian binds its own socket: the check above made the port ours
    granian_server.serve(app, settings, port)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog=PROG,
        allow_abbrev=False,
        description="Mock of the Grades API, from its spec.",
        epilog="subcommands:\n"
        "  grades-mock record --help   record fixtures from a live instance\n"
        "  grades-mock proxy --help    forward to a real server, judging every answer",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--host", help="address to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=int, help="port (default 8080; 0 picks a free one)")
    p.add_argument(
        "--fixtures", action="append", type=Path, help="fixture file or folder (repeatable)"
    )
    p.add_argument(
        "--token", action="append", help=f"accepted token (repeatable; default {DEFAULT_TOKEN})"
    )
    p.add_argument("--forbidden-token", action="append", help="token answered 403 (repeatable)")
    p.add_argument("--generate", type=int, metavar="N", help="serve N synthetic records")
    p.add_argument("--seed", type=int, help="seed of --generate (default 0)")
    p.add_argument("--delay", type=int, metavar="MS", help="delay every grades answer by MS ms")
    add_cors_flags(p)
    p.add_argument(
        "--workers", type=int, help="server worker processes (default 2; 1 with --admin-token)"
    )
    p.add_argument("--threads", type=int, help="threads per worker (granian 2, gunicorn 16)")
    p.add_argument("--server", choices=SERVERS, help=f"HTTP server engine (default {SERVERS[0]})")
    p.add_argument(
        "--strict-params",
        action="store_true",
        default=None,
        help="answer 400 to undeclared query parameters (default: ignore them)",
    )
    p.add_argument("--spec", type=Path, help="the OpenAPI document (default: the bundled one)")
    p.add_argument("--admin-token", help="enable the admin API under /__mock/ with this token")
    p.add_argument("--journal-size", type=int, help="requests the admin journal keeps (1000)")
    p.add_argument(
        "--access-log",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="one line per request on stderr (default: on)",
    )
    p.add_argument(
        "--watch", action="store_true", default=None, help="reload fixture files on change"
    )
    return p  # fmt: skip


def add_cors_flags(p: argparse.ArgumentParser) -> None:
    """The CORS flags, the same for the mock and the proxy (one :class:`CorsPolicy`)."""
    p.add_argument("--cors-origin", help="'*' (default) or comma-separated allowed origins")
    p.add_argument(
        "--cors-credentials",
        action="store_true",
        default=None,
        help="allow credentials (cookies); needs --cors-origin with explicit origins",
    )
    p.add_argument(
        "--cors-allow-headers",
        metavar="LIST",
        help="fixed preflight header list (default: echo the headers the browser asks for)",
    )


_ENV: dict[str, tuple[str, Callable[[str], Any]]] = {
    "host": ("HOST", str),
    "port": ("PORT", lambda v: _integer(v)),
    "fixtures": ("FIXTURES", lambda v: tuple(Path(p) for p in v.split(os.pathsep) if p)),
    "tokens": ("TOKENS", lambda v: tuple(t.strip() for t in v.split(",") if t.strip())),
    "forbidden_tokens": ("FORBIDDEN_TOKENS", lambda v: tuple(t.strip() for t in v.split(","))),
    "generate": ("GENERATE", lambda v: _integer(v)),
    "seed": ("SEED", lambda v: _integer(v)),
    "delay_ms": ("DELAY", lambda v: _integer(v)),
    "cors_origin": ("CORS_ORIGIN", str),
    "cors_credentials": ("CORS_CREDENTIALS", lambda v: _boolean(v)),
    "cors_allow_headers": ("CORS_ALLOW_HEADERS", str),
    "workers": ("WORKERS", lambda v: _integer(v)),
    "threads": ("THREADS", lambda v: _integer(v)),
    "server": ("SERVER", str),
    "strict_params": ("STRICT_PARAMS", lambda v: _boolean(v)),
    "spec_path": ("SPEC", Path),
    "admin_token": ("ADMIN_TOKEN", str),
    "journal_size": ("JOURNAL_SIZE", lambda v: _integer(v)),
    "watch": ("WATCH", lambda v: _boolean(v)),
    "access_log": ("ACCESS_LOG", lambda v: _boolean(v)),
}
_FLAG = {"tokens": "token", "forbidden_tokens": "forbidden_token", "delay_ms": "delay",
         "spec_path": "spec"}  # fmt: skip


def settings_from(args: argparse.Namespace, environ: Mapping[str, str]) -> Settings:
    """One Settings: each field from its flag, else its env var, else the default.

    A bad value is a :class:`UsageError` whose one line names where it came from: the env
    variable when it came from one (the flag's name is in the message otherwise).
    """
    values: dict[str, Any] = {}
    for field, (suffix, parse) in _ENV.items():
        flag = getattr(args, _FLAG.get(field, field))
        if flag is not None:
            values[field] = tuple(flag) if isinstance(flag, list) else flag
        elif environ.get(ENV_PREFIX + suffix, "") != "":
            try:
                values[field] = parse(environ[ENV_PREFIX + suffix])
            except ValueError as exc:
                raise UsageError(f"{ENV_PREFIX}{suffix}: {exc}") from exc
    try:
        return Settings(**values)
    except SettingsError as exc:
        variable = _variable(str(exc).split(":", 1)[0], args, environ)
        raise UsageError(f"{variable}: {exc}" if variable else str(exc)) from exc


def _variable(setting: str, args: argparse.Namespace, environ: Mapping[str, str]) -> str | None:
    """The env variable a setting (named as its flag) was read from, if it was."""
    for field, (suffix, _) in _ENV.items():
        flag = _FLAG.get(field, field)
        if flag.replace("_", "-") == setting and getattr(args, flag) is None:
            return ENV_PREFIX + suffix if environ.get(ENV_PREFIX + suffix, "") else None
    return None


def banner(settings: Settings, port: int, records: int) -> str:
    host = "127.0.0.1" if settings.host in ("0.0.0.0", "::", "") else settings.host
    base = f"http://{'[' + host + ']' if ':' in host else host}:{port}"
    source = (
        f"{settings.generate} generated (seed {settings.seed})"
        if settings.generate is not None
        else "fixtures"
    )
    token = settings.tokens[0]
    forbidden = ", ".join(settings.forbidden_tokens) or "none"
    curl = f"curl -H {shlex.quote('Authorization: Bearer ' + token)} {base}{GRADES_PATH}"
    extras = [f"  admin:     {base}/__mock/openapi.json"] if settings.admin_token else []
    extras += ["  watching:  the fixture files (edits reload)"] if settings.watch else []
    return "\n".join([
        f"Grades mock: {records} records ({source}) at {base}{GRADES_PATH}",
        f"  token(s):  {', '.join(settings.tokens)}   (403: {forbidden})",
        f"  try:       {curl}",
        f"  docs:      {base}/docs   spec: {base}/openapi.yaml   health: {base}/healthz",
        *extras,
    ])  # fmt: skip


def network_warning(settings: Settings) -> str | None:
    """Why listening beyond this machine with the well-known default token is risky."""
    if settings.host == "localhost" or _is_loopback(settings.host):
        return None
    if DEFAULT_TOKEN not in settings.tokens:
        return None
    return (
        f"listening on {settings.host} with the default token {DEFAULT_TOKEN!r}: anyone on "
        "the network can read the data; set --token."
    )


PORTS_TRIED = 20
"""How many ports after a busy one :func:`_next_free_hint` tries."""


def _next_free_hint(
    settings: Settings, args: argparse.Namespace, environ: Mapping[str, str]
) -> str:
    """``; port N is free: --port N`` (or the variable the port came from), when one is."""
    if settings.port == 0:
        return ""
    for port in range(settings.port + 1, min(settings.port + PORTS_TRIED, 65535) + 1):
        try:
            bind(settings.host, port).close()
        except OSError:
            continue
        variable = _variable("port", args, environ)
        how = f"{variable}={port}" if variable else f"--port {port}"
        return f"; port {port} is free: {how} (make run PORT={port})"
    return ""


def _integer(value: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise ValueError(f"{value!r} is not an integer") from None


def _boolean(value: str) -> bool:
    lowered = value.strip().lower()
    if lowered not in ("1", "0", "true", "false", "yes", "no"):
        raise ValueError(f"{value!r} is not a boolean (use true or false)")
    return lowered in ("1", "true", "yes")


def _is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _fail(message: str) -> int:
    print(f"{PROG}: error: {message}", file=sys.stderr)
    return EXIT_USAGE
