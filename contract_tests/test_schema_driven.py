"""Schema-driven: Schemathesis generates requests from the spec and runs every check on them.

Built-in checks (server errors, status codes, content type, response schema and headers,
negative data rejection, positive data acceptance, ignored auth, ...) plus the domain checks
of :mod:`contract_tests.schemathesis_checks` on every response. Every request, the checks' own
probes included, goes through the run's session (:mod:`contract_tests.transport`).
"""

from __future__ import annotations

from typing import Any

import pytest
import requests
import schemathesis

from grades_kit.contract_tests.redact import curl
from grades_kit.contract_tests.run_state import RunState
from grades_kit.contract_tests.violation import attach_curl

schema = schemathesis.pytest.from_fixture("grades_schema")


@schema.parametrize()
def test_generated_requests_conform(
    case: schemathesis.Case[Any],
    run_state: RunState,
    generated_requests_session: requests.Session,
) -> None:
    """Each generated request's answer passes every check (the operation is in the test id).

    Once ``--max-time`` is spent, the examples Hypothesis still generates are not sent: they
    are counted as cut and the test is reported skipped, never passed.
    """
    counts = run_state.examples
    counts[0] += 1
    if run_state.no_verdict_reason() is not None:
        pytest.skip("the run already has no verdict")  # e.g. OPTIONS after GET met a dead host
    if run_state.out_of_time() and not run_state.failed:
        counts[2] += 1
        run_state.cut_in_test = True
        pytest.skip(f"--max-time of {run_state.options.max_time_s:g} s reached: not sent")
    session = generated_requests_session
    response = case.call(session=session)
    counts[1] += 1
    try:
        case.validate_response(response, transport_kwargs={"session": session})
    except BaseException as exc:
        run_state.failed = True  # from now on every example is sent, so shrinking replays
        sent = response.request
        command = curl(str(sent.method), str(sent.url), sent.headers, run_state.options.token)
        attach_curl(exc, command)
        raise
