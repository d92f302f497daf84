"""The mock's one request pipeline: every engine (granian, gunicorn, the tests) serves it.

Every request takes the same steps, assembled here and nowhere else::

    limits      a request line or header field too long: 414 / 431, the router never runs
    CORS        the one Cors object's headers, on every answer (the 414/431 included)
    hooks       before: e.g. --watch's poller; after: the access log, the admin journal
    router      GET/HEAD on the grades path: the grades branch (plan → delay → answer);
                anything else: Flask (docs, spec, health, preflight, admin API, 404/405)
    errors      any exception of either branch: errors.to_answer

The steps are three methods, :meth:`Pipeline.begin` (limits, before-hooks, the grades plan),
:meth:`Pipeline.complete` (the branch's answer, after-hooks, CORS), and between them the
delay. Between the steps an answer is an :class:`~mock_server.answer.Answer` (status,
header pairs, body), which both engines take as it is; Flask's branch converts its
``Response`` once, at its end. Two fronts call the steps, so neither repeats one:

- ``__call__``, the WSGI app (gunicorn, Werkzeug's test server, the Flask test client):
  the delay is a blocking sleep on the engine's thread;
- ``__rsgi__``, granian's asynchronous interface (the default engine): the grades branch runs
  on the worker's event loop and its delay is an ``await``, so any number of slow answers
  hold no thread; Flask's branch runs on a small thread pool, off the loop
  (:mod:`mock_server.rsgi` translates the protocol).

The grades branch exists because Flask's per-request machinery costs more than the work
itself (``docs/benchmarks.md``); it is always on, and the hooks run for both branches, so
a feature that must see every request is one more hook, never a reason to switch it off.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import cached_property, lru_cache
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

from flask import Flask
from werkzeug.datastructures import ImmutableMultiDict
from werkzeug.wrappers import Request

from grades_kit.contract.loader import GRADES_PATH
from grades_kit.mock_server import rsgi
from grades_kit.mock_server.access_log import AccessLog
from grades_kit.mock_server.answer import Answer, close, from_werkzeug
from grades_kit.mock_server.cors import Cors
from grades_kit.mock_server.errors import ApiError, to_answer
from grades_kit.mock_server.limits import over_limit

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

    from grades_kit.mock_server.routes import GradesApi, GradesCall

PARSED_QUERIES = 1024
"""Distinct query strings whose parsed form is kept (least recently used dropped first)."""
GRADES_BRANCH = ("GET", "HEAD")
"""The methods the grades branch answers on the grades path; Flask answers the others."""

BeforeHook = Callable[[Request], None]
"""Runs when a request passed the limits, before either branch answers it."""
AfterHook = Callable[[Request, Answer, float], None]
"""Runs with the answer of either branch and the request's ``time.perf_counter()`` arrival."""


@dataclass
class Pending:
    """One request between the pipeline's steps (its plan, then its answer)."""

    request: Request
    started: float
    """``time.perf_counter()`` at arrival."""
    call: GradesCall | None = None
    """The grades branch's plan (its delay first); ``None`` on Flask's branch."""
    answer: Answer | None = None
    """Set as soon as the answer is known (an over-limit head, a failing hook, the branch)."""
    hooked: bool = True
    """Whether the after-hooks run: not for a head the limits refused."""

    @property
    def delay_ms(self) -> int:
        """How long to wait before the answer: the grades plan's delay, if it is to run."""
        return self.call.delay_ms if self.call is not None and self.answer is None else 0

    @property
    def for_flask(self) -> bool:
        """Whether Flask still has to answer (a blocking call: off the event loop)."""
        return self.call is None and self.answer is None


QueryParser = Callable[[bytes], "ImmutableMultiDict[str, str]"]


def parse_query(query: bytes) -> ImmutableMultiDict[str, str]:
    """Werkzeug's own parsing of a query string (``Request.args``)."""
    return ImmutableMultiDict(
        parse_qsl(query.decode(), keep_blank_values=True, errors="werkzeug.url_quote")
    )


class PipelineRequest(Request):
    """Werkzeug's request, its query string parsed by the pipeline's remembering parser.

    A frontend, a load test and the contract suite repeat the same few queries, which
    Werkzeug would parse anew for every request (a few microseconds each, more than the
    store's indexed look-up). The parsed form is immutable, so requests can share it.
    """

    def __init__(self, environ: WSGIEnvironment, parse: QueryParser = parse_query) -> None:
        super().__init__(environ)
        self._parse = parse

    @cached_property
    def args(self) -> ImmutableMultiDict[str, str]:
        return self._parse(self.query_string)


def _on_grades_branch(environ: WSGIEnvironment) -> bool:
    return environ.get("PATH_INFO") == GRADES_PATH and environ["REQUEST_METHOD"] in GRADES_BRANCH


class Pipeline:
    """The app ``create_app`` returns (as the Flask object's ``wsgi_app``), for every engine."""

    def __init__(
        self,
        flask_app: Flask,
        grades: GradesApi,
        cors: Cors,
        before: Sequence[BeforeHook] = (),
        after: Sequence[AfterHook] = (),
        threads: int = 2,
        access_log: AccessLog | None = None,
    ) -> None:
        self._flask = flask_app
        self._access_log = access_log
        self._grades = grades
        self.cors = cors
        self._before = tuple(before)
        self._after = tuple(after)
        self._threads = threads
        self._pool: ThreadPoolExecutor | None = None
        self._parse_query = lru_cache(maxsize=PARSED_QUERIES)(parse_query)

    def begin(self, environ: WSGIEnvironment) -> Pending:
        """The steps before any waiting: limits, before-hooks, the grades branch's plan."""
        request = PipelineRequest(environ, self._parse_query)
        flight = Pending(request, time.perf_counter())
        problem = over_limit(environ)
        if problem is not None:
            status, detail = problem
            error = ApiError(status, detail, {"Connection": "close"})
            flight.answer, flight.hooked = to_answer(error, request), False
            return flight
        try:
            for before in self._before:
                before(request)
            if _on_grades_branch(environ):
                flight.call = self._grades.plan(request)
        except Exception as exc:  # noqa: BLE001 - every exception becomes an answer
            flight.answer = to_answer(exc, request)
        return flight

    def complete(self, flight: Pending) -> Answer:
        """The steps after the delay: the branch's answer, the after-hooks, CORS."""
        request = flight.request
        answer = flight.answer
        if answer is None:
            try:
                answer = self._answer(flight)
            except Exception as exc:  # noqa: BLE001 - the same mapping as Flask's errors
                answer = to_answer(exc, request)
            if flight.call is not None:
                flight.call.label(answer)
            flight.answer = answer
        if flight.hooked:
            for after in self._after:
                after(request, answer, flight.started)
        self.cors.apply(answer.headers, request.headers.get("Origin"))
        return answer

    def _answer(self, flight: Pending) -> Answer:
        if flight.call is not None:
            return self._grades.answer(flight.call)
        return self._answer_with_flask(flight.request.environ)

    def _answer_with_flask(self, environ: WSGIEnvironment) -> Answer:
        """Flask's routing, views and error handlers (to_answer), without its WSGI tail;
        Werkzeug's fix-ups (HEAD, conditional requests) applied."""
        context = self._flask.request_context(environ)
        context.push()
        try:
            return from_werkzeug(self._flask.full_dispatch_request(), environ)
        finally:
            context.pop()

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        """The WSGI front: the delay blocks this engine thread (gunicorn has many)."""
        flight = self.begin(environ)
        if flight.delay_ms:
            time.sleep(flight.delay_ms / 1000)
        answer = self.complete(flight)
        start_response(answer.status_line, answer.headers)
        if environ["REQUEST_METHOD"] == "HEAD":
            close(answer)
            return ()
        return answer.chunks  # a file's chunks keep their close(), for the engine to call

    async def __rsgi__(self, scope: Any, protocol: Any) -> None:
        """The RSGI front (granian): the grades branch on the event loop, Flask on threads."""
        environ = await rsgi.environ(scope, protocol)
        flight = self.begin(environ)
        if flight.for_flask:
            loop = asyncio.get_running_loop()
            answer = await loop.run_in_executor(self._pool, self._complete_whole, flight)
        else:
            if flight.delay_ms:
                await asyncio.sleep(flight.delay_ms / 1000)
            answer = self.complete(flight)
        await rsgi.send(protocol, answer, environ["REQUEST_METHOD"] == "HEAD")

    def _complete_whole(self, flight: Pending) -> Answer:
        """On a pool thread: Flask's answer, completed, its body read whole (a file too)."""
        return rsgi.read_whole(self.complete(flight))

    def __rsgi_init__(self, loop: asyncio.AbstractEventLoop) -> None:
        """In each granian worker, before its first request (threads do not survive a fork):
        the thread pool of Flask's branch; the access log's batches on this loop."""
        self._pool = ThreadPoolExecutor(self._threads, thread_name_prefix="grades-mock-flask")
        if self._access_log is not None:
            self._access_log.attach(loop)

    def __rsgi_del__(self, loop: asyncio.AbstractEventLoop) -> None:
        """In each granian worker at shutdown: no buffered access-log line is lost."""
        if self._pool is not None:
            self._pool.shutdown(wait=True)
        if self._access_log is not None:
            self._access_log.flush()
