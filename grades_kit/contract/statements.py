"""Every statement of the spec, and the rules that check it: nothing the spec says goes unchecked.

The spec's prose (each ``description`` and ``summary``, and each ``x-invariants`` rule, sentence
by sentence) is the inventory. A statement is checked by a rule of the registry when

- the rule's own statement is at that place and quotes the sentence (``registry.py``), or
- its place is in :data:`CHECKED_AT`: prose that restates what a schema, a header or a status
  of the spec declares, which the schema, header and status rules enforce, or that a rule
  quoting a twin sentence elsewhere enforces too.

The rest is :data:`INFORMATIVE`: prose about the document itself, its examples, servers and
tags, or about what a browser sends, which no instance can honour or break.
``tests/contract/test_statements.py`` fails when a statement is neither checked nor
informative, and the suite's summary counts the statements a run checked.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from grades_kit.contract.registry import Registry, SpecStatement, registry
from grades_kit.contract.spec_source import ROOT_FILE, Place, escape

TEXT_KEYS = ("description", "summary")
"""The keys whose values are prose (plus ``rule`` inside an ``x-invariants`` entry)."""
GET = f"{ROOT_FILE}#/paths/{escape('/api/so2/v1/grades')}/get"
SCHEMA_RULES = ("schemathesis/response-violates-schema",)
QUERY_RULES = (
    "schemathesis/schema-violating-request-accepted",
    "schemathesis/schema-valid-request-rejected",
)
CHECKED_AT: dict[str, tuple[str, ...]] = {
    "components/schemas/CourseKey.yaml#/description": QUERY_RULES + SCHEMA_RULES,
    "components/schemas/Username.yaml#/description": (
        *QUERY_RULES, *SCHEMA_RULES, "near-miss/other-case",
    ),
    "components/schemas/GradeRecord.yaml#/": (
        *SCHEMA_RULES, "invariant/one-display-name-per-course", "invariant/percent-grade-in-range",
    ),
    "components/schemas/Error.yaml#/description": (*SCHEMA_RULES, "auth/no-token"),
    "components/schemas/Error.yaml#/properties/detail/": ("bad-request-names-parameter",),
    f"{ROOT_FILE}#/info/description": ("cors/preflight", "cors/response"),
    f"{ROOT_FILE}#/paths/{escape('/api/so2/v1/grades')}/options/description": ("cors/preflight",),
    f"{ROOT_FILE}#/components/securitySchemes/bearerAuth/description": (
        "auth/wrong-scheme", "near-miss/token-in-query",
    ),
    f"{ROOT_FILE}#/components/parameters/CourseId/description": (
        *QUERY_RULES, "filter-completeness/course_id", "near-miss/repeated",
    ),
    f"{ROOT_FILE}#/components/parameters/Username/description": (
        *QUERY_RULES, "filter-completeness/username", "near-miss/repeated",
    ),
    f"{ROOT_FILE}#/components/headers/WWW-Authenticate/": ("auth/no-token",),
    f"{ROOT_FILE}#/components/headers/Allow/": ("schemathesis/allow-header-mismatch",),
    f"{ROOT_FILE}#/components/headers/Retry-After/": (
        "schemathesis/missing-required-response-headers",
    ),
    f"{ROOT_FILE}#/components/headers/Access-Control-": ("cors/preflight", "cors/response"),
    f"{ROOT_FILE}#/components/responses/GradeList/description": (
        "unknown-filter-gives-empty-list",
    ),
    f"{ROOT_FILE}#/components/responses/Unauthorized/": ("auth/no-token", "auth/unknown-token"),
    f"{ROOT_FILE}#/components/responses/Forbidden/": ("schemathesis/undocumented-status-code",),
    f"{ROOT_FILE}#/components/responses/TooManyRequests/": (
        "schemathesis/undocumented-status-code",
    ),
    f"{ROOT_FILE}#/components/responses/InternalServerError/": ("server-error",),
    f"{ROOT_FILE}#/components/responses/ServiceUnavailable/": (
        "schemathesis/undocumented-status-code",
    ),
    f"{ROOT_FILE}#/components/responses/CorsPreflight/": ("cors/preflight",),
}  # fmt: skip
"""Places (a prefix of ``file#pointer``) whose every sentence the listed rules check."""
INFORMATIVE: dict[str, str] = {
    "components/examples/": "how each example was corrected from the GitBook page",
    f"{ROOT_FILE}#/info/summary": "the title of the document",
    f"{ROOT_FILE}#/info/description": "what the document is and where it comes from",
    f"{ROOT_FILE}#/servers/": "where instances of the API live",
    f"{ROOT_FILE}#/tags/": "how the operations are grouped",
    f"{GET}/summary": "the operation's title",
    f"{ROOT_FILE}#/paths/{escape('/api/so2/v1/grades')}/options/summary": "the operation's title",
    f"{ROOT_FILE}#/components/parameters/CourseId/examples/": "what an example value is",
    f"{ROOT_FILE}#/components/parameters/Username/examples/": "what an example value is",
    f"{ROOT_FILE}#/components/parameters/Origin/": "what a browser sends",
    f"{ROOT_FILE}#/components/parameters/AccessControlRequest": "what a browser sends",
}
"""Places (a prefix of ``file#pointer``) whose prose states nothing an instance must do.
``/info/description`` is informative only in its sentences no rule checks (see
:func:`coverage`: a checked sentence is counted as checked wherever it stands)."""
_SENTENCE = re.compile(r"(?<=[.;:])\s+(?=[A-Z*`(])")


@dataclass(frozen=True)
class Statement:
    """One sentence of the spec, where it stands."""

    file: str
    pointer: str
    text: str

    @property
    def where(self) -> str:
        return f"{self.file}#{self.pointer}"


@dataclass(frozen=True)
class Coverage:
    """Which rules check a statement; ``informative`` when it needs none."""

    statement: Statement
    rules: tuple[str, ...]
    informative: str | None


def statements(rules: Registry | None = None) -> list[Statement]:
    """Every sentence of the spec's prose, file by file, in document order."""
    source = (rules or registry()).source
    spec_dir = source.spec_dir
    files = sorted(path.relative_to(spec_dir).as_posix() for path in spec_dir.rglob("*.yaml"))
    return [s for file in files for s in _walk(source.node(Place(file, "")), file, "")]


def _walk(node: Any, file: str, pointer: str) -> Iterator[Statement]:
    if isinstance(node, dict):
        for key, value in node.items():
            here = f"{pointer}/{escape(str(key))}"
            prose = key in TEXT_KEYS or (key == "rule" and "/x-invariants/" in pointer)
            if prose and isinstance(value, str):
                yield from (Statement(file, here, s) for s in _sentences(value))
            else:
                yield from _walk(value, file, here)
    elif isinstance(node, list):
        for index, item in enumerate(node):
            yield from _walk(item, file, f"{pointer}/{index}")


def _sentences(text: str) -> list[str]:
    flat = " ".join(text.split())
    return [part for part in _SENTENCE.split(flat) if part.strip()]


def coverage(rules: Registry | None = None) -> tuple[Coverage, ...]:
    """Each statement of the spec with the rules that check it (the bundled spec's: cached)."""
    return _coverage(rules or registry())


@functools.cache
def _coverage(rules: Registry) -> tuple[Coverage, ...]:
    quoted = [
        (f"{r.statement.file}#{r.statement.pointer}", " ".join(r.statement.quote.split()), r.id)
        for r in rules
        if isinstance(r.statement, SpecStatement) and r.statement.quote
    ]
    found = []
    for statement in statements(rules):
        here = statement.where
        checking = [r for at, quote, r in quoted if at == here and _overlap(quote, statement.text)]
        checking += [
            r for prefix, ids in CHECKED_AT.items() if here.startswith(prefix) for r in ids
        ]
        informative = None if checking else _informative(statement)
        found.append(Coverage(statement, tuple(dict.fromkeys(checking)), informative))
    return tuple(found)


def _overlap(quote: str, sentence: str) -> bool:
    return quote in sentence or sentence.rstrip(".") in quote


def _informative(statement: Statement) -> str | None:
    found = (why for prefix, why in INFORMATIVE.items() if statement.where.startswith(prefix))
    return next(found, None)


def unchecked(rules: Registry | None = None) -> list[Statement]:
    """Statements no rule checks and nobody declared informative: each one a gap."""
    return [c.statement for c in coverage(rules) if not c.rules and c.informative is None]


def normative(rules: Registry | None = None) -> list[Coverage]:
    """The statements an instance must honour (each with its checking rules)."""
    return [c for c in coverage(rules) if c.rules]


def not_checked(rules_without_data: set[str]) -> list[Statement]:
    """The normative statements a run did not check: every rule that checks them had no data."""
    return [c.statement for c in normative() if set(c.rules) <= rules_without_data]
