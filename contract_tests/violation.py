"""What a failed test carries: typed findings of registry rules, never a message to parse.

The suite's own tests and checks raise :class:`ContractViolation` holding :class:`Finding`s;
Schemathesis' checks raise its ``Failure`` subclasses, each mapped to a rule by its class
(:data:`FAILURE_RULES`, so one failure class is one rule whatever its title, with
Schemathesis' severity); Hypothesis and Schemathesis group them in exception groups. Any
other exception is still reported, as ``suite/unexpected-error`` naming its type.
:func:`findings_of` reduces all of these to findings for the verdict.
"""

from __future__ import annotations

from collections.abc import Sequence

from schemathesis.core.failures import (
    AcceptedNegativeData,
    CustomFailure,
    Failure,
    MalformedJson,
    ResponseTimeExceeded,
    ServerError,
)
from schemathesis.openapi.checks import (
    AllowHeaderMismatch,
    IgnoredAuth,
    JsonSchemaError,
    MalformedMediaType,
    MissingContentType,
    MissingHeaderNotRejected,
    MissingHeaders,
    RejectedPositiveData,
    UndefinedContentType,
    UndefinedStatusCode,
)

from grades_kit.contract.registry import Finding, rule

CURL_NOTE = "grades-contract replay: "
"""The prefix of the note :func:`attach_curl` adds (notes survive Schemathesis' re-raising)."""
MAX_DETAIL = 160
FAILURE_RULES: dict[type[Failure], str] = {
    ServerError: "server-error",  # ContentTypeServerError too, a subclass
    JsonSchemaError: "schemathesis/response-violates-schema",  # a body or a header
    MalformedJson: "schemathesis/json-deserialization-error",
    UndefinedStatusCode: "schemathesis/undocumented-status-code",
    UndefinedContentType: "schemathesis/undocumented-content-type",
    MissingContentType: "schemathesis/missing-content-type-header",
    MalformedMediaType: "schemathesis/malformed-media-type",
    MissingHeaders: "schemathesis/missing-required-response-headers",
    AcceptedNegativeData: "schemathesis/schema-violating-request-accepted",
    RejectedPositiveData: "schemathesis/schema-valid-request-rejected",
    MissingHeaderNotRejected: "schemathesis/missing-required-header-accepted",
    IgnoredAuth: "schemathesis/ignored-auth",  # both of its titles
    AllowHeaderMismatch: "schemathesis/allow-header-mismatch",
    ResponseTimeExceeded: "latency-budget",
}
"""Schemathesis' failure classes (of the checks the suite runs) and the rule each breaks."""
UNEXPECTED = "suite/unexpected-error"


class ContractViolation(AssertionError):
    """A response broke rules of the contract (exit 1): the findings, and how to reproduce."""

    def __init__(self, findings: Sequence[Finding], reproduction: str = "", curl: str = "") -> None:
        if not findings:
            raise ValueError("a ContractViolation needs at least one finding")
        self.findings = tuple(Finding(f.rule, f.detail, curl or f.reproduction) for f in findings)
        self.curl = curl
        """The masked curl command that reproduces it (the verdict's summary shows it)."""
        lines = [f"[{f.rule.id}] {f.detail}" for f in self.findings]
        super().__init__("\n".join(lines) + reproduction)


def attach_curl(exc: BaseException, curl: str) -> None:
    """Remember the masked curl command of the request that ``exc`` is about."""
    exc.add_note(CURL_NOTE + curl)


def findings_of(exc: BaseException, curl: str = "") -> list[Finding]:
    """Every finding ``exc`` carries (group members included), one per rule: the first of
    each rule, counting the others of that rule."""
    found = _all_findings(exc, curl)
    by_rule: dict[str, list[Finding]] = {}
    for finding in found:
        by_rule.setdefault(finding.rule.id, []).append(finding)
    return [_first_of(same) for same in by_rule.values()]


def _all_findings(exc: BaseException, curl: str) -> list[Finding]:
    notes = [n for n in getattr(exc, "__notes__", []) if str(n).startswith(CURL_NOTE)]
    curl = notes[-1][len(CURL_NOTE) :] if notes else curl
    if isinstance(exc, CustomFailure):
        return _all_findings(exc.exception, curl)
    if isinstance(exc, BaseExceptionGroup):
        return [f for member in exc.exceptions for f in _all_findings(member, curl)]
    if isinstance(exc, ContractViolation):
        return [Finding(f.rule, f.detail, f.reproduction or curl) for f in exc.findings]
    if isinstance(exc, Failure):
        return [_failure(exc, curl)]
    text = _one_line(str(exc)) or "no message"
    return [Finding(rule(UNEXPECTED), f"{type(exc).__name__}: {text}", curl)]


def _failure(failure: Failure, curl: str) -> Finding:
    """A Schemathesis failure, under the rule of its class (the most specific one mapped)."""
    for kind in type(failure).__mro__:
        if kind in FAILURE_RULES:
            detail = f"{failure.code} {failure.title}: {failure.message}"
            return Finding(rule(FAILURE_RULES[kind]), _one_line(detail), curl)
    detail = f"{type(failure).__name__} ({failure.title}): {failure.message}"
    return Finding(rule(UNEXPECTED), _one_line(detail), curl)


def _first_of(same: list[Finding]) -> Finding:
    first = same[0]
    curl = first.reproduction or next((f.reproduction for f in same if f.reproduction), "")
    more = f" (and {len(same) - 1} more)" if len(same) > 1 else ""
    return Finding(first.rule, _one_line(first.detail) + more, curl)


def _one_line(text: str) -> str:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    line = lines[0] if lines else ""
    return line if len(line) <= MAX_DETAIL else line[: MAX_DETAIL - 3] + "..."
