"""CORS, written out (a dozen lines; flask-cors would add a dependency for less control).

Every response gets the origin headers, errors included, so a browser page can read an
error's ``detail``; a preflight gets the methods, headers and max-age on top.
"""

from __future__ import annotations

from werkzeug.datastructures import Headers

ALLOWED_HEADERS = "Authorization, Content-Type"
MAX_AGE_S = 600


class Cors:
    """The CORS headers for a configured origin list (``("*",)`` allows any origin)."""

    def __init__(self, origins: tuple[str, ...], methods: tuple[str, ...]) -> None:
        self._origins = origins
        self._methods = ", ".join(methods)

    def apply(self, headers: Headers, request_origin: str | None) -> None:
        """Add the origin headers every response carries."""
        if self._origins == ("*",):
            headers["Access-Control-Allow-Origin"] = "*"
            return
        # A listed origin is echoed; any other gets the first listed one, which its
        # browser will refuse: the header stays present, as the spec requires.
        allowed = request_origin if request_origin in self._origins else self._origins[0]
        headers["Access-Control-Allow-Origin"] = allowed
        headers.add("Vary", "Origin")

    def preflight(self, headers: Headers) -> None:
        """Add what a preflight answer carries on top of :meth:`apply`."""
        headers["Access-Control-Allow-Methods"] = self._methods
        headers["Access-Control-Allow-Headers"] = ALLOWED_HEADERS
        headers["Access-Control-Max-Age"] = str(MAX_AGE_S)
