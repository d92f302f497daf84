"""``grades-mock proxy``: forward an app's requests to a real server and judge each exchange.

The answer goes back unchanged (less the hop-by-hop headers RFC 9110 section 7.6.1 says a
proxy must not forward) while :mod:`grades_kit.contract.passive` judges it against the
contract under the registry's rules, the names ``grades-contract`` reports. Each finding is one
log line naming the rule and the request (credentials masked) and is counted at
``/__proxy/violations``; an advisory rule's findings are logged as advice and never fail an
answer. With ``--errors`` a violating answer is replaced by a 502 whose ``detail`` names the
rule.

The answers the proxy makes itself (that 502, the 502/504 of an upstream fault, the tally,
the preflight of its own paths, ``/openapi.json`` and ``/docs``, which point at the proxy)
carry the CORS headers of the mock's one :class:`~grades_kit.mock_server.cors.Cors`, so a page
on another origin reads them as it reads the upstream's.

A grades list streams through: the proxy holds one chunk (64 KiB), the record being parsed
and what the cross-record invariants remember. Only with ``--errors`` is an answer held
before it is sent, up to ``ERRORS_BUFFER`` bytes; past that it streams, and a violation
found later cuts the connection (the client sees a truncated body, never a silent pass).
"""

from __future__ import annotations

import logging
import threading
from collections import Counter, deque
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import orjson
import urllib3
from flask import Flask
from urllib3.exceptions import HTTPError, NewConnectionError, SSLError
from urllib3.exceptions import TimeoutError as UpstreamTimeout
from werkzeug.datastructures import Headers
from werkzeug.wrappers import Request

from grades_kit.contract.loader import Contract, load_contract
from grades_kit.contract.passive import Judge, JudgedExchange
from grades_kit.contract.redaction import credentials, mask
from grades_kit.contract.registry import Finding
from grades_kit.mock_server.answer import status_line
from grades_kit.mock_server.contract_routes import (
    DOCS_PATH,
    SPEC_JSON_PATH,
    SPEC_YAML_PATH,
    register_documents,
)
from grades_kit.mock_server.cors import Cors, CorsPolicy
from grades_kit.mock_server.errors import error_body, register_error_handlers, render

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

    _Wsgi = WSGIApplication

log = logging.getLogger("grades_mock.proxy")

TALLY_PATH = "/__proxy/violations"
OWN_METHODS = ("GET", "HEAD", "OPTIONS")
"""The methods of the paths the proxy answers itself (the tally, the documents, ``/docs``)."""
CHUNK = 64 * 1024
ERRORS_BUFFER = 8 * 1024 * 1024
"""With ``--errors``: the most of one answer held back to be judged before it is sent."""
LOG_PER_RULE = 3
"""Log lines per rule and exchange: a list with a million broken records says so once."""
HOP_BY_HOP = frozenset(
    {"connection", "keep-alive", "proxy-connection", "te", "trailer", "transfer-encoding",
     "upgrade", "proxy-authenticate", "proxy-authorization"}
)  # fmt: skip


@dataclass(frozen=True)
class ProxyConfig:
    """What ``grades-mock proxy`` is told: where to forward, and how to react."""

    upstream: str
    errors: bool = False
    token: str | None = None
    timeout_s: float = 30.0
    examples: int = 20
    cors: CorsPolicy = CorsPolicy()
    """For the answers the proxy makes itself (``--cors-origin`` and the mock's other flags)."""


class ProxyTally:
    """Counts per rule and the last N examples, shared by the server's threads."""

    def __init__(self, examples: int) -> None:
        self._lock = threading.Lock()
        self._counts: Counter[str] = Counter()
        self._examples: deque[dict[str, Any]] = deque(maxlen=examples)
        self._exchanges = 0

    def exchange(self) -> None:
        with self._lock:
            self._exchanges += 1

    def add(self, finding: Finding, request: str, status: int | None) -> None:
        example = {"rule": finding.rule.id, "severity": finding.rule.severity.value,
                   "detail": finding.detail, "request": request, "status": status,
                   "at": datetime.now(UTC).isoformat(timespec="seconds")}  # fmt: skip
        with self._lock:
            self._counts[finding.rule.id] += 1
            self._examples.append(example)

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return {
                "exchanges": self._exchanges,
                "violations": sum(self._counts.values()),
                "by_rule": dict(sorted(self._counts.items())),
                "examples": list(self._examples),
            }


class ValidatingProxy:
    """The WSGI app: forward, stream back, judge; faults of the upstream become 502/504."""

    def __init__(self, config: ProxyConfig, contract: Contract | None = None) -> None:
        self.config = config
        self.tally = ProxyTally(config.examples)
        self._judge = Judge(contract or load_contract())
        self._cors = Cors(config.cors, OWN_METHODS)
        self._documents = Flask(__name__)
        register_error_handlers(self._documents)  # JSON errors, as the mock's
        register_documents(self._documents, self._judge.contract, "proxy", prefer=False)
        self._upstream = config.upstream.rstrip("/")
        self._pool = urllib3.PoolManager(
            maxsize=32,
            retries=False,
            timeout=urllib3.Timeout(connect=min(config.timeout_s, 10.0), read=config.timeout_s),
        )

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        request = Request(environ)
        cors = dict(self._cors.headers(request.headers.get("Origin")))
        own = self._own(request, cors)
        if own is not None:
            return own(environ, start_response)
        self.tally.exchange()
        headers = _forwarded(request.headers)
        if self.config.token and "Authorization" not in headers:
            headers["Authorization"] = f"Bearer {self.config.token}"
        report = _Reporter(self.tally, request, headers, cors)
        exchange = self._judge.exchange(request.method, request.path, request.args, headers)
        report(exchange.request(), None)
        try:
            upstream = self._send(request, headers)
        except (HTTPError, OSError) as exc:
            status, detail = _fault(self._upstream, self.config.timeout_s, exc)
            log.warning("%s: %s", report.request_line, detail)
            return render(status, error_body(detail), cors)(environ, start_response)
        return self._answer(upstream, exchange, report)(environ, start_response)

    def _own(self, request: Request, cors: dict[str, str]) -> _Wsgi | None:
        """The answer to a request for one of the proxy's own paths (None: forward it)."""
        path = request.path
        if path == TALLY_PATH and request.method == "OPTIONS":
            preflight = self._cors.preflight(request.headers.get("Access-Control-Request-Headers"))
            preflight.headers.extend(cors)
            return preflight
        if path == TALLY_PATH:
            return render(200, orjson.dumps(self.tally.snapshot()), cors)
        if path in (SPEC_JSON_PATH, SPEC_YAML_PATH, DOCS_PATH) or path.startswith(DOCS_PATH + "/"):
            return _adding(cors, self._documents)
        return None

    def _send(self, request: Request, headers: dict[str, str]) -> urllib3.BaseHTTPResponse:
        length = request.content_length
        body = request.stream.read(length) if length else None
        return self._pool.request(
            request.method,
            self._upstream + _target(request.environ),
            body=body,
            headers=headers,
            preload_content=False,
            decode_content=False,
            redirect=False,
        )

    def _answer(
        self, upstream: urllib3.BaseHTTPResponse, exchange: JudgedExchange, report: _Reporter
    ) -> _Wsgi:
        status, headers = upstream.status, _response_headers(upstream.headers)
        found = exchange.head(status, upstream.headers)
        report(found, status)
        chunks = upstream.stream(CHUNK, decode_content=False)
        if self.config.errors:
            if _failing(found):
                upstream.close()  # unread: the connection cannot be reused
                return _replaced(found, report)
            return _Judged(upstream, chunks, exchange, report, status, headers).held()
        return _Judged(upstream, chunks, exchange, report, status, headers).streamed()


class _Reporter:
    """Logs and counts the violations of one exchange (a few lines per rule at most)."""

    def __init__(
        self, tally: ProxyTally, request: Request, headers: Mapping[str, str], cors: dict[str, str]
    ) -> None:
        self.cors = cors
        """The CORS headers of an answer the proxy makes itself for this request."""
        self._secrets = [credentials(headers.get("Authorization"))]
        self.request_line = mask(f"{request.method} {_target(request.environ)}", self._secrets)
        self._tally, self._logged = tally, Counter[str]()

    def __call__(self, findings: list[Finding], status: int | None) -> None:
        for found in findings:
            finding = Finding(found.rule, mask(found.detail, self._secrets))
            self._tally.add(finding, self.request_line, status)
            self._logged[finding.rule.id] += 1
            if self._logged[finding.rule.id] <= LOG_PER_RULE:
                kind = "violation" if finding.rule.severity.fails else "advisory"
                shown = f" -> {status}" if status is not None else ""
                log.warning("%s [%s] %s%s: %s", kind, finding.rule.id, self.request_line, shown,
                            finding.detail)  # fmt: skip

    def summary(self) -> None:
        for rule, count in self._logged.items():
            if count > LOG_PER_RULE:
                log.warning("violation [%s] %s: %d more in this answer", rule, self.request_line,
                            count - LOG_PER_RULE)  # fmt: skip


class _Judged:
    """An upstream answer on its way back, judged chunk by chunk."""

    def __init__(
        self,
        upstream: urllib3.BaseHTTPResponse,
        chunks: Iterator[bytes],
        exchange: JudgedExchange,
        report: _Reporter,
        status: int,
        headers: Headers,
    ) -> None:
        self._upstream, self._chunks, self._exchange = upstream, chunks, exchange
        self._report, self._status, self._headers = report, status, headers
        self.violations: list[Finding] = []

    def streamed(self) -> _Wsgi:
        """Send at once; judge what passes (the plain proxy: nothing is held)."""
        return _respond(self._status, self._headers, self._through(self._chunks))

    def held(self) -> _Wsgi:
        """``--errors``: hold up to ``ERRORS_BUFFER``, judge, then send it or a 502."""
        held: list[bytes] = []
        complete = self._hold(held)
        if _failing(self.violations):
            self._upstream.close()  # maybe unread: the connection cannot be reused
            self._report.summary()
            return _replaced(self.violations, self._report)
        if complete:
            self._upstream.release_conn()
            return _respond(self._status, self._headers, iter(held))
        return _respond(self._status, self._headers, self._through(self._chunks, held))

    def _hold(self, held: list[bytes]) -> bool:
        """Read into ``held`` until the end (True), a violation or the buffer is full."""
        size = 0
        for chunk in self._chunks:
            held.append(chunk)
            size += len(chunk)
            self._judge(self._exchange.feed(chunk))
            if size > ERRORS_BUFFER or _failing(self.violations):
                return False
        self._finish()
        return True

    def _through(self, chunks: Iterator[bytes], held: list[bytes] | None = None) -> Iterator[bytes]:
        read_to_end = False
        try:
            yield from held or ()
            for chunk in chunks:
                found = self._exchange.feed(chunk)
                self._judge(found)
                if held is not None and _failing(found):
                    raise _Cut(found[0].rule.id)  # --errors, past the buffer: cut the answer
                yield chunk
            self._finish()
            read_to_end = True
        except (HTTPError, OSError) as exc:
            log.warning("%s: the upstream broke off the answer: %s", self._report.request_line,
                        exc)  # fmt: skip
            raise
        finally:  # a connection left mid-answer (client gone, cut) cannot be reused
            if read_to_end:
                self._upstream.release_conn()
            else:
                self._upstream.close()

    def _finish(self) -> None:
        self._judge(self._exchange.close())
        self._report.summary()

    def _judge(self, found: list[Finding]) -> None:
        self.violations += found
        self._report(found, self._status)


class _Cut(Exception):
    """Ends a streamed answer early: with ``--errors`` a violation was found past the buffer."""


def _respond(status: int, headers: Headers, body: Iterator[bytes]) -> _Wsgi:
    def app(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        start_response(status_line(status), list(headers.items()))
        return body

    return app


def _replaced(findings: list[Finding], report: _Reporter) -> _Wsgi:
    first = next(f for f in findings if f.rule.severity.fails)
    log.warning("%s: answered 502 instead (--errors, [%s])", report.request_line, first.rule.id)
    detail = f"grades-mock proxy: the upstream's answer breaks [{first.rule.id}]: {first.detail}"
    return render(502, error_body(detail), report.cors)


def _adding(headers: Mapping[str, str], app: _Wsgi) -> _Wsgi:
    """``app`` with ``headers`` added to its answer (the CORS of the proxy's own pages)."""

    def wrapped(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        def start(status: str, sent: list[tuple[str, str]], exc_info: Any = None) -> Any:
            return start_response(status, [*sent, *headers.items()], exc_info)

        return app(environ, start)

    return wrapped


def _failing(findings: list[Finding]) -> bool:
    return any(f.rule.severity.fails for f in findings)


def _forwarded(headers: Headers) -> dict[str, str]:
    """The request headers to send upstream: end-to-end ones only, ``Host`` set anew."""
    dropped = _hop_by_hop(headers) | {"host", "content-length"}
    return {name: value for name, value in headers.items() if name.lower() not in dropped}


def _response_headers(raw: Mapping[str, str]) -> Headers:
    headers = Headers(list(raw.items()))
    for name in _hop_by_hop(headers):
        headers.remove(name)
    return headers


def _hop_by_hop(headers: Any) -> set[str]:
    """RFC 9110 7.6.1: the fixed hop-by-hop fields plus those the Connection header names."""
    named = {part.strip().lower() for part in headers.get("Connection", "").split(",")}
    return set(HOP_BY_HOP) | {name for name in named if name}


def _fault(upstream: str, timeout_s: float, exc: BaseException) -> tuple[int, str]:
    """A 504 when the upstream was too slow, else a 502 saying what failed."""
    if isinstance(exc, UpstreamTimeout) and not isinstance(exc, NewConnectionError):
        return 504, f"grades-mock proxy: {upstream} did not answer within {timeout_s:g} s."
    if isinstance(exc, SSLError):
        return 502, f"grades-mock proxy: TLS with {upstream} failed: {_first_line(exc)}"
    return 502, f"grades-mock proxy: cannot reach {upstream}: {_first_line(exc)}"


def _target(environ: WSGIEnvironment) -> str:
    """The request target as the client wrote it (WSGI hands the path decoded, as latin-1)."""
    path = quote(environ.get("PATH_INFO", "").encode("latin-1"), safe="/:@!$&'()*+,;=-._~")
    query = environ.get("QUERY_STRING", "")
    return (path or "/") + (f"?{query}" if query else "")


def _first_line(exc: BaseException) -> str:
    reason = getattr(exc, "reason", None) or exc
    return (str(reason).strip().splitlines() or [type(exc).__name__])[0]
