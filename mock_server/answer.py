"""An answer as the pipeline passes it between its steps: status, header list, body.

Werkzeug's ``Response`` validates every header it is given, keeps them in a ``Headers``
object and works out a content type per instance: a large share of a filtered request's
Python time on the grades branch (``docs/benchmarks.md``, "Half the Python per request").
Both engines want a status, a list of header pairs and a body in the end, so the pipeline's
steps (the branches' answers, the after-hooks, CORS) hand each other that directly. Flask's
answers become one at the branch's end (:func:`from_werkzeug`, with Werkzeug's own fix-ups
for HEAD and conditional requests), and Flask's error handler turns one back into a
``Response`` (:func:`to_flask`).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any

from flask import Response
from werkzeug.http import HTTP_STATUS_CODES
from werkzeug.wrappers import Response as WsgiResponse

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIEnvironment

JSON = "application/json"


@dataclass(slots=True)
class Answer:
    """What the client gets: a status, its header pairs, the body.

    ``body`` is bytes, or chunks (the store's streamed list, a file Flask serves: then
    :func:`close` releases the file once they are sent, WSGI's ``close`` protocol).
    """

    status: int
    headers: list[tuple[str, str]]
    body: bytes | Iterable[bytes]

    @property
    def chunks(self) -> Iterable[bytes]:
        """The body as WSGI iterates it."""
        return (self.body,) if isinstance(self.body, bytes) else self.body

    @property
    def status_line(self) -> str:
        """WSGI's status (``"200 OK"``), spelled as Werkzeug spells it."""
        return status_line(self.status)


def json_answer(status: int, body: bytes, headers: Mapping[str, str] | None = None) -> Answer:
    """A JSON body of known length: the grades branch's answers and every error."""
    pairs = [("Content-Type", JSON), ("Content-Length", str(len(body)))]
    if headers:
        pairs.extend(headers.items())
    return Answer(status, pairs, body)


def streamed_json(chunks: Iterator[bytes], length: int) -> Answer:
    """A JSON body sent in chunks (the store's unfiltered list), its length known upfront."""
    return Answer(200, [("Content-Type", JSON), ("Content-Length", str(length))], chunks)


def from_werkzeug(response: WsgiResponse, environ: WSGIEnvironment) -> Answer:
    """A Flask answer with Werkzeug's fix-ups (HEAD, conditional requests, Content-Length);
    the body stays as Werkzeug iterates it (a file is read as it is sent)."""
    chunks, status, headers = response.get_wsgi_response(environ)
    return Answer(int(status[:3]), list(headers), chunks)


def to_flask(answer: Answer) -> Response:
    """The answer as a Flask view or error handler must return it."""
    return Response(answer.body, status=answer.status, headers=answer.headers)


def close(answer: Answer) -> None:
    """Release the body's producer (a file), as a WSGI server would after sending it."""
    closer: Any = getattr(answer.body, "close", None)
    if closer is not None:
        closer()


@cache
def status_line(status: int) -> str:
    return f"{status} {HTTP_STATUS_CODES.get(status, 'UNKNOWN').upper()}"
