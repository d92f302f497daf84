"""The mock's one typed settings object, filled from CLI flags and ``GRADES_MOCK_*`` env vars.

Configuration flows one way: the CLI builds a :class:`Settings`, hands it to
``create_app``; nothing else reads the environment.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

DEFAULT_TOKEN = "local-dev-token"
"""Accepted when no ``--token`` is given: for local use only (documented in the README)."""

DEFAULT_FORBIDDEN_TOKEN = "local-no-grades-token"
"""A valid token whose user lacks the grades permission: answers 403, for testing that path."""

MAX_DELAY_MS = 10_000
"""Upper bound of any delay (``--delay``, ``Prefer: delay=``): a mock must never hang a UI."""


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
    workers: int = 1
    spec_path: Path | None = None
    """The contract to serve and validate against; ``None`` means the bundled spec."""
