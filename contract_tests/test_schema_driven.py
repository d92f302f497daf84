"""Schema-driven: Schemathesis generates requests from the spec and runs every check on them.

Built-in checks (server errors, status codes, content type, response schema and headers,
negative data rejection, positive data acceptance, ignored auth, ...) plus the domain checks
of :mod:`contract_tests.checks` on every response.
"""

from __future__ import annotations

from typing import Any

import requests
import schemathesis

from contract_tests.client import GradesClient, InstanceUnhealthy
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
    try:
        response = case.call()
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
    except requests.RequestException as exc:
        raise InstanceUnhealthy(
            f"{case.method.upper()} {case.path} failed: {type(exc).__name__}"
        ) from None
    except BaseException:
        run_state.failed = True  # from now on every example is sent, so shrinking replays
        raise
