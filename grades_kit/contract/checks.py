"""The domain rules Schemathesis cannot know, each one pure function stating one rule.

A check takes what was asked and what came back and yields :class:`Finding`s, one per broken
instance, each carrying its :class:`Rule` from the registry (``filter-soundness/course_id``...).
No HTTP here: the tests and the Schemathesis checks fetch, these judge, so every rule can be
read (and unit-tested) without a server.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

import jsonschema

from grades_kit.contract.loader import Contract
from grades_kit.contract.matching import near_miss
from grades_kit.contract.registry import Finding, Rule, rule
from grades_kit.contract.schema_errors import describe

Record = Mapping[str, Any]
SCHEMA_VIOLATED = rule("schemathesis/response-violates-schema")
NOT_JSON = rule("schemathesis/json-deserialization-error")
UNDOCUMENTED_STATUS = rule("schemathesis/undocumented-status-code")
UNDOCUMENTED_CONTENT_TYPE = rule("schemathesis/undocumented-content-type")
MISSING_HEADERS = rule("schemathesis/missing-required-response-headers")
BAD_REQUEST_ACCEPTED = rule("schemathesis/schema-violating-request-accepted")
GOOD_REQUEST_REJECTED = rule("schemathesis/schema-valid-request-rejected")
"""The rules Schemathesis' own checks enforce (see ``contract_tests/violation.py``), which
the checks below also judge without Schemathesis (the validating proxy, the suite's tests)."""
TOKEN_ECHOED = rule("auth/token-echoed")
SERVER_ERROR = rule("server-error")


def filter_soundness(
    params: Mapping[str, str], records: Sequence[Any], start: int = 0
) -> Iterator[Finding]:
    """Every record returned for ``course_id=X`` has that course; likewise ``username``.

    With both filters a record must match both (AND), so each filter is checked on its own.
    ``start`` is the index of ``records[0]`` in the answer (a streamed answer comes in parts).
    A record whose value is a near miss of the asked one (another case, a prefix...) is
    reported under that near-miss class: it names how the server compares.
    """
    both = " (both filters given: a record must match both)" if len(params) > 1 else ""
    for index, record in enumerate(records, start):
        if not isinstance(record, Mapping):
            continue
        for name, wanted in params.items():
            if name in record and record[name] != wanted:
                yield Finding(
                    _mismatch(name, wanted, record),
                    f"record {index} has {name} {record[name]!r} but the request filtered "
                    f"{name}={wanted!r}{both}",
                )


def _mismatch(name: str, wanted: str, record: Mapping[str, Any]) -> Rule:
    """The near-miss class relating the asked value to the record's (another case, a
    wildcard...), or ``other-key`` when another field of the record has the asked value (an
    email for ``username``), else the filter's soundness rule."""
    got = record[name]
    klass = near_miss(wanted, got) if isinstance(got, str) else None
    if klass is None and any(v == wanted for k, v in record.items() if k != name):
        klass = "other-key"
    return rule(f"near-miss/{klass}") if klass else rule(f"filter-soundness/{name}")


def filter_completeness(
    params: Mapping[str, str], filtered: Sequence[Any], unfiltered: Sequence[Any]
) -> Iterator[Finding]:
    """The filtered answer is exactly the matching subset of the unfiltered one (multisets)."""
    expected = Counter(_key(r) for r in unfiltered if _matches(r, params))
    actual = Counter(_key(r) for r in filtered)
    broken = rule("filter-completeness/" + "+".join(params))
    asked = _query(params)
    for record, count in (expected - actual).items():
        yield Finding(broken, f"{asked} left out {count} matching record(s) {record}")
    for record, count in (actual - expected).items():
        yield Finding(
            broken,
            f"{asked} returned {count} record(s) the unfiltered list has no match for {record}",
        )


def union_of_courses(
    unfiltered: Sequence[Any], by_course: Mapping[str, Sequence[Any]]
) -> Iterator[Finding]:
    """The union of the answers for every course equals the unfiltered list (as multisets)."""
    union: Counter[str] = Counter()
    for records in by_course.values():
        union.update(_key(r) for r in records)
    whole = Counter(_key(r) for r in unfiltered)
    for record, count in (whole - union).items():
        yield Finding(
            rule("filter-completeness/union-of-courses"),
            f"{count} record(s) of the unfiltered list appear under no course filter: {record}",
        )
    for record, count in (union - whole).items():
        yield Finding(
            rule("filter-completeness/union-of-courses"),
            f"{count} record(s) appear under a course filter but not unfiltered: {record}",
        )


def unknown_value_gives_empty(
    params: Mapping[str, str], status: int, body: Any
) -> Iterator[Finding]:
    """An unknown course or learner is answered 200 with an empty list, not an error."""
    if status != 200 or body != []:
        shown = "a JSON array of " + str(len(body)) if isinstance(body, list) else repr(body)[:80]
        yield Finding(
            rule("unknown-filter-gives-empty-list"),
            f"{_query(params)} names no record of the instance: expected 200 [], "
            f"got HTTP {status} with {shown}",
        )


def example_shape(name: str, expected: Sequence[Any], actual: Any) -> Iterator[Finding]:
    """The answer to an example's query has the example's shape: same keys and value types.

    Data differs between instances, so values are not compared; an ``empty`` example must
    be answered ``[]``.
    """
    shape = rule(f"example-shape/{name}")
    if not isinstance(actual, list):
        yield Finding(shape, f"expected a JSON array like example {name!r}, got {_type(actual)}")
        return
    if not expected:
        if actual:
            yield Finding(shape, f"example {name!r} is [] but the answer has {len(actual)} records")
        return
    model = {key: _type(value) for key, value in expected[0].items()}
    nullable = {key for record in expected for key, value in record.items() if value is None}
    for index, record in enumerate(actual):
        if not isinstance(record, Mapping):
            yield Finding(shape, f"record {index} is {_type(record)}, not an object")
            continue
        if set(record) != set(model):
            missing, extra = sorted(set(model) - set(record)), sorted(set(record) - set(model))
            yield Finding(shape, f"record {index} keys differ: missing {missing}, extra {extra}")
        for key, kind in model.items():
            got = _type(record.get(key))
            if key in record and got != kind and not (key in nullable and got in ("null", "str")):
                yield Finding(shape, f"record {index} field {key!r} is {got}, example has {kind}")


def error_response(contract: Contract, broken: Rule, status: int, body: Any) -> Iterator[Finding]:
    """An error answer carries the spec's ``Error`` body (one ``detail`` message)."""
    try:
        contract.validator("Error").validate(body)
    except jsonschema.ValidationError as exc:
        yield Finding(broken, f"the HTTP {status} body is not the Error schema: {describe(exc)}")


def token_not_echoed(token: str, text: str) -> Iterator[Finding]:
    """An error never echoes the caller's token (it would land in logs and screenshots)."""
    if token and token in text:
        yield Finding(TOKEN_ECHOED, "the response body echoes the token the request sent")


def _matches(record: Any, params: Mapping[str, str]) -> bool:
    return isinstance(record, Mapping) and all(record.get(k) == v for k, v in params.items())


def _key(record: Any) -> str:
    """A hashable, readable identity of a whole record, for multiset comparison."""
    if isinstance(record, Mapping):
        return repr(sorted((str(k), repr(v)) for k, v in record.items()))
    return repr(record)


def _query(params: Mapping[str, str]) -> str:
    return "the request " + "&".join(f"{k}={v!r}" for k, v in params.items())


def _type(value: Any) -> str:
    return "null" if value is None else type(value).__name__


def auth_rejected(
    contract: Contract, scenario: str, status: int, headers: Mapping[str, str], body: Any
) -> Iterator[Finding]:
    """A missing, malformed or unknown token is answered 401, ``WWW-Authenticate: Bearer``
    and the ``Error`` body."""
    broken = rule(f"auth/{scenario}")
    if status != 401:
        yield Finding(broken, f"expected HTTP 401, got {status}")
        return
    header = contract.response(401)["headers"]["WWW-Authenticate"]
    value = headers.get("WWW-Authenticate")
    if value is None:
        yield Finding(broken, "the 401 has no WWW-Authenticate header")
    elif not re.match(header["schema"]["pattern"], value):
        yield Finding(broken, f"WWW-Authenticate {value!r} does not name the Bearer scheme")
    yield from error_response(contract, broken, status, body)


def preflight_allows_get_with_authorization(
    contract: Contract, origin: str, status: int, headers: Mapping[str, str]
) -> Iterator[Finding]:
    """A browser preflight from another origin may send ``GET`` with ``Authorization``.

    ``Access-Control-Allow-Headers: *`` does not cover ``Authorization`` (Fetch standard), so
    the header must be listed by name.
    """
    preflight = rule("cors/preflight")
    if status not in contract.statuses("options"):
        declared = contract.statuses("options")
        yield Finding(preflight, f"the preflight got HTTP {status}, expected one of {declared}")
        return
    yield from cors_origin_allowed(origin, status, headers, preflight)
    methods = _tokens(headers.get("Access-Control-Allow-Methods", ""))
    if not methods & {"get", "*"}:
        yield Finding(
            preflight, f"Access-Control-Allow-Methods {sorted(methods)} does not allow GET"
        )
    allowed = _tokens(headers.get("Access-Control-Allow-Headers", ""))
    if "authorization" not in allowed:
        wildcard = " (the '*' wildcard does not cover Authorization)" if "*" in allowed else ""
        yield Finding(
            preflight,
            f"Access-Control-Allow-Headers {sorted(allowed)} does not list Authorization{wildcard}",
        )


def _tokens(header: str) -> set[str]:
    return {part.strip().lower() for part in header.split(",") if part.strip()}


def record_key(record: Any) -> str:
    """A whole record's identity for multiset comparison (every field, not just the keys)."""
    return _key(record)


def renamed(findings: Iterable[Finding], probe: Rule | None) -> Iterator[Finding]:
    """``findings`` reported under ``probe`` (a near-miss class), naming the rule they broke.

    ``None`` keeps them as they are.
    """
    for finding in findings:
        if probe is None or finding.rule == probe:
            yield finding
        else:
            yield Finding(probe, f"{finding.detail} [{finding.rule.id}]")


def union_discrepant_courses(
    unfiltered: Sequence[Any], by_course: Mapping[str, Sequence[Any]]
) -> set[str]:
    """The courses whose records differ between the unfiltered list and the course answers.

    A union discrepancy is always local to some courses, so only those need re-fetching.
    """
    whole: dict[str, Counter[str]] = {}
    for record in unfiltered:
        if isinstance(record, Mapping) and isinstance(record.get("course_id"), str):
            whole.setdefault(record["course_id"], Counter())[_key(record)] += 1
    courses = set(whole) | set(by_course)
    return {
        course
        for course in courses
        if whole.get(course, Counter()) != Counter(_key(r) for r in by_course.get(course, ()))
    }


def near_miss_rejected(
    probe: Rule, params: Mapping[str, str], status: int, body: Any
) -> Iterator[Finding]:
    """A filter value outside the parameter's pattern is answered 400, never read as another.

    A trimming ORM, a normalising proxy or a blank-as-no-filter reading answers 200 instead.
    """
    yield from _refused(probe, f"{_query(params)} is outside the parameter's pattern", status, body)


def near_miss_token_rejected(probe: Rule, variant: str, status: int) -> Iterator[Finding]:
    """A token that is not exactly a valid token is answered 401 (``variant`` says how)."""
    if status != 401:
        yield Finding(probe, f"the run's token {variant} must be answered HTTP 401, got {status}")


def cors_origin_allowed(
    origin: str, status: int, headers: Mapping[str, str], broken: Rule | None = None
) -> Iterator[Finding]:
    """An answer to a cross-origin request lets that origin read it (errors too, so a
    browser page can read their ``detail``)."""
    allowed = headers.get("Access-Control-Allow-Origin")
    if allowed not in ("*", origin):
        yield Finding(
            broken or rule("cors/response"),
            f"the HTTP {status} to a cross-origin request has no usable "
            f"Access-Control-Allow-Origin (got {allowed!r}; '*' or {origin!r} expected)",
        )


def declared_status(contract: Contract, method: str, status: int) -> Iterator[Finding]:
    """The status is one the operation declares (Schemathesis' ``status_code_conformance``)."""
    declared = contract.statuses(method)
    if status not in declared:
        yield Finding(
            UNDOCUMENTED_STATUS,
            f"HTTP {status} is not declared for {method.upper()} (declared: {declared})",
        )


def declared_content_type(
    contract: Contract, method: str, status: int, content_type: str | None
) -> Iterator[Finding]:
    """A body comes with a media type the response declares (``content_type_conformance``)."""
    declared = sorted(contract.response(status, method).get("content", {}))
    media = (content_type or "").split(";")[0].strip().lower()
    if declared and media not in declared:
        yield Finding(
            UNDOCUMENTED_CONTENT_TYPE,
            f"Content-Type {content_type!r} on HTTP {status}, declared: {declared}",
        )


def declared_headers(
    contract: Contract, method: str, status: int, headers: Mapping[str, str]
) -> Iterator[Finding]:
    """Each header the response declares is present when required and matches its schema
    (Schemathesis' ``response_headers_conformance``)."""
    for name, header in contract.response(status, method).get("headers", {}).items():
        value = headers.get(name)
        if value is None:
            if header.get("required"):
                yield Finding(MISSING_HEADERS, f"the HTTP {status} has no {name} header")
            continue
        pattern = header.get("schema", {}).get("pattern")
        if pattern and not re.search(pattern, value):
            yield Finding(
                SCHEMA_VIOLATED,
                f"{name} {value!r} does not match the spec's pattern {pattern!r}",
            )


def repeated_filter_rejected(probe: Rule, name: str, status: int, body: Any) -> Iterator[Finding]:
    """A filter given twice is answered 400 (the spec: "Each filter may be given at most
    once"): a framework that keeps the first or the last value answers 200 instead."""
    yield from _refused(probe, f"the request gave {name} twice ({name}=…&{name}=…)", status, body)


def bad_request_names_parameter(name: str, status: int, body: Any) -> Iterator[Finding]:
    """A 400 for a forbidden value of ``name`` says which parameter it refused (the spec:
    "`detail` names the parameter"), so a developer can fix the request from the message."""
    detail = body.get("detail") if isinstance(body, dict) else None
    if status == 400 and isinstance(detail, str) and name not in detail:
        yield Finding(
            rule("bad-request-names-parameter"),
            f"the 400 for a forbidden {name} has a detail that does not name {name}",
        )


def _refused(probe: Rule, request: str, status: int, body: Any) -> Iterator[Finding]:
    """A request the spec answers 400 that got another status (and how many records)."""
    if status != 400:
        got = f" with {len(body)} record(s)" if isinstance(body, list) else ""
        yield Finding(probe, f"{request}: expected HTTP 400, got {status}{got}")


def shared_cache_may_store(headers: Mapping[str, str]) -> Iterator[Finding]:
    """Grades are one user's data: an answer to an authenticated request must not let a
    shared cache store it. RFC 9111 section 3.5 lets a shared cache reuse such an answer
    when it says ``public`` or ``s-maxage``; ``private`` or ``no-store`` keeps it out."""
    value = headers.get("Cache-Control", "")
    names = {directive.split("=")[0].strip() for directive in _tokens(value)}
    if names & {"public", "s-maxage"} and not names & {"private", "no-store"}:
        yield Finding(
            rule("http/shared-cache"),
            f"an authenticated answer says Cache-Control: {value!r}, so a shared cache may "
            "serve one user's grades to another (RFC 9111 section 3.5; send private or no-store)",
        )


def echoed_origin_varies(origin: str, headers: Mapping[str, str]) -> Iterator[Finding]:
    """An ``Access-Control-Allow-Origin`` that echoes the request's ``Origin`` depends on it:
    without ``Vary: Origin`` a cache may serve one origin's answer to another (Fetch
    standard, "CORS protocol and HTTP caches"; RFC 9110 section 12.5.5)."""
    if headers.get("Access-Control-Allow-Origin") != origin:
        return
    vary = _tokens(headers.get("Vary", ""))
    if not vary & {"origin", "*"}:
        yield Finding(
            rule("cors/vary-origin"),
            f"Access-Control-Allow-Origin echoes the request's Origin without Vary: Origin "
            f"(Vary: {headers.get('Vary')!r}): a cache may serve it to another origin",
        )
