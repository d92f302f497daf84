"""The one reading of an ``Authorization`` header, for the mock, the judges and the masking.

RFC 7235 section 2.1: ``credentials = auth-scheme [ 1*SP ( token68 / #auth-param ) ]`` and
the scheme is case-insensitive, so ``bearer abc`` is a Bearer token and ``Bearer<TAB>abc`` is
not. Everything that must tell the spec's 401 cases apart reads the header here, so the mock
that answers and the checks that judge cannot disagree on what was sent.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Scenario = Literal["no-token", "wrong-scheme", "empty-bearer", "bearer"]
"""What a request presents: the first three are the spec's 401 cases, named as their rules."""


@dataclass(frozen=True)
class Credentials:
    """An ``Authorization`` value split into its scheme (as sent) and its credentials."""

    scheme: str
    token: str = ""

    @property
    def is_bearer(self) -> bool:
        return self.scheme.lower() == "bearer"

    @property
    def secret(self) -> str:
        """What authenticates: the credentials, or the whole value when it has no scheme."""
        return self.token or self.scheme


def parse_authorization(value: str | None) -> Credentials | None:
    """The header's scheme and credentials; ``None`` when it is absent or blank."""
    text = (value or "").strip()
    if not text:
        return None
    scheme, _, token = text.partition(" ")
    return Credentials(scheme, token.strip())


def scenario(value: str | None) -> Scenario:
    """Which of the spec's ways of presenting a token ``value`` is."""
    credentials = parse_authorization(value)
    if credentials is None:
        return "no-token"
    if not credentials.is_bearer:
        return "wrong-scheme"
    return "bearer" if credentials.token else "empty-bearer"
