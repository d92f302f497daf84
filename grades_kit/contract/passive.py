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
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Literal

import ijson
import orjson

from grades_kit.contract import checks as rules
from grades_kit.contract.checks import Finding
from grades_kit.contract.invariants import InvariantEngine
from grades_kit.contract.loader import GRADES_PATH, Contract, schema_problem
from grades_kit.contract.queries import QueryArgs, QueryRejected, QueryValidator
from grades_kit.contract.redaction import MIN_SECRET, credentials

Severity = Literal["error", "advisory"]
Decoder = Callable[[bytes], bytes]
SMALL_BODY_LIMIT = 64 * 1024
"""Error answers and preflights are judged whole; past this size only their head is."""
FILTERS = ("course_id", "username")


@dataclass(frozen=True)
class Violation:
    """A finding with the severity the proxy gives it (advisory ones never fail a response)."""

    rule: str
    detail: str
    severity: Severity = "error"


class Judge:
    """What does not change between exchanges: the contract and its compiled validators."""

    def __init__(self, contract: Contract) -> None:
        self.contract = contract
        self.queries = QueryValidator(contract)
        self.record_validator = contract.validator("GradeRecord")
        self.record_is_valid = contract.is_valid("GradeRecord")

    def exchange(
        self, method: str, path: str, query: QueryArgs, headers: Mapping[str, str]
    ) -> Exchange:
        return Exchange(self, method.upper(), path, query, headers)


class Exchange:
    """One request and its answer: fed the request, the head, then the body chunk by chunk."""

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

    def request(self) -> list[Violation]:
        """The request's query against the spec's parameters (the app's side of the contract)."""
        if not (self.judged and self.method == "GET"):
            return []
        try:
            values = self._judge.queries(self._query)
        except QueryRejected as exc:
            self._bad_request = exc.detail
            return [Violation("request-parameters", exc.detail, "advisory")]
        self._filters = {k: v for k, v in values.items() if k in FILTERS}
        return []

    def head(self, status: int, headers: Mapping[str, str]) -> list[Violation]:
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
            found += rules.cors_origin_allowed("cors/response", origin, status, headers)
        if origin and method == "options":
            found += rules.preflight_allows_get_with_authorization(
                contract, origin, status, headers
            )
        self._body = self._body_for(status, headers) if _has_body(status) else None
        return _errors(found)

    def feed(self, chunk: bytes) -> list[Violation]:
        return [] if self._body is None else self._body.feed(chunk)

    def close(self) -> list[Violation]:
        """What only the whole body shows (an incomplete list, an error body's schema)."""
        return [] if self._body is None else self._body.close()

    def _status_rules(self, status: int) -> Iterator[Finding]:
        if self.method != "GET":
            return
        scenario = self._auth_scenario()
        if scenario != "unknown-token" and 200 <= status < 300:  # data without a usable token
            yield from rules.auth_rejected(self._judge.contract, scenario, status, {}, None)
        if status == 500 or (status > 500 and status not in self._judge.contract.statuses()):
            # A 5xx the operation declares (503 with Retry-After) is the API asking the client
            # to come back, judged by the declared-status rules; a 500 is a failure whatever
            # the spec says.
            yield Finding("server-error", f"the upstream answered HTTP {status}")
        if self._bad_request is not None and 200 <= status < 300:
            yield Finding(
                rules.BAD_REQUEST_ACCEPTED,
                f"a request the spec forbids ({self._bad_request}) was answered {status}",
            )
        if self._bad_request is None and status == 400:
            yield Finding(rules.GOOD_REQUEST_REJECTED, "a request the spec allows was answered 400")

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
            yield from rules.token_not_echoed("auth/token-echoed", secret, raw.decode("latin-1"))
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
        sent = self._headers.get("Authorization")
        if not sent:
            return "no-token"
        return "unknown-token" if sent.startswith("Bearer ") else "malformed-token"


class _Body:
    def feed(self, chunk: bytes) -> list[Violation]:
        raise NotImplementedError

    def close(self) -> list[Violation]:
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

    def feed(self, chunk: bytes) -> list[Violation]:
        data = self._decoder(chunk)
        if self._broken or not data:
            return []
        found = self._check_start(data)
        if not self._broken:
            found += self._parse(data)
        return found

    def close(self) -> list[Violation]:
        if self._broken:
            return []
        if not self._started:
            return _errors([Finding(rules.SCHEMA_VIOLATED, "the 200 has no body")])
        try:
            self._parser.close()
        except ijson.JSONError as exc:
            return _errors([_not_json(exc)])
        return self._judge_records()

    def _check_start(self, data: bytes) -> list[Violation]:
        if self._started or not data.strip():
            return []
        self._started = True
        if data.lstrip()[:1] != b"[":
            self._broken = True
            detail = "the 200 body is not a JSON array"
            return _errors([Finding(rules.SCHEMA_VIOLATED, detail)])
        return []

    def _parse(self, data: bytes) -> list[Violation]:
        try:
            self._parser.send(data)
        except ijson.JSONError as exc:
            self._broken = True
            return _errors([_not_json(exc)])
        return self._judge_records()

    def _judge_records(self) -> list[Violation]:
        found: list[Violation] = []
        for record in self._records:
            found += self._judge_record(self._count, record)
            self._count += 1
        del self._records[:]
        return found

    def _judge_record(self, index: int, record: Any) -> list[Violation]:
        findings: list[Finding] = []
        problem = None
        if not self._judge.record_is_valid(record):  # describe only what fails (it is slow)
            problem = schema_problem(self._judge.record_validator.iter_errors(record))
        if problem is not None:
            findings.append(Finding(rules.SCHEMA_VIOLATED, f"record {index}: {problem}"))
        if self._filters:
            findings += rules.filter_soundness(self._filters, [record], start=index)
        return _errors(findings) + [
            Violation(b.rule, b.line(), "error" if b.invariant.severity == "strict" else "advisory")
            for b in self._engine.check(record)
        ]


class _SmallBody(_Body):
    """An error answer or a preflight: kept (up to a limit) and judged whole."""

    def __init__(
        self, exchange: Exchange, status: int, headers: Mapping[str, str], decoder: Decoder
    ) -> None:
        self._exchange, self._status, self._headers = exchange, status, headers
        self._decoder = decoder
        self._kept = bytearray()

    def feed(self, chunk: bytes) -> list[Violation]:
        if len(self._kept) <= SMALL_BODY_LIMIT:
            self._kept += self._decoder(chunk)
        return []

    def close(self) -> list[Violation]:
        if len(self._kept) > SMALL_BODY_LIMIT:
            return []
        return _errors(self._exchange.whole_body(self._status, self._headers, bytes(self._kept)))


def _decoder(encoding: str | None) -> Decoder | None:
    """How to read a body sent with ``encoding``; None for one the proxy cannot read."""
    name = (encoding or "").strip().lower()
    if name in ("", "identity"):
        return bytes
    if name in ("gzip", "x-gzip", "deflate"):
        return zlib.decompressobj(zlib.MAX_WBITS | 32).decompress  # gzip or zlib, detected
    return None


def _errors(found: Iterable[Finding]) -> list[Violation]:
    return [Violation(finding.rule, finding.detail) for finding in found]


def _has_body(status: int) -> bool:
    return status >= 200 and status not in (204, 304)


def _not_json(exc: Exception) -> Finding:
    return Finding(rules.SCHEMA_VIOLATED, f"the 200 body is not valid JSON: {exc}")
