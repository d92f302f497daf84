"""Judging one exchange seen passively (a request and its answer, as the answer streams).

The validating proxy judges every exchange it forwards with this, and so can any other
observer of live traffic (a load run): one implementation of the passive rules.

Nothing here is a rule of its own: the request goes through the contract's
:class:`~grades_kit.contract.queries.QueryValidator`, the answer through the pure checks of
:mod:`grades_kit.contract.checks` (the names ``grades-contract`` reports), the schemas of the
shared loader and the one invariant engine (:mod:`grades_kit.contract.invariants`). What this
module adds is the plumbing for a body that arrives in chunks: a grades list is parsed
incrementally (ijson) and judged record by record, so the judge holds one chunk, one record and
what the cross-record invariants remember, never the whole answer."""

from __future__ import annotations

import zlib
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import ijson
import orjson

from grades_kit.contract import checks as rules
from grades_kit.contract.authorization import scenario
from grades_kit.contract.invariants import InvariantEngine
from grades_kit.contract.loader import GRADES_PATH, Contract
from grades_kit.contract.matching import malformed
from grades_kit.contract.queries import QueryArgs, QueryRejected, QueryValidator
from grades_kit.contract.redaction import MIN_SECRET, credentials
from grades_kit.contract.registry import Finding, Rule, rule
from grades_kit.contract.schema_errors import schema_problem

Decoder = Callable[[bytes], bytes]
SMALL_BODY_LIMIT = 64 * 1024
"""Error answers and preflights are judged whole; past this size only their head is."""


class Judge:
    """What does not change between exchanges: the contract and its compiled validators."""

    def __init__(self, contract: Contract) -> None:
        self.contract = contract
        self.queries = QueryValidator(contract)
        self.record_validator = contract.validator("GradeRecord")
        self.record_is_valid = contract.is_valid("GradeRecord")

    def exchange(
        self, method: str, path: str, query: QueryArgs, headers: Mapping[str, str]
    ) -> JudgedExchange:
        return JudgedExchange(self, method.upper(), path, query, headers)


class JudgedExchange:
    """One request and its answer: fed the request, the head, then the body chunk by chunk.

    Every step returns the :class:`Finding`s it made; a finding whose rule is advisory never
    fails the answer (its severity says so).
    """

    def __init__(
        self,
        judge: Judge,
        method: str,
        path: str,
        query: QueryArgs,
        headers: Mapping[str, str],
    ) -> None:
        self._judge, self.method, self._query = judge, method, query
        self._headers = headers
        self.judged = path == GRADES_PATH and method in ("GET", "OPTIONS")
        self._filters: dict[str, str] = {}
        self._bad_request: str | None = None
        self._body: _Body | None = None

    def request(self) -> list[Finding]:
        """The request's query against the spec's parameters (the app's side of the contract)."""
        if not (self.judged and self.method == "GET"):
            return []
        try:
            self._filters = self._judge.queries(self._query)
        except QueryRejected as exc:
            self._bad_request = exc.detail
            return [Finding(rule("request-parameters"), exc.detail)]
        return []

    def head(self, status: int, headers: Mapping[str, str]) -> list[Finding]:
        """Status, headers, content type, CORS and the auth rules: all known before the body."""
        if not self.judged:
            return []
        contract, method = self._judge.contract, self.method.lower()
        found = list(rules.declared_status(contract, method, status))
        if not found:
            found += rules.declared_headers(contract, method, status, headers)
            if _has_body(status):
                found += rules.declared_content_type(
                    contract, method, status, headers.get("Content-Type")
                )
        found += self._status_rules(status)
        origin = self._headers.get("Origin")
        if origin and method == "get":
            found += rules.cors_origin_allowed(origin, status, headers)
        if origin and method == "options":
            found += rules.preflight_allows_get_with_authorization(
                contract, origin, status, headers
            )
        self._body = self._body_for(status, headers) if _has_body(status) else None
        return found

    def feed(self, chunk: bytes) -> list[Finding]:
        return [] if self._body is None else self._body.feed(chunk)

    def close(self) -> list[Finding]:
        """What only the whole body shows (an incomplete list, an error body's schema)."""
        return [] if self._body is None else self._body.close()

    def _status_rules(self, status: int) -> Iterator[Finding]:
        if self.method != "GET":
            return
        presented = self._auth_scenario()
        if presented != "unknown-token" and 200 <= status < 300:  # data without a usable token
            yield from rules.auth_rejected(self._judge.contract, presented, status, {}, None)
        if status == 500 or (status > 500 and status not in self._judge.contract.statuses()):
            # A 5xx the operation declares (503 with Retry-After) is the API asking the client
            # to come back, judged by the declared-status rules; a 500 is a failure whatever
            # the spec says.
            yield Finding(rules.SERVER_ERROR, f"the upstream answered HTTP {status}")
        if self._bad_request is not None and 200 <= status < 300:
            yield Finding(
                self._loose_reading(),
                f"a request the spec forbids ({self._bad_request}) was answered {status}",
            )
        if self._bad_request is None and status == 400:
            plus = any("+" in value for value in self._filters.values())
            yield Finding(
                rule("near-miss/plus") if plus else rules.GOOD_REQUEST_REJECTED,
                "a request the spec allows was answered 400",
            )
        if self._bad_request is None and self._filters and status == 404:
            yield Finding(
                rule("unknown-filter-gives-empty-list"),
                "a filtered request the spec allows was answered 404, not 200 []",
            )

    def _loose_reading(self) -> Rule:
        """The near-miss class of a forbidden filter value answered as a match (a blank read
        as no filter, a value trimmed or normalised, a repeated filter read as one of its
        values), else the plain forbidden-request rule."""
        for name in self._judge.queries.names:
            if len(self._query.getlist(name)) > 1:
                return rule("near-miss/repeated")
            for value in self._query.getlist(name):
                klass = malformed(value)
                if klass is not None:
                    return rule(f"near-miss/{klass}")
        return rules.BAD_REQUEST_ACCEPTED

    def _body_for(self, status: int, headers: Mapping[str, str]) -> _Body | None:
        decoder = _decoder(headers.get("Content-Encoding"))
        if decoder is None:
            return None  # an encoding the proxy cannot read: the head was judged, not the body
        if self.method == "GET" and status == 200:
            return _RecordStream(self._judge, self._filters, decoder)
        return _SmallBody(self, status, headers, decoder)

    def whole_body(self, status: int, headers: Mapping[str, str], raw: bytes) -> Iterator[Finding]:
        """An error answer or a preflight, judged whole: token not echoed, its schema, auth."""
        contract = self._judge.contract
        secret = credentials(self._headers.get("Authorization"))
        if len(secret) >= MIN_SECRET:  # "ab" appears in many bodies without being echoed
            yield from rules.token_not_echoed(secret, raw.decode("latin-1"))
        try:
            body = orjson.loads(raw) if raw else None
        except orjson.JSONDecodeError:
            body = raw.decode("latin-1")
        if status == 401:
            yield from rules.auth_rejected(contract, self._auth_scenario(), status, headers, body)
        elif status in contract.statuses(self.method.lower()):
            content = contract.response(status, self.method.lower()).get("content", {})
            schema = content.get("application/json", {}).get("schema")
            if schema is not None and schema.get("title") == "Error":
                yield from rules.error_response(contract, rules.SCHEMA_VIOLATED, status, body)

    def _auth_scenario(self) -> str:
        """The suite's auth scenario for what the request presented (a Bearer token the
        upstream accepted or refused is an ``unknown-token`` to the proxy)."""
        presented = scenario(self._headers.get("Authorization"))
        return "unknown-token" if presented == "bearer" else presented


class _Body:
    def feed(self, chunk: bytes) -> list[Finding]:
        raise NotImplementedError

    def close(self) -> list[Finding]:
        raise NotImplementedError


class _RecordStream(_Body):
    """A 200 grades list, parsed as it streams: schema, filters and invariants per record."""

    def __init__(self, judge: Judge, filters: dict[str, str], decoder: Decoder) -> None:
        self._judge, self._filters, self._decoder = judge, filters, decoder
        self._engine = InvariantEngine(judge.contract)
        self._records = ijson.sendable_list()
        self._parser = ijson.items_coro(self._records, "item", use_float=True)
        self._count = 0
        self._started = False
        self._broken = False

    def feed(self, chunk: bytes) -> list[Finding]:
        data = self._decoder(chunk)
        if self._broken or not data:
            return []
        found = self._check_start(data)
        if not self._broken:
            found += self._parse(data)
        return found

    def close(self) -> list[Finding]:
        if self._broken:
            return []
        if not self._started:
            return [Finding(rules.SCHEMA_VIOLATED, "the 200 has no body")]
        try:
            self._parser.close()
        except ijson.JSONError as exc:
            return [_not_json(exc)]
        return self._judge_records()

    def _check_start(self, data: bytes) -> list[Finding]:
        if self._started or not data.strip():
            return []
        self._started = True
        if data.lstrip()[:1] != b"[":
            self._broken = True
            return [Finding(rules.SCHEMA_VIOLATED, "the 200 body is not a JSON array")]
        return []

    def _parse(self, data: bytes) -> list[Finding]:
        try:
            self._parser.send(data)
        except ijson.JSONError as exc:
            self._broken = True
            return [_not_json(exc)]
        return self._judge_records()

    def _judge_records(self) -> list[Finding]:
        found: list[Finding] = []
        for record in self._records:
            found += self._judge_record(self._count, record)
            self._count += 1
        del self._records[:]
        return found

    def _judge_record(self, index: int, record: Any) -> list[Finding]:
        findings: list[Finding] = []
        problem = None
        if not self._judge.record_is_valid(record):  # describe only what fails (it is slow)
            problem = schema_problem(self._judge.record_validator.iter_errors(record))
        if problem is not None:
            findings.append(Finding(rules.SCHEMA_VIOLATED, f"record {index}: {problem}"))
        if self._filters:
            findings += rules.filter_soundness(self._filters, [record], start=index)
        return findings + [breach.finding() for breach in self._engine.check(record)]


class _SmallBody(_Body):
    """An error answer or a preflight: kept (up to a limit) and judged whole."""

    def __init__(
        self, exchange: JudgedExchange, status: int, headers: Mapping[str, str], decoder: Decoder
    ) -> None:
        self._exchange, self._status, self._headers = exchange, status, headers
        self._decoder = decoder
        self._kept = bytearray()

    def feed(self, chunk: bytes) -> list[Finding]:
        if len(self._kept) <= SMALL_BODY_LIMIT:
            self._kept += self._decoder(chunk)
        return []

    def close(self) -> list[Finding]:
        if len(self._kept) > SMALL_BODY_LIMIT:
            return []
        return list(self._exchange.whole_body(self._status, self._headers, bytes(self._kept)))


def _decoder(encoding: str | None) -> Decoder | None:
    """How to read a body sent with ``encoding``; None for one the proxy cannot read."""
    name = (encoding or "").strip().lower()
    if name in ("", "identity"):
        return bytes
    if name in ("gzip", "x-gzip", "deflate"):
        return zlib.decompressobj(zlib.MAX_WBITS | 32).decompress  # gzip or zlib, detected
    return None


def _has_body(status: int) -> bool:
    return status >= 200 and status not in (204, 304)


def _not_json(exc: Exception) -> Finding:
    return Finding(rules.NOT_JSON, f"the 200 body is not valid JSON: {exc}")
