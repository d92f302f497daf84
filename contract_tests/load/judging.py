"""One answer of the load run, judged by the contract's passive rules.

The judge is :mod:`grades_kit.contract.passive`, the one the validating proxy uses (schema,
filter soundness, invariants, auth, CORS), fed the request, the head and the body. The load
run knows two things an observer of traffic cannot, because it chose the request: a token
it made invalid, and a filter value no record has. For those it adds the contract's own
pure checks (:func:`checks.auth_rejected`, :func:`checks.unknown_value_gives_empty`), not
rules of its own.

An answer that says nothing about the contract (no HTTP answer, a gateway's ``502``/``504``,
``503``, a ``429``) is not judged: it is counted as *no answer*, and too many of them stop the
run without a verdict (``--max-error-rate``).
"""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import parse_qsl

import orjson
from werkzeug.datastructures import MultiDict

from grades_kit.contract import checks as rules
from grades_kit.contract.loader import GRADES_PATH
from grades_kit.contract.passive import Judge
from grades_kit.contract.registry import Finding
from grades_kit.contract_tests.health import GATEWAY_STATUSES
from grades_kit.contract_tests.load.mix import Request

__all__ = ["NO_ANSWER_STATUSES", "judge_answer", "no_answer"]

NO_ANSWER_STATUSES = GATEWAY_STATUSES | {429}
"""Answers that speak for an instance that could not (or would not) answer: not judged."""


def no_answer(status: int, error: str | None) -> str | None:
    """Why this answer is not one to judge (``timed out``, ``HTTP 503``), or None."""
    if status == 0 or error:
        return error or "no HTTP answer"
    return f"HTTP {status}" if status in NO_ANSWER_STATUSES else None


def judge_answer(
    judge: Judge,
    request: Request,
    sent: Mapping[str, str],
    status: int,
    headers: Mapping[str, str],
    body: bytes,
) -> list[Finding]:
    """The findings of one exchange whose rules fail (advisories never fail a load run)."""
    query = MultiDict(parse_qsl(request.query, keep_blank_values=True))
    exchange = judge.exchange(request.method, GRADES_PATH, query, sent)
    found = exchange.request() + exchange.head(status, headers)
    found += exchange.feed(body) + exchange.close()
    known = _known_to_the_run(judge, request, query, status, body)
    found += known
    return [f for f in found if f.rule.severity.fails]


def _known_to_the_run(
    judge: Judge, request: Request, query: MultiDict[str, str], status: int, body: bytes
) -> list[Finding]:
    if request.kind == "invalid-token" and status != 401:
        return list(rules.auth_rejected(judge.contract, "unknown-token", status, {}, None))
    if request.kind in ("unknown-course", "unknown-learner"):
        try:
            parsed = orjson.loads(body) if body else None
        except orjson.JSONDecodeError:
            parsed = None
        return list(rules.unknown_value_gives_empty(query.to_dict(), status, parsed))
    return []
