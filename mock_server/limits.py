"""HTTP limits both server engines enforce, so they answer hostile requests alike."""

from __future__ import annotations

MAX_REQUEST_LINE = 8190
"""Longest request line (method, target, version): longer gets a 414 JSON Error."""
MAX_HEADER_FIELD = 8190
"""Longest header field (name and value): longer gets a 431 JSON Error."""
REQUEST_HEAD_TIMEOUT_S = 10
"""A client must send its whole request head within this (slowloris guard)."""
MAX_GRACE_S = 15
"""On SIGTERM, in-flight requests get this long to finish (longer than the max delay)."""
