"""One way to keep credentials out of logs: the mock's proxy, and the suite when it adopts it.

A secret is replaced wherever it appears (a URL, a header value, a response body), so a log
line can quote what was sent without leaking what authenticates it.
"""

from __future__ import annotations

from collections.abc import Iterable

MASK = "***"
MIN_SECRET = 4
"""Shorter strings are not masked: replacing every "ab" would garble a line, hide nothing."""


def mask(text: str, secrets: Iterable[str]) -> str:
    """``text`` with every occurrence of each secret replaced by ``***``."""
    for secret in sorted({s for s in secrets if len(s) >= MIN_SECRET}, key=len, reverse=True):
        text = text.replace(secret, MASK)
    return text


def credentials(authorization: str | None) -> str:
    """The secret part of an ``Authorization`` header value (after the scheme), or ``""``."""
    scheme, _, rest = (authorization or "").strip().partition(" ")
    return rest.strip() or scheme
