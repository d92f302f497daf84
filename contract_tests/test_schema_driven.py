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

from grades_kit.contract_tests.health import Cut, NoVerdict
from grades_kit.contract_tests.redact import curl
from grades_kit.contract_tests.run_state import RunState
from grades_kit.contract_tests.transport import PoliteAdapter
from grades_kit.contract_tests.violation import attach_curl

schema = schemathesis.pytest.from_fixture("grades_schema")


@schema.parametrize()
def test_generated_requests_conform(
    case: schemathesis.Case[Any],
    run_state: RunState,
    generated_requests_session: requests.Session,
) -> None:
    """Each generated request's answer passes every check (the operation is in the test id).

    Once ``--max-time`` is spent the transport sends nothing more: the examples Hypothesis
    still generates are counted as cut and the test is reported skipped, never passed. A
    replay of a failure cut that way raises the failure it replays, so it is not lost.
    """
    counts = run_state.examples
    counts[0] += 1
    if run_state.no_verdict_reason() is not None:
        pytest.skip("the run already has no verdict")  # e.g. OPTIONS after GET met a dead host
    session = generated_requests_session
    try:
        response = case.call(session=session)
        counts[1] += 1
        case.validate_response(response, transport_kwargs={"session": session})
    except NoVerdict:
        raise
    except Cut as cut:
        if run_state.failure is not None:
            raise run_state.failure from None
        counts[2] += 1
        run_state.cut_in_test = True
        pytest.skip(str(cut))
    except BaseException as exc:
        run_state.failed = True
        run_state.failure = run_state.failure or exc
        _attach_the_requests_that_failed(exc, response, session, run_state.options.token)
        raise


def _attach_the_requests_that_failed(
    exc: BaseException, response: schemathesis.Response, session: requests.Session, token: str
) -> None:
    """The curl of the request each failure is about: a check's own probe (Schemathesis'
    invalid-auth request) where it sent one, else the generated request."""
    attach_curl(exc, _curl(response.request, token))
    adapter = session.get_adapter(str(response.request.url))
    members = exc.exceptions if isinstance(exc, BaseExceptionGroup) else (exc,)
    for member in members:
        case_id = str(getattr(member, "case_id", None) or "")
        sent = adapter.sent_for_case(case_id) if isinstance(adapter, PoliteAdapter) else None
        if sent is not None and sent is not response.request:
            attach_curl(member, _curl(sent, token))


def _curl(sent: requests.PreparedRequest, token: str) -> str:
    return curl(str(sent.method), str(sent.url), sent.headers, token)
