"""One way to keep secrets and learners out of logs: the proxy, the suite and ``record``.

A secret is replaced wherever it appears (a URL, a header value, a response body), so a log
line can quote what was sent without leaking what authenticates it; a learner's username
and email become keyed pseudonyms (:class:`Pseudonyms`), in fields and in free text alike.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import threading
import unicodedata
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from grades_kit.contract.authorization import parse_authorization
from grades_kit.contract.matching import fold_accents

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


URL = re.compile(r"https?://[^\s'\"<>`]+")
"""A URL inside free text (a curl line, a message): masked by :meth:`Pseudonyms.url`."""
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
PSEUDONYM_HEX = 12
MIN_KNOWN = 3
"""Shorter learned values are pseudonymised in their fields but not searched for in free text."""


class Pseudonyms:
    """The kit's one pseudonymiser: keyed, deterministic stand-ins for a learner's identity.

    The same value under the same ``salt`` always gives the same pseudonym (HMAC-SHA256), so
    filters, pairings and the spec's cross-record rules still hold in a recorded fixture
    (``grades-mock record --anonymize``) and in a run's reports, and nobody without the salt
    can test a guessed name against them. Values met in fields are also learned, so free text
    that echoes them (an error body, a failure message, a header) is masked the same way.
    """

    def __init__(self, salt: str) -> None:
        self._salt = salt.encode()
        self._known: dict[str, str] = {}
        self._pattern: re.Pattern[str] | None = None
        self._lock = threading.Lock()

    def pseudonym(self, kind: str, value: str) -> str:
        """HMAC-SHA256 of ``value`` under the salt (``kind`` keeps fields apart), shortened."""
        digest = hmac.new(self._salt, f"{kind}\0{value}".encode(), hashlib.sha256)
        return digest.hexdigest()[:PSEUDONYM_HEX]

    def username(self, value: str) -> str:
        return self._learn(value, f"learner_{self.pseudonym('username', value)}")

    def _unlearned(self, value: str) -> str:
        """A queried username's pseudonym: not learned, a generated value is nobody's."""
        return f"learner_{self.pseudonym('username', value)}"

    def email(self, value: str) -> str:
        return self._learn(value, f"learner_{self.pseudonym('email', value.lower())}@example.com")

    def display_name(self, value: str) -> str:
        return f"Course {self.pseudonym('display_name', value)}"

    def record(self, record: Mapping[str, Any]) -> dict[str, Any]:
        """A grade record with its username, email and display name replaced."""
        return {
            **record,
            "username": self.username(record["username"]),
            "email": self.email(record["email"]),
            "display_name": self.display_name(record["display_name"]),
        }

    def text(self, text: str) -> str:
        """``text`` with every email and every learned value replaced (any letter case), and
        every URL in it masked as :meth:`url` does (its query values percent-decoded first:
        ``jane%40example.com`` is an email too)."""
        return self._plain(URL.sub(lambda m: self.url(m.group(0)), text))

    def _plain(self, text: str) -> str:
        text = EMAIL.sub(lambda m: self.email(m.group(0)), text)
        with self._lock:
            pattern, known = self._pattern, self._known
        if pattern is None:
            return text
        return pattern.sub(lambda m: known.get(m.group(0).lower(), m.group(0)), text)

    def url(self, url: str) -> str:
        """``url`` with the ``username`` of its query (and any email or known value) replaced."""
        parts = urlsplit(url)
        pairs = parse_qsl(parts.query, keep_blank_values=True)
        query = [(k, self._unlearned(v) if k == "username" else self._plain(v)) for k, v in pairs]
        masked = parts._replace(query=urlencode(query)) if parts.query else parts
        return self._plain(urlunsplit(masked))

    def learn(self, body: bytes) -> None:
        """Remember the usernames and emails of a JSON answer, to mask them in any text."""
        try:
            self._value(json.loads(body))
        except ValueError:
            return

    def body(self, text: str) -> str:
        """A JSON body with its ``username``/``email`` fields replaced; then :meth:`text`."""
        try:
            return self.text(json.dumps(self._value(json.loads(text)), ensure_ascii=False))
        except ValueError:
            return self.text(text)

    def _value(self, value: Any) -> Any:
        if isinstance(value, list):
            return [self._value(item) for item in value]
        if isinstance(value, dict):
            return {k: self._field(k, v) for k, v in value.items()}
        return value

    def _field(self, key: str, value: Any) -> Any:
        if isinstance(value, str) and key == "username":
            return self.username(value)
        if isinstance(value, str) and key == "email":
            return self.email(value)
        return self._value(value)

    def _learn(self, value: str, pseudonym: str) -> str:
        """Remember ``value`` and the near misses a probe derives from it (accents folded,
        the other Unicode form, without its last character), so a failure message that
        quotes a probe masks it as it masks the value."""
        key = value.strip().lower()
        if len(key) >= MIN_KNOWN and key not in self._known:
            forms = {key, fold_accents(key), unicodedata.normalize("NFD", key)}
            forms |= {form[:-1] for form in set(forms) if len(form) > MIN_KNOWN}
            with self._lock:
                known = dict(self._known)
                for form in forms:
                    known.setdefault(form, pseudonym)
                words = sorted(known, key=len, reverse=True)
                self._known = known
                self._pattern = re.compile("|".join(map(re.escape, words)), re.IGNORECASE)
        return pseudonym
