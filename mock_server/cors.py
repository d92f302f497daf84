"""CORS, written out (flask-cors would add a dependency for less control), decided once.

One :class:`Cors` object, built by ``create_app`` (and by ``grades-mock proxy`` for the answers
it makes itself), decides the headers of every answer the mock gives (grades, every error
layer, the docs, the admin API) and of gunicorn's own error answers, so they cannot disagree.
The contract, for a page on another origin:

- every answer names the allowed origin (``*``, or the request's ``Origin`` when it is one
  of a configured list, with ``Vary: Origin`` because the answer then depends on it), so a
  page can read errors too;
- with ``credentials`` (only with a list: a browser refuses credentials with ``*``) every
  answer also says ``Access-Control-Allow-Credentials: true``, so a ``fetch`` with
  ``credentials: "include"`` (Open edX frontends send their JWT cookies) can read it;
- every answer exposes the headers a page needs to read (:data:`EXPOSED_HEADERS`:
  ``Retry-After``, ``WWW-Authenticate``, ``Preference-Applied``, ``Allow``), which a browser
  hides otherwise;
- a preflight allows the headers the browser asks for (``Access-Control-Request-Headers``,
  echoed, as Prism does: ``X-Requested-With``, ``USE-JWT-COOKIE``...) plus every header the
  mock reads (:data:`ALLOWED_HEADERS`); or, where a team wants strictness, a fixed list
  (``--cors-allow-headers``). It caches for :data:`MAX_AGE_S`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from werkzeug.wrappers import Response

ALLOWED_HEADERS = ("Authorization", "Content-Type", "Prefer")
"""Every request header the mock reads: the token, admin JSON bodies, scenario control."""
EXPOSED_HEADERS = ("Allow", "Preference-Applied", "Retry-After", "WWW-Authenticate")
"""Every response header the mock sends for a page to read (beyond the CORS-safelisted)."""
MAX_AGE_S = 600
_TOKEN = r"[!#$%&'*+.^_`|~0-9A-Za-z-]+"
_FIELD_NAMES = re.compile(rf"{_TOKEN}(?:[ \t]*,[ \t]*{_TOKEN})*")
"""A comma-separated list of header names (RFC 9110 tokens): what may be echoed."""


@dataclass(frozen=True)
class CorsPolicy:
    """What ``--cors-origin``, ``--cors-credentials`` and ``--cors-allow-headers`` ask for."""

    origins: tuple[str, ...] = ("*",)
    """``("*",)`` allows any origin; otherwise the listed ones, echoed."""
    credentials: bool = False
    allow_headers: tuple[str, ...] | None = None
    """A fixed preflight list; ``None`` echoes what the browser asks for."""


class Cors:
    """The CORS headers of every answer, for one :class:`CorsPolicy`."""

    def __init__(self, policy: CorsPolicy, methods: tuple[str, ...]) -> None:
        self._origins = policy.origins
        self._methods = ", ".join(methods)
        self._fixed = None if policy.allow_headers is None else ", ".join(policy.allow_headers)
        exposed = ("Access-Control-Expose-Headers", ", ".join(EXPOSED_HEADERS))
        self._any = [("Access-Control-Allow-Origin", "*"), exposed]
        self._listed = [exposed, ("Vary", "Origin")]
        if policy.credentials:
            self._listed.append(("Access-Control-Allow-Credentials", "true"))

    def headers(self, request_origin: str | None) -> list[tuple[str, str]]:
        """The headers every answer to a request from ``request_origin`` carries."""
        if self._origins == ("*",):
            return self._any
        # A listed origin is echoed; any other gets the first listed one, which its
        # browser will refuse: the header stays present, as the spec requires.
        allowed = request_origin if request_origin in self._origins else self._origins[0]
        return [("Access-Control-Allow-Origin", allowed), *self._listed]

    def apply(self, headers: list[tuple[str, str]], request_origin: str | None) -> None:
        """Add the origin headers every answer carries (nothing else writes them)."""
        headers.extend(self.headers(request_origin))

    def allowed_headers(self, requested: str | None) -> str:
        """A preflight's ``Access-Control-Allow-Headers``: the fixed list, or the mock's own
        plus every well-formed name the browser asked for."""
        if self._fixed is not None:
            return self._fixed
        names = list(ALLOWED_HEADERS)
        if requested and _FIELD_NAMES.fullmatch(requested.strip()):
            known = {n.lower() for n in names}
            for name in (part.strip() for part in requested.split(",")):
                if name.lower() not in known:
                    known.add(name.lower())
                    names.append(name)
        return ", ".join(names)

    def preflight(self, requested: str | None, methods: tuple[str, ...] | None = None) -> Response:
        """A preflight's answer (204, no body); :meth:`apply` adds the origin headers as to
        every answer. ``requested``: the request's ``Access-Control-Request-Headers``;
        ``methods``: the path's, when not the grades path's."""
        response = Response(status=204)
        del response.headers["Content-Type"]  # no body, so no type
        headers = response.headers
        headers["Access-Control-Allow-Methods"] = (
            self._methods if methods is None else ", ".join(methods)
        )
        headers["Access-Control-Allow-Headers"] = self.allowed_headers(requested)
        headers["Access-Control-Max-Age"] = str(MAX_AGE_S)
        if self._fixed is None:  # the answer depends on what was asked: caches must know
            headers.add("Vary", "Access-Control-Request-Headers")
        return response
