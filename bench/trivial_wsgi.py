"""An app that does nothing but answer ``[]`` (WSGI and RSGI): a server engine's own ceiling.

The ``engines`` section serves it with gunicorn (gthread) and with granian, so the table
shows what each engine costs before any app code runs: the limit no change in the mock's
own code can lift.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

BODY = b"[]"
HEADERS = [("Content-Type", "application/json"), ("Content-Length", str(len(BODY)))]


def app(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
    start_response("200 OK", HEADERS)
    return [BODY]


async def rsgi_app(scope: Any, protocol: Any) -> None:
    """The same answer through granian's RSGI interface (the mock's default front)."""
    protocol.response_bytes(200, HEADERS, BODY)
