"""One way to keep credentials out of logs: the mock's proxy and the suite (``redact.py``).

A secret is replaced wherever it appears (a URL, a header value, a response body), so a log
line can quote what was sent without leaking what authenticates it.
"""

from __future__ import annotations

from collections.abc import Iterable

from grades_kit.contract.authorization import parse_authorization

MASK = "***"
MIN_SECRET = 4
"""Shorter secrets are masked but not searched for as "echoed" in a body: "ab" is in many."""


def mask(text: str, secrets: Iterable[str]) -> str:
    """``text`` with every occurrence of each secret replaced by ``***``."""
    for secret in sorted({s for s in secrets if s}, key=len, reverse=True):
        text = text.replace(secret, MASK)
    return text


def credentials(authorization: str | None) -> str:
    """The secret part of an ``Authorization`` header value (after the scheme), or ``""``."""
    parsed = parse_authorization(authorization)
    return "" if parsed is None else parsed.secret
