"""CORS, written out (flask-cors would add a dependency for less control), decided once.

One :class:`Cors` object, built by ``create_app``, decides the headers of every answer the
mock gives (grades, every error layer, the docs, the admin API) and of gunicorn's own error
answers, so they cannot disagree. The contract, for a page on another origin:

- every answer names the allowed origin (``*``, or the request's ``Origin`` when it is one
  of a configured list, with ``Vary: Origin`` because the answer then depends on it), so a
  page can read errors too;
- every answer exposes the headers a page needs to read (:data:`EXPOSED_HEADERS`:
  ``Retry-After``, ``WWW-Authenticate``, ``Preference-Applied``, ``Allow``), which a browser
  hides otherwise;
- a preflight allows every request header the mock reads (:data:`ALLOWED_HEADERS`),
  ``Prefer`` included, and caches for :data:`MAX_AGE_S`.
"""

from __future__ import annotations

from werkzeug.wrappers import Response

ALLOWED_HEADERS = ("Authorization", "Content-Type", "Prefer")
"""Every request header the mock reads: the token, admin JSON bodies, scenario control."""
EXPOSED_HEADERS = ("Allow", "Preference-Applied", "Retry-After", "WWW-Authenticate")
"""Every response header the mock sends for a page to read (beyond the CORS-safelisted)."""
MAX_AGE_S = 600


class Cors:
    """The CORS headers for a configured origin list (``("*",)`` allows any origin)."""

    def __init__(self, origins: tuple[str, ...], methods: tuple[str, ...]) -> None:
        self._origins = origins
        self._methods = ", ".join(methods)
        self._exposed = ", ".join(EXPOSED_HEADERS)
        self._any = [
            ("Access-Control-Allow-Origin", "*"),
            ("Access-Control-Expose-Headers", self._exposed),
        ]

    def headers(self, request_origin: str | None) -> list[tuple[str, str]]:
        """The headers every answer to a request from ``request_origin`` carries."""
        if self._origins == ("*",):
            return self._any
        # A listed origin is echoed; any other gets the first listed one, which its
        # browser will refuse: the header stays present, as the spec requires.
        allowed = request_origin if request_origin in self._origins else self._origins[0]
        return [
            ("Access-Control-Allow-Origin", allowed),
            ("Access-Control-Expose-Headers", self._exposed),
            ("Vary", "Origin"),
        ]

    def apply(self, headers: list[tuple[str, str]], request_origin: str | None) -> None:
        """Add the origin headers every answer carries (nothing else writes them)."""
        headers.extend(self.headers(request_origin))

    def preflight(self, methods: tuple[str, ...] | None = None) -> Response:
        """A preflight's answer (204, no body), a Flask view's; :meth:`apply` adds the origin
        headers as to every answer. ``methods``: the path's, when not the grades path's."""
        response = Response(status=204)
        del response.headers["Content-Type"]  # no body, so no type
        headers = response.headers
        headers["Access-Control-Allow-Methods"] = (
            self._methods if methods is None else ", ".join(methods)
        )
        headers["Access-Control-Allow-Headers"] = ", ".join(ALLOWED_HEADERS)
        headers["Access-Control-Max-Age"] = str(MAX_AGE_S)
        return response
