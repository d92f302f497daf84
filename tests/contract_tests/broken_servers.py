"""The broken-server catalogue: the mock with exactly ONE contract defect each.

Each entry wraps an unmodified ``create_app(Settings())`` in a few lines of WSGI middleware
that rewrites one thing, and names the rule the contract suite must report (asserted on the
run's final lines by ``test_catalogue.py`` and tabulated by ``catch_rate.py``). Keep entries
tiny: a defect that needs more than a few lines is probably two defects. ``build(base)``
puts the defect around another app instead (the live-data server of ``live_server.py``).
"""

from __future__ import annotations

import json
import re
import time
import unicodedata
import zlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, unquote_plus

from werkzeug.wrappers import Request, Response

from grades_kit.contract.authorization import parse_authorization
from grades_kit.mock_server import Settings, create_app

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
Record = dict[str, Any]
Edit = Callable[[Request, Response], Response]
Wrap = Callable[[WsgiApp], WsgiApp]
FILTERS = ("course_id", "username")


@dataclass(frozen=True)
class BrokenServer:
    """One defect: what is wrong, and the rule name the suite's verdict must name."""

    name: str
    defect: str
    expected_rule: str
    wrap: Wrap

    def build(self, base: WsgiApp | None = None) -> WsgiApp:
        """The defect around ``base`` (default: a fresh mock)."""
        return self.wrap(base if base is not None else create_app(Settings()))


def rewrite_response(edit: Edit) -> Wrap:
    """The mock, whose every answer passes through ``edit(request, response)``."""

    def build(mock: WsgiApp) -> WsgiApp:
        def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
            request = Request(environ)
            response = Response.from_app(mock, environ)
            return edit(request, response)(environ, start_response)

        return app

    return build


def rewrite_records(change: Callable[[list[Record]], Any]) -> Wrap:
    """The mock, with the JSON array of every 200 grades answer replaced by ``change(records)``."""

    def edit(request: Request, response: Response) -> Response:
        if request.method != "GET" or response.status_code != 200:
            return response
        response.set_data(json.dumps(change(json.loads(response.get_data()))))
        return response

    return rewrite_response(edit)


def refilter(match: Callable[[Record, Mapping[str, str]], bool]) -> Wrap:
    """The mock asked unfiltered, then filtered here with a wrong ``match(record, filters)``."""
    return _filtered_here(lambda filters: lambda record: match(record, filters))


def _filtered_here(matcher: Callable[[Mapping[str, str]], Callable[[Record], bool]]) -> Wrap:
    """The mock's auth and 400s, then its unfiltered list filtered here: ``matcher(filters)``,
    called before the unfiltered list is fetched, says which records to keep."""

    def build(mock: WsgiApp) -> WsgiApp:
        def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
            request = Request(environ)
            filters = {k: v for k, v in request.args.items() if k in FILTERS}
            if request.method != "GET" or not filters:
                return mock(environ, start_response)
            answer = Response.from_app(mock, environ)  # keeps the mock's auth and 400s
            if answer.status_code != 200:
                return answer(environ, start_response)
            keep = matcher(filters)
            unfiltered = Response.from_app(mock, {**environ, "QUERY_STRING": ""})
            records = [r for r in json.loads(unfiltered.get_data()) if keep(r)]
            return Response(json.dumps(records), mimetype="application/json")(
                environ, start_response
            )

        return app

    return build


def shared_filter_slot(round_trip_s: float = 0.002) -> Wrap:
    """Filters parked in ONE slot that every thread shares (a module-level variable in a real
    app), read back after the database round trip: right one request at a time, wrong when
    requests overlap."""

    def build(mock: WsgiApp) -> WsgiApp:
        slot: list[Mapping[str, str]] = [{}]

        def matcher(filters: Mapping[str, str]) -> Callable[[Record], bool]:
            slot[0] = filters
            time.sleep(round_trip_s)
            current = slot[0]
            return lambda record: all(record[k] == v for k, v in current.items())

        return _filtered_here(matcher)(mock)

    return build


def url_keyed_cache() -> Wrap:
    """A response cache in front of the auth layer, keyed by path and query alone: a 200 is
    stored and served to the next caller of the same URL, whatever its credential."""

    def build(mock: WsgiApp) -> WsgiApp:
        cache: dict[str, tuple[bytes, list[tuple[str, str]]]] = {}

        def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
            request = Request(environ)
            key = request.full_path
            if request.method == "GET" and key in cache:
                body, headers = cache[key]
                return Response(body, 200, headers)(environ, start_response)
            answer = Response.from_app(mock, environ)
            if request.method == "GET" and answer.status_code == 200:
                cache[key] = (answer.get_data(), list(answer.headers.items()))
            return answer(environ, start_response)

        return app

    return build


def on_status(status: int, edit: Edit) -> Edit:
    """``edit`` applied to answers with ``status`` only."""
    return lambda request, response: (
        edit(request, response) if response.status_code == status else response
    )


def _set(record: Record, **fields: Any) -> Record:
    return {**record, **fields}


def _stable_id(record: Record) -> int:
    """A record's own id, the same in every answer (as a database row's primary key is)."""
    return zlib.crc32(f"{record['username']}|{record['course_id']}".encode())


def _without(record: Record, field: str) -> Record:
    return {k: v for k, v in record.items() if k != field}


def _header(name: str, value: str | None) -> Edit:
    def edit(request: Request, response: Response) -> Response:
        if value is None:
            response.headers.pop(name, None)
        else:
            response.headers[name] = value
        return response

    return edit


def rewrite_request(change: Callable[[dict[str, Any]], dict[str, Any]]) -> Wrap:
    """The mock, seeing every request's WSGI environ through ``change``."""

    def build(mock: WsgiApp) -> WsgiApp:
        return lambda environ, start_response: mock(change(environ), start_response)

    return build


TOKEN = Settings().tokens[0]
VALID = "Bearer " + TOKEN


def loosely(
    name: str, same: Callable[[str, str], bool]
) -> Callable[[Record, Mapping[str, str]], bool]:
    """A match where filter ``name`` compares as ``same(stored, asked)``, the other exactly."""
    return lambda r, f: all(same(r[k], v) if k == name else r[k] == v for k, v in f.items())


def _folded(value: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFD", value) if not unicodedata.combining(c))


def _like(have: str, asked: str) -> bool:
    """SQL ``LIKE`` without escaping: ``_`` is any one character, ``%`` any string."""
    parts = ("." if c == "_" else ".*" if c == "%" else re.escape(c) for c in asked)
    return re.fullmatch("".join(parts), have, re.DOTALL) is not None


def _last_of_each(environ: dict[str, Any]) -> dict[str, Any]:
    """A repeated query parameter read as its last value (as many frameworks do)."""
    last: dict[str, str] = {}
    for part in environ.get("QUERY_STRING", "").split("&"):
        last[unquote_plus(part.partition("=")[0])] = part
    return {**environ, "QUERY_STRING": "&".join(last.values())}


def rewrite_query(
    name: str,
    change: Callable[[str], str | None],
    raw: Callable[[str], str] = lambda raw: raw,
) -> Wrap:
    """The mock, seeing the query parameter ``name`` as ``change(value)`` (``None``: dropped);
    ``raw`` rewrites that parameter's still-encoded text first."""

    def rewrite(environ: dict[str, Any]) -> dict[str, Any]:
        pairs = []
        for part in environ.get("QUERY_STRING", "").split("&"):
            key, eq, value = part.partition("=")
            if unquote_plus(key) == name:
                new = change(unquote_plus(raw(value)))
                if new is None:
                    continue
                part = f"{key}={quote(new, safe='')}"
            pairs.append(part)
        return {**environ, "QUERY_STRING": "&".join(pairs)}

    return rewrite_request(rewrite)


def _token_when(accepted: Callable[[str], bool]) -> Callable[[dict[str, Any]], dict[str, Any]]:
    """The auth layer lets a bearer token through when ``accepted(token)``."""

    def rewrite(environ: dict[str, Any]) -> dict[str, Any]:
        sent = parse_authorization(environ.get("HTTP_AUTHORIZATION"))
        ok = sent is not None and sent.is_bearer and accepted(sent.token)
        return {**environ, "HTTP_AUTHORIZATION": VALID} if ok else environ

    return rewrite


def _split_on_whitespace(environ: dict[str, Any]) -> dict[str, Any]:
    parts = environ.get("HTTP_AUTHORIZATION", "").split()
    return {**environ, "HTTP_AUTHORIZATION": " ".join(parts)} if len(parts) == 2 else environ


def _token_from_query(environ: dict[str, Any]) -> dict[str, Any]:
    sent = Request(environ).args.get("access_token")
    if sent is None or "HTTP_AUTHORIZATION" in environ:
        return environ
    return {**environ, "HTTP_AUTHORIZATION": f"Bearer {sent}"}


def _ignore_auth(environ: dict[str, Any]) -> dict[str, Any]:
    return environ if "HTTP_AUTHORIZATION" in environ else {**environ, "HTTP_AUTHORIZATION": VALID}


def _accept_any_token(environ: dict[str, Any]) -> dict[str, Any]:
    sent = environ.get("HTTP_AUTHORIZATION", "")
    return {**environ, "HTTP_AUTHORIZATION": VALID} if sent.startswith("Bearer ") else environ


def _echo_token(request: Request, response: Response) -> Response:
    sent = request.headers.get("Authorization", "")
    response.set_data(json.dumps({"detail": f"Invalid token: {sent!r}."}))
    return response


def _server_error_on_both_filters(request: Request, response: Response) -> Response:
    if all(name in request.args for name in FILTERS):
        return Response(
            json.dumps({"detail": "A server error occurred."}), 500, mimetype="application/json"
        )
    return response


def _not_found_for_unknown(request: Request, response: Response) -> Response:
    if response.status_code == 200 and request.args and response.get_data() == b"[]":
        return Response(json.dumps({"detail": "Not found."}), 404, mimetype="application/json")
    return response


def _as_html(request: Request, response: Response) -> Response:
    if request.method == "GET" and response.status_code == 200:
        response.headers["Content-Type"] = "text/html; charset=utf-8"
    return response


def _unpassed_letter(records: list[Record]) -> list[Record]:
    """One in four records shows a Pass letter with no passed timestamp, the same ones in
    every answer (so the defect is the invariant alone, not answers that disagree)."""
    return [
        _set(r, letter_grade="Pass", passed_timestamp=None) if _stable_id(r) % 4 == 0 else r
        for r in records
    ]


CATALOGUE: tuple[BrokenServer, ...] = (
    BrokenServer(
        "wrong-type",
        "percent_grade is a JSON number, not a string",
        "schemathesis/response-violates-schema",
        rewrite_records(lambda rs: [_set(r, percent_grade=0.5) for r in rs]),
    ),
    BrokenServer(
        "rfc3339-timestamp",
        "passed_timestamp in RFC 3339 ('T', 'Z')",
        "schemathesis/response-violates-schema",
        rewrite_records(
            lambda rs: [
                _set(r, passed_timestamp=r["passed_timestamp"].replace(" ", "T") + "Z")
                if r["passed_timestamp"]
                else r
                for r in rs
            ]
        ),
    ),
    BrokenServer(
        "missing-field",
        "last_date left out of every record",
        "schemathesis/response-violates-schema",
        rewrite_records(lambda rs: [_without(r, "last_date") for r in rs]),
    ),
    BrokenServer(
        "extra-field",
        "an undocumented grade_id field in every record",
        "schemathesis/response-violates-schema",
        rewrite_records(lambda rs: [_set(r, grade_id=_stable_id(r)) for r in rs]),
    ),
    BrokenServer(
        "course-filter-ignored",
        "course_id is ignored (everything returned)",
        "filter-soundness/course_id",
        refilter(lambda r, f: "username" not in f or r["username"] == f["username"]),
    ),
    BrokenServer(
        "prefix-match",
        "course_id matches as a prefix (LIKE 'v%')",
        "near-miss/prefix",
        refilter(loosely("course_id", lambda have, asked: have.startswith(asked))),
    ),
    BrokenServer(
        "case-insensitive",
        "username matches case-insensitively (a _ci collation)",
        "near-miss/other-case",
        refilter(loosely("username", lambda have, asked: have.lower() == asked.lower())),
    ),
    BrokenServer(
        "extension-match",
        "username matches when the asked value extends it (VARCHAR truncation)",
        "near-miss/extension",
        refilter(loosely("username", lambda have, asked: asked.startswith(have))),
    ),
    BrokenServer(
        "accent-insensitive",
        "username matches with accents folded (an _ai collation: zoë = zoe)",
        "near-miss/accent-folded",
        refilter(loosely("username", lambda have, asked: _folded(have) == _folded(asked))),
    ),
    BrokenServer(
        "unicode-normalised",
        "username NFC-normalised before validation and lookup",
        "near-miss/unicode-form",
        rewrite_query("username", lambda v: unicodedata.normalize("NFC", v)),
    ),
    BrokenServer(
        "trailing-space-ignored",
        "username trailing spaces ignored (MySQL PAD SPACE)",
        "near-miss/padded",
        rewrite_query("username", lambda v: v.rstrip(" ")),
    ),
    BrokenServer(
        "blank-is-no-filter",
        "a blank course_id is read as no filter",
        "near-miss/blank",
        rewrite_query("course_id", lambda v: None if v == "" else v),
    ),
    BrokenServer(
        "plus-decoded-twice",
        "course_id is percent-decoded twice (%2B -> + -> space)",
        "near-miss/plus",
        rewrite_query("course_id", lambda v: v, raw=lambda raw: raw.replace("%2B", "+")),
    ),
    BrokenServer(
        "like-wildcard-username",
        "username compared with SQL LIKE, unescaped: '_' matches any character",
        "near-miss/metacharacter",
        refilter(loosely("username", _like)),
    ),
    BrokenServer(
        "like-wildcard-course",
        "course_id compared with SQL LIKE, unescaped: '_' matches any character",
        "near-miss/metacharacter",
        refilter(loosely("course_id", _like)),
    ),
    BrokenServer(
        "username-matches-email",
        "the username filter also matches the learner's email",
        "near-miss/other-key",
        refilter(
            lambda r, f: all(
                r[k] == v or (k == "username" and r["email"] == v) for k, v in f.items()
            )
        ),
    ),
    BrokenServer(
        "repeated-filter-last-wins",
        "a repeated filter is read as its last value (no 400)",
        "near-miss/repeated",
        rewrite_request(_last_of_each),
    ),
    BrokenServer(
        "shared-filter-state",
        "the current filter kept in state shared by the server's threads",
        "filter-soundness/course_id",
        shared_filter_slot(),
    ),
    BrokenServer(
        "filters-ored",
        "course_id and username are OR-ed",
        "filter-soundness/course_id",
        refilter(lambda r, f: any(r[k] == v for k, v in f.items())),
    ),
    BrokenServer(
        "auth-ignored",
        "no token at all still gets 200",
        "auth/no-token",
        rewrite_request(_ignore_auth),
    ),
    BrokenServer(
        "any-token",
        "any bearer token is accepted",
        "auth/unknown-token",
        rewrite_request(_accept_any_token),
    ),
    BrokenServer(
        "cache-ignores-credentials",
        "a URL-keyed response cache in front of the auth layer",
        "auth/no-token",
        url_keyed_cache(),
    ),
    BrokenServer(
        "token-prefix",
        "a prefix of the token is accepted",
        "near-miss/token-prefix",
        rewrite_request(_token_when(lambda sent: bool(sent) and TOKEN.startswith(sent))),
    ),
    BrokenServer(
        "token-extension",
        "the token with anything appended is accepted",
        "near-miss/token-extension",
        rewrite_request(_token_when(lambda sent: sent.startswith(TOKEN))),
    ),
    BrokenServer(
        "token-case-insensitive",
        "the token is compared case-insensitively",
        "near-miss/token-other-case",
        rewrite_request(_token_when(lambda sent: sent.lower() == TOKEN.lower())),
    ),
    BrokenServer(
        "token-whitespace-split",
        "the header is split on any whitespace (Bearer<TAB>token passes)",
        "near-miss/token-padded",
        rewrite_request(_split_on_whitespace),
    ),
    BrokenServer(
        "token-in-query",
        "a token in ?access_token= is accepted",
        "near-miss/token-in-query",
        rewrite_request(_token_from_query),
    ),
    BrokenServer(
        "server-error",
        "HTTP 500 when both filters are given",
        "server-error",
        rewrite_response(_server_error_on_both_filters),
    ),
    BrokenServer(
        "html-content-type",
        "grades served as text/html",
        "schemathesis/undocumented-content-type",
        rewrite_response(_as_html),
    ),
    BrokenServer(
        "envelope",
        'an object {"results": [...]} instead of the bare array',
        "schemathesis/response-violates-schema",
        rewrite_records(lambda rs: {"results": rs}),
    ),
    BrokenServer(
        "401-without-www-authenticate",
        "401 answers lack WWW-Authenticate",
        "auth/no-token",
        rewrite_response(on_status(401, _header("WWW-Authenticate", None))),
    ),
    BrokenServer(
        "duplicates",
        "every record sent twice",
        "invariant/unique-learner-course",
        rewrite_records(lambda rs: rs + rs),
    ),
    BrokenServer(
        "letter-without-timestamp",
        "a Pass letter_grade with a null passed_timestamp",
        "invariant/letter-grade-has-passed-timestamp",
        rewrite_records(_unpassed_letter),
    ),
    BrokenServer(
        "cors-wildcard-headers",
        "preflight allows headers '*' (not Authorization)",
        "cors/preflight",
        rewrite_response(_header("Access-Control-Allow-Headers", "*")),
    ),
    BrokenServer(
        "token-echoed",
        "the 401 body echoes the token sent",
        "auth/token-echoed",
        rewrite_response(on_status(401, _echo_token)),
    ),
    BrokenServer(
        "unknown-is-404",
        "an unknown course or learner gets 404, not []",
        "unknown-filter-gives-empty-list",
        rewrite_response(_not_found_for_unknown),
    ),
)


def _reflect_origin(request: Request, response: Response) -> Response:
    """Any Origin echoed back, with no Vary: Origin (what many CORS middlewares do)."""
    origin = request.headers.get("Origin")
    if origin:
        response.headers["Access-Control-Allow-Origin"] = origin
        response.headers.pop("Vary", None)
    return response


ADVISORY: tuple[BrokenServer, ...] = (
    BrokenServer(
        "cache-public",
        "authenticated grades answered Cache-Control: public, max-age=600",
        "http/shared-cache",
        rewrite_response(on_status(200, _header("Cache-Control", "public, max-age=600"))),
    ),
    BrokenServer(
        "origin-reflected-without-vary",
        "any Origin reflected in Access-Control-Allow-Origin, without Vary: Origin",
        "cors/vary-origin",
        rewrite_response(_reflect_origin),
    ),
)
"""Servers that honour the spec but not HTTP or CORS semantics beyond it: advisories by
default (exit 0, named in the summary), violations with ``--strict-http``."""
