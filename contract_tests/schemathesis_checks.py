"""Domain rules as Schemathesis checks: run on every response Schemathesis gets back.

Registered with ``@schemathesis.check`` when this module is imported (the plugin does), so
they run beside the built-in checks on every generated request, including the fuzz
profile's thousands. Each delegates to one pure rule of :mod:`grades_kit.contract.checks` or
:mod:`contract_tests.invariant_severity` and raises a :class:`ContractViolation` carrying the
findings (Schemathesis keeps it as its failure's ``exception``, where the verdict reads it).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

import schemathesis

from grades_kit.contract import checks as rules
from grades_kit.contract.authorization import parse_authorization
from grades_kit.contract.loader import GRADES_PATH, load_contract
from grades_kit.contract.redaction import MIN_SECRET
from grades_kit.contract.registry import Finding, rule
from grades_kit.contract_tests import invariant_severity as invariants
from grades_kit.contract_tests.violation import ContractViolation

GradesCase = schemathesis.Case[Any]


@schemathesis.check
def grades_filter_soundness(
    ctx: schemathesis.CheckContext, response: schemathesis.Response, case: GradesCase
) -> bool | None:
    """Every record of a filtered answer matches the filter(s) of the request (AND)."""
    records = _records(response, case)
    filters = load_contract().query_parameters()
    params = {k: v for k, v in (case.query or {}).items() if k in filters and isinstance(v, str)}
    if records is None or not params:
        return None
    _raise_first(rules.filter_soundness(params, records))
    return True


@schemathesis.check
def grades_invariants(
    ctx: schemathesis.CheckContext, response: schemathesis.Response, case: GradesCase
) -> bool | None:
    """The spec's ``x-invariants`` hold on every answer: strict ones fail, advisory ones warn."""
    records = _records(response, case)
    if records is None:
        return None
    for invariant in load_contract().invariants():
        detail = invariants.verdict(invariant, list(invariants.violations(invariant, records)))
        if detail is not None:
            raise ContractViolation([Finding(rule(f"invariant/{invariant.id}"), detail)])
    return True


@schemathesis.check
def grades_token_not_echoed(
    ctx: schemathesis.CheckContext, response: schemathesis.Response, case: GradesCase
) -> bool | None:
    """No answer echoes the bearer token the request carried."""
    sent = parse_authorization(response.request.headers.get("Authorization"))
    if sent is None or not sent.is_bearer or len(sent.token) < MIN_SECRET:
        return None
    _raise_first(rules.token_not_echoed(sent.token, response.text or ""))
    return True


def _records(response: schemathesis.Response, case: GradesCase) -> list[Any] | None:
    """The JSON array of a 200 answer to the grades GET, or ``None`` (not ours to judge)."""
    if case.operation.path != GRADES_PATH or case.method.upper() != "GET":
        return None
    if response.status_code != 200:
        return None
    try:
        body = json.loads(response.content or b"")
    except ValueError:
        return None  # content type / schema conformance report this
    return body if isinstance(body, list) and all(isinstance(r, Mapping) for r in body) else None


def _raise_first(findings: Iterable[Finding]) -> None:
    found = list(findings)
    if found:
        raise ContractViolation(found)
