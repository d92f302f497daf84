"""The kit's own flags of ``grades-contract load``, declared once.

Locust's parser gets them (``init_command_line_parser``), so the master sends them to its
workers with its own; the console script shows them above Locust's ``--help``, which lists
only Locust's.
"""

from __future__ import annotations

from typing import Any

__all__ = ["add_kit_flags"]


def add_kit_flags(group: Any) -> None:
    """Declare the flags on ``group`` (argparse's, or Locust's, which is one too)."""
    group.add_argument(
        "--mix",
        default="",
        help="request kinds' weights, e.g. by-course=20,no-token=0 (or only some kinds: "
        "by-course,preflight)",
    )
    group.add_argument("--rate-limit", default="", help="at most N requests per s/m/h/d in all")
    group.add_argument(
        "--max-error-rate",
        type=float,
        default=0.1,
        help="stop without a verdict (exit 2) when more than this share of requests gets no "
        "answer (default 0.1)",
    )
    group.add_argument(
        "--request-timeout", type=float, default=10.0, help="seconds per request (default 10)"
    )
    group.add_argument(
        "--no-judge", action="store_true", help="send the mix unjudged (the bench's baseline)"
    )
    group.add_argument(
        "--baseline",
        default="",
        help="known violations with an expiry (the suite's baseline file): a known one passes, "
        "listed; a new or expired one fails",
    )
    group.add_argument(
        "--show-details",
        action="store_true",
        help="quote each rule's first violation in full (record values: local use only)",
    )
