"""HTTP limits both server engines enforce, so they answer hostile requests alike.

The texts of the answers live here once: the pipeline's limits step
(:func:`over_limit`) and gunicorn's own parser errors (``gunicorn_server``) both use them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

MAX_REQUEST_LINE = 8190
"""Longest request line (method, target, version): longer gets a 414 JSON Error."""
MAX_HEADER_FIELD = 8190
"""Longest header field (name and value): longer gets a 431 JSON Error."""
REQUEST_HEAD_TIMEOUT_S = 10
"""A client must send its whole request head within this (slowloris guard)."""
MAX_GRACE_S = 15
"""On SIGTERM, in-flight requests get this long to finish (longer than the max delay)."""

URI_TOO_LONG = f"Request line over {MAX_REQUEST_LINE} bytes."
"""The ``detail`` of a 414."""
HEADERS_TOO_LARGE = "Request headers too large."
"""The ``detail`` of a 431."""


def over_limit(environ: Mapping[str, Any]) -> tuple[int, str] | None:
    """The 414 or 431 (status, detail) a request head deserves, or ``None``.

    gunicorn refuses such heads itself; granian and Werkzeug's test server do not, so the
    pipeline checks every request and all engines answer alike.
    """
    target, query = environ.get("PATH_INFO", ""), environ.get("QUERY_STRING", "")
    line = len(environ.get("REQUEST_METHOD", "")) + len(target) + len(query) + 10
    if line > MAX_REQUEST_LINE:
        return 414, URI_TOO_LONG
    for key, value in environ.items():
        if key.startswith("HTTP_") and len(key) - 3 + len(value) > MAX_HEADER_FIELD:
            return 431, HEADERS_TOO_LARGE
    return None
