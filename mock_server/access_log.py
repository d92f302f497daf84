"""The access log: one line per request, written by the Flask hook and the fast path alike.

Method, path, status and time only: never the query, a header or a body, so no token can
reach a log.
"""

from __future__ import annotations

import logging
import time

ACCESS_LOGGER = "grades_mock.access"
LOGGER = logging.getLogger(ACCESS_LOGGER)


def log_access(method: str, path: str, status: int, started: float) -> None:
    """Log one answered request; ``started`` is its ``time.perf_counter()`` at arrival."""
    if LOGGER.isEnabledFor(logging.INFO):  # skip the formatting when nobody listens
        elapsed_ms = (time.perf_counter() - started) * 1000
        LOGGER.info("%s %s %d %.1fms", method, path, status, elapsed_ms)
