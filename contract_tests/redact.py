"""What never leaves the process: the token anywhere, and learners' personal data in reports.

One place for both, so the curl lines of the verdict, the traffic record and every message
mask the same way: the token becomes ``***`` (``$GRADES_TOKEN`` in a curl line, so it runs as
printed); emails and usernames become the keyed pseudonyms of
:class:`grades_kit.contract.redaction.Pseudonyms`, the kit's one pseudonymiser, the same
person the same pseudonym across every report of a run.
"""

from __future__ import annotations

import shlex
from collections.abc import Mapping
from typing import Any

from grades_kit.contract import redaction as masking

MASK = masking.MASK
"""The one mask (:mod:`grades_kit.contract.redaction`, shared with the proxy)."""
TOKEN_VARIABLE = "$GRADES_TOKEN"
"""What a curl line says where the run's token was: the shell fills it in, as the docs ask."""
_QUIET_HEADERS = frozenset(
    {"accept-encoding", "connection", "user-agent", "accept", "x-schemathesis-testcaseid"}
)
"""Left out of curl lines: transport defaults, and Schemathesis' id (in the traffic record)."""


def mask_token(text: str, token: str) -> str:
    """``text`` with every occurrence of ``token`` replaced by ``***``."""
    return masking.mask(text, [token])


def curl(method: str, url: str, headers: Mapping[str, Any], token: str) -> str:
    """A curl command that sends the request again, runnable as printed.

    Where the run's token was, it says ``$GRADES_TOKEN`` inside double quotes, so the shell
    substitutes it; any other credential (Schemathesis' ``SCHEMATHESIS-INVALID-VALUE``, a
    deliberately wrong scheme) is shown as it was sent.
    """
    parts = ["curl", "-X", shlex.quote(method)]
    for name, value in headers.items():
        if name.lower() not in _QUIET_HEADERS:
            parts += ["-H", _quoted(f"{name}: {value}", token)]
    parts.append(_quoted(url, token))
    return " ".join(parts)


def _quoted(text: str, token: str) -> str:
    """Shell-quoted ``text``: single quotes, or double quotes around ``$GRADES_TOKEN``."""
    if not token or token not in text:
        return shlex.quote(text)
    pieces = [_double_quote_escaped(piece) for piece in text.split(token)]
    return '"' + TOKEN_VARIABLE.join(pieces) + '"'


def _double_quote_escaped(text: str) -> str:
    for special in ("\\", '"', "$", "`"):
        text = text.replace(special, "\\" + special)
    return text
