"""The mock's one typed settings object, filled from CLI flags and ``GRADES_MOCK_*`` env vars.

Configuration flows one way: the CLI builds a :class:`Settings`, hands it to
``create_app``; nothing else reads the environment.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from urllib.parse import urlsplit

from grades_kit.mock_server.cors import CorsPolicy

DEFAULT_TOKEN = "local-dev-token"
"""Accepted when no ``--token`` is given: for local use only (documented in the README)."""

DEFAULT_FORBIDDEN_TOKEN = "local-no-grades-token"
"""A valid token whose user lacks the grades permission: answers 403, for testing that path."""

MAX_DELAY_MS = 10_000
"""Upper bound of any delay (``--delay``, ``Prefer: delay=``): a mock must never hang a UI."""

MAX_JOURNAL = 100_000
"""Upper bound of ``--journal-size``: the admin journal is kept in memory."""

SERVERS = ("granian", "gunicorn")
"""The HTTP server engines; the first is the default (``docs/benchmarks.md`` says why)."""

DEFAULT_THREADS: Mapping[str, int] = MappingProxyType({"granian": 2, "gunicorn": 16})
"""Python threads per worker, by engine. Under granian they serve Flask's branch only (docs,
spec, health, admin API): the grades branch answers on the event loop, its delays awaited,
so no number of pending ``Prefer: delay`` answers needs a thread. gunicorn's threads answer
everything, hold a connection each while reading it, and sleep through delays: it needs
more (``docs/benchmarks.md``)."""

DEFAULT_WORKERS = 2
"""Worker processes when ``--workers`` is not given and the admin API is off (its state is
per process: with it, one). On a 2-core machine two serve 1.5-1.7x what one does (wrk, 8 and
32 connections), with no worse a tail; one alone stays near 2x Prism, two pass 3x
(``docs/benchmarks.md``). Forked workers share the records' pages."""

MAX_GENERATE = 20_000_000
"""Upper bound of ``--generate``: beyond it the records would not fit in a laptop's memory."""


class SettingsError(ValueError):
    """A setting has a value the mock cannot run with; the message is one readable line."""


@dataclass(frozen=True)
class Settings:
    """Everything ``create_app`` needs; immutable so a running app cannot drift from it."""

    host: str = "127.0.0.1"
    port: int = 8080
    fixtures: tuple[Path, ...] = ()
    """Fixture files or folders; empty means the bundled ``fixtures/``."""
    tokens: tuple[str, ...] = (DEFAULT_TOKEN,)
    forbidden_tokens: tuple[str, ...] = (DEFAULT_FORBIDDEN_TOKEN,)
    generate: int | None = None
    """Serve this many synthetic records instead of the fixtures."""
    seed: int = 0
    delay_ms: int = 0
    cors_origin: str = "*"
    """``*`` or a comma-separated list of origins (the matching one is echoed)."""
    cors_credentials: bool = False
    """Answer ``Access-Control-Allow-Credentials: true`` (needs a list of origins, not ``*``)."""
    cors_allow_headers: str | None = None
    """A fixed comma-separated preflight header list; ``None`` echoes what the browser asks."""
    workers: int | None = None
    """Worker processes; ``None``: :data:`DEFAULT_WORKERS`, or 1 with the admin API or
    ``--watch``."""
    server: str = SERVERS[0]
    """``granian`` (fast) or ``gunicorn`` (JSON errors for malformed HTTP too)."""
    threads: int | None = None
    """Threads per worker; ``None`` means the engine's default (:data:`DEFAULT_THREADS`)."""
    spec_path: Path | None = None
    """The contract to serve and validate against; ``None`` means the bundled spec."""
    strict_params: bool = False
    """Answer 400 to query parameters the spec does not declare (default: ignore them)."""
    admin_token: str | None = None
    """Enables the admin API under ``/__mock/`` (Bearer auth with this token)."""
    watch: bool = False
    """Reload the fixture files when they change."""
    access_log: bool = True
    """One line per request on stderr; off, a filtered request costs about a third less."""
    journal_size: int = 1000
    """How many requests the admin journal keeps."""

    def __post_init__(self) -> None:
        for problem in _problems(self):
            raise SettingsError(problem)

    @property
    def thread_count(self) -> int:
        """The threads each worker runs: the explicit setting, else the engine's default."""
        return self.threads if self.threads is not None else DEFAULT_THREADS[self.server]

    @property
    def worker_count(self) -> int:
        """The worker processes to run: the explicit setting, else the default; one where the
        served data lives in the process (the admin API, ``--watch``'s one swap)."""
        if self.workers is not None:
            return self.workers
        return 1 if self.admin_token is not None or self.watch else DEFAULT_WORKERS

    @property
    def cors_origins(self) -> tuple[str, ...]:
        """The configured origins; ``("*",)`` allows every origin."""
        return tuple(o.strip() for o in self.cors_origin.split(",") if o.strip())

    @property
    def cors_policy(self) -> CorsPolicy:
        """What the one :class:`~grades_kit.mock_server.cors.Cors` of the app is built from."""
        return cors_policy(self.cors_origin, self.cors_credentials, self.cors_allow_headers)


def cors_policy(origin: str, credentials: bool, allow_headers: str | None) -> CorsPolicy:
    """The three CORS flags as one policy (the mock's and the proxy's), or a
    :class:`SettingsError` naming the flag."""
    origins = tuple(o.strip() for o in origin.split(",") if o.strip())
    names = None if allow_headers is None else _names(allow_headers)
    for problem in _cors_problems(origins, credentials, names):
        raise SettingsError(problem)
    return CorsPolicy(origins, credentials, names)


def _names(value: str) -> tuple[str, ...]:
    return tuple(n.strip() for n in value.split(",") if n.strip())


def _cors_problems(
    origins: tuple[str, ...], credentials: bool, names: tuple[str, ...] | None
) -> list[str]:
    problems = []
    if not origins or ("*" in origins and len(origins) > 1):
        problems.append("cors-origin: give '*' or a comma-separated list of origins")
    problems.extend(
        f"cors-origin: {o!r} is not an origin: give scheme://host[:port] without a path, "
        "e.g. http://localhost:3000 (a browser sends exactly that)"
        for o in origins
        if o != "*" and not _is_origin(o)
    )
    if credentials and origins == ("*",):
        problems.append(
            "cors-credentials: give the origins with --cors-origin (a browser refuses "
            "credentials with '*')"
        )
    if names is not None and not all(_TOKEN.fullmatch(n) for n in names):
        problems.append(f"cors-allow-headers: {', '.join(names)!r} is not a list of header names")
    elif names is not None and "authorization" not in {n.lower() for n in names}:
        problems.append(
            "cors-allow-headers: the list must include Authorization (the spec's preflight "
            "allows it)"
        )
    return problems


def _problems(s: Settings) -> list[str]:
    """Every reason the settings are unusable, first one first (why: one line, exit 2)."""
    problems = []
    if not 0 <= s.port <= 65535:
        problems.append(f"port: {s.port} is not in 0..65535")
    if not s.tokens or any(not t or t != t.strip() for t in s.tokens):
        problems.append("token: give at least one non-empty token without surrounding spaces")
    if any(not t or t != t.strip() for t in s.forbidden_tokens):
        problems.append("forbidden-token: tokens must be non-empty, without surrounding spaces")
    if set(s.tokens) & set(s.forbidden_tokens):
        problems.append("token: a token cannot be both accepted and forbidden")
    if s.generate is not None and not 0 <= s.generate <= MAX_GENERATE:
        problems.append(f"generate: {s.generate} is not in 0..{MAX_GENERATE}")
    if not 0 <= s.delay_ms <= MAX_DELAY_MS:
        problems.append(f"delay: {s.delay_ms} ms is not in 0..{MAX_DELAY_MS}")
    allow_headers = None if s.cors_allow_headers is None else _names(s.cors_allow_headers)
    problems.extend(_cors_problems(s.cors_origins, s.cors_credentials, allow_headers))
    if s.host and not _HOST.fullmatch(s.host):
        problems.append(f"host: {s.host!r} is not an IP address or a host name")
    if s.workers is not None and not 1 <= s.workers <= 64:
        problems.append(f"workers: {s.workers} is not in 1..64")
    if s.threads is not None and not 1 <= s.threads <= 256:
        problems.append(f"threads: {s.threads} is not in 1..256")
    if s.server not in SERVERS:
        problems.append(f"server: {s.server!r} is not one of {', '.join(SERVERS)}")
    problems.extend(_admin_problems(s))
    return problems


_TOKEN = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")
_HOST = re.compile(r"[A-Za-z0-9._-]+|[0-9A-Fa-f:.]*:[0-9A-Fa-f:.%a-z]*")


def _is_origin(value: str) -> bool:
    """``scheme://host[:port]`` exactly: what a browser's ``Origin`` header can be."""
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError:
        return False
    return (
        parts.scheme in ("http", "https")
        and bool(parts.hostname)
        and not (parts.path or parts.query or parts.fragment or "@" in parts.netloc)
        and value == f"{parts.scheme}://{parts.netloc}"
    )


def _admin_problems(s: Settings) -> list[str]:
    problems = []
    if s.admin_token is not None and (not s.admin_token or s.admin_token != s.admin_token.strip()):
        problems.append("admin-token: give a non-empty token without surrounding spaces")
    if s.admin_token is not None and s.admin_token in s.tokens + s.forbidden_tokens:
        problems.append("admin-token: must differ from the API tokens")
    if s.admin_token is not None and s.workers not in (None, 1):
        problems.append("admin-token: the admin API needs --workers 1 (its state is per process)")
    if not 1 <= s.journal_size <= MAX_JOURNAL:
        problems.append(f"journal-size: {s.journal_size} is not in 1..{MAX_JOURNAL}")
    if s.fixtures and s.generate is not None:
        problems.append("generate: serves synthetic records instead of fixtures: drop --fixtures")
    if s.watch and s.workers not in (None, 1):
        problems.append(
            "watch: --watch needs --workers 1 (one process parses and swaps the data, so no "
            "two requests see different data)"
        )
    if s.watch and s.generate is not None:
        problems.append("watch: there are no fixture files to watch with --generate")
    return problems
