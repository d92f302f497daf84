"""What never leaves the process: the token anywhere, and learners' personal data in reports.

One place for both, so the curl lines of the verdict, the traffic record and every message
mask the same way: the token becomes ``***``; in the traffic record, emails become
``learner-N@example.invalid`` and usernames ``learner-N``, the same ``N`` for the same person
within a file, so a replay still pairs a filtered request with the records it returned.
"""

from __future__ import annotations

import json
import re
import shlex
import threading
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from grades_kit.contract import redaction as masking

MASK = masking.MASK
"""The one mask (:mod:`grades_kit.contract.redaction`, shared with the proxy)."""
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
PERSONAL_FIELDS = ("username", "email")
_QUIET_HEADERS = frozenset(
    {"accept-encoding", "connection", "user-agent", "accept", "x-schemathesis-testcaseid"}
)
"""Left out of curl lines: transport defaults, and Schemathesis' id (in the traffic record)."""


def mask_token(text: str, token: str) -> str:
    """``text`` with every occurrence of ``token`` replaced by ``***``."""
    return masking.mask(text, [token])


def curl(method: str, url: str, headers: Mapping[str, Any], token: str) -> str:
    """A curl command that replays the request, with ``token`` replaced by ``***``."""
    parts = ["curl", "-X", method]
    for name, value in headers.items():
        if name.lower() not in _QUIET_HEADERS:
            parts += ["-H", f"{name}: {mask_token(str(value), token)}"]
    parts.append(mask_token(url, token))
    return " ".join(shlex.quote(part) for part in parts)


class Pseudonyms:
    """Stable stand-ins for usernames and emails, one numbering per traffic file."""

    def __init__(self) -> None:
        self._names: dict[str, int] = {}
        self._lock = threading.Lock()

    def name(self, value: str) -> str:
        return f"learner-{self._number(value)}"

    def email(self, value: str) -> str:
        return f"learner-{self._number(value.lower())}@example.invalid"

    def _number(self, key: str) -> int:
        with self._lock:
            return self._names.setdefault(key, len(self._names) + 1)

    def url(self, url: str) -> str:
        """``url`` with the ``username`` (and any email) of its query replaced."""
        parts = urlsplit(url)
        query = [(k, self.name(v) if k == "username" else v) for k, v in parse_qsl(parts.query)]
        masked = parts._replace(query=urlencode(query)) if parts.query else parts
        return EMAIL.sub(lambda m: self.email(m.group(0)), urlunsplit(masked))

    def body(self, text: str) -> str:
        """A JSON body with ``username``/``email`` values replaced; any other text, its emails."""
        try:
            return json.dumps(self._value(json.loads(text)), ensure_ascii=False)
        except ValueError:
            return EMAIL.sub(lambda m: self.email(m.group(0)), text)

    def _value(self, value: Any) -> Any:
        if isinstance(value, list):
            return [self._value(item) for item in value]
        if isinstance(value, dict):
            return {k: self._field(k, v) for k, v in value.items()}
        if isinstance(value, str):
            return EMAIL.sub(lambda m: self.email(m.group(0)), value)
        return value

    def _field(self, key: str, value: Any) -> Any:
        if isinstance(value, str) and key == "username":
            return self.name(value)
        if isinstance(value, str) and key == "email":
            return self.email(value)
        return self._value(value)
