"""Schema-driven: Schemathesis generates requests from the spec and runs every check on them.

Built-in checks (server errors, status codes, content type, response schema and headers,
negative data rejection, positive data acceptance, ignored auth, ...) plus the domain checks
of :mod:`contract_tests.checks` on every response.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import pytest
import requests
import schemathesis

from contract_tests.client import GradesClient
from contract_tests.health import (
    InstanceUnhealthy,
    call_patiently,
    request_line,
    transport_problem,
)
from contract_tests.plugin import RunState
from contract_tests.traffic import TrafficLog

schema = schemathesis.pytest.from_fixture("grades_schema")


@schema.parametrize()
def test_generated_requests_conform(
    case: schemathesis.Case[Any],
    run_state: RunState,
    client: GradesClient,
    traffic: TrafficLog | None,
) -> None:
    """Each generated request's answer passes every check (the operation is in the test id)."""
    if run_state.out_of_time() and not run_state.failed:
        return  # --max-time spent: the remaining examples are not sent
    if run_state.no_verdict_reason() is not None:
        pytest.skip("the run already has no verdict")  # e.g. OPTIONS after GET met a dead host
    line = client.mask(request_line(case.method, case.formatted_path + _query(case)))
    try:
        response = call_patiently(
            lambda timeout: case.call(timeout=timeout), _retry_info, run_state.budget, line
        )
        if traffic is not None:
            curl = client.curl(response.request)
            traffic.record(
                "schemathesis",
                response.request,
                response.status_code,
                response.content,
                response.elapsed * 1000,
                curl,
            )
        case.validate_response(response)
    except requests.RequestException as exc:  # from a check's own request (e.g. ignored_auth)
        problem = transport_problem(exc, run_state.budget.request_timeout_s)
        raise run_state.budget.fail(InstanceUnhealthy(problem, line)) from None
    except BaseException:
        run_state.failed = True  # from now on every example is sent, so shrinking replays
        raise


def _retry_info(response: schemathesis.Response) -> tuple[int, str | None]:
    values = response.headers.get("retry-after") or []  # Schemathesis lowercases header names
    return response.status_code, values[0] if values else None


def _query(case: schemathesis.Case[Any]) -> str:
    return "?" + urlencode(case.query, doseq=True) if case.query else ""
