"""The suite's session fixtures: the run's options and state, its clients and the data.

Every request goes through the run's one road (budget, pacing, ``Retry-After``, the traffic
record); the unfiltered answer is the oracle the filter and invariant tests compare with.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests
from schemathesis.core.transport import USER_AGENT
from schemathesis.schemas import BaseSchema

from grades_kit.contract.loader import Contract, load_contract
from grades_kit.contract_tests.client import GradesClient, json_body
from grades_kit.contract_tests.live import unfiltered_failure
from grades_kit.contract_tests.options import RunOptions
from grades_kit.contract_tests.run_state import STATE_KEY, RunState
from grades_kit.contract_tests.schema import build_schema
from grades_kit.contract_tests.traffic import TrafficLog
from grades_kit.contract_tests.transport import route_through


class GradeData:
    """The unfiltered records, boxed for ``@given`` tests.

    Passing the records straight to a Hypothesis test (a list of dicts, or a dataclass
    holding one) made its final replay fail with ``FlakyStrategyDefinition`` once
    Schemathesis had patched Hypothesis' printer; an opaque box avoids it.
    """

    __slots__ = ("records",)

    def __init__(self, records: list[dict[str, Any]]) -> None:
        self.records = records

    def __repr__(self) -> str:
        return f"<{len(self.records)} grade records>"


@pytest.fixture(scope="session")
def run_options(pytestconfig: pytest.Config) -> RunOptions:
    return pytestconfig.stash[STATE_KEY].options


@pytest.fixture(scope="session")
def run_state(pytestconfig: pytest.Config) -> RunState:
    return pytestconfig.stash[STATE_KEY]


@pytest.fixture(scope="session")
def contract() -> Contract:
    return load_contract()


@pytest.fixture(scope="session")
def traffic(
    run_options: RunOptions, run_state: RunState, pytestconfig: pytest.Config
) -> Iterator[TrafficLog | None]:
    """The replayable traffic record, when ``--report-dir`` (or the fuzz profile) asks for it."""
    if run_options.report_dir is None:
        yield None
        return
    # This run's own pytest-xdist worker id, from its config: an inherited environment variable
    # would also name the worker of an outer pytest that started grades-contract.
    worker = getattr(pytestconfig, "workerinput", {}).get("workerid")
    people = None if run_options.record_bodies else run_state.people
    log = TrafficLog(run_options.report_dir, run_options.token, people, worker)
    yield log
    log.close()


@pytest.fixture(scope="session")
def client(
    run_options: RunOptions, run_state: RunState, traffic: TrafficLog | None
) -> Iterator[GradesClient]:
    """The suite's own client, on the run's one road (budget, pacing, traffic record)."""
    session = run_state.session_for(traffic, "domain")
    yield GradesClient(run_options, session)
    session.close()


@pytest.fixture(scope="session")
def generated_requests_session(
    run_state: RunState, traffic: TrafficLog | None
) -> Iterator[requests.Session]:
    """The session Schemathesis' generated requests (and its auth probes) are sent with."""
    session = run_state.session_for(traffic, "schemathesis")
    session.headers["User-Agent"] = USER_AGENT  # as Schemathesis' own session would send
    yield session
    session.close()


@pytest.fixture(scope="session")
def grades_schema(
    run_options: RunOptions, generated_requests_session: requests.Session
) -> BaseSchema:
    return route_through(build_schema(run_options), generated_requests_session)


@pytest.fixture(scope="session")
def unfiltered_response(client: GradesClient) -> requests.Response:
    """The unfiltered answer: the oracle every filter answer is compared with."""
    response = client.get()
    if response.status_code != 200 or not isinstance(json_body(response), list):
        raise client.violation(*unfiltered_failure(response.status_code), response)
    return response


@pytest.fixture(scope="session")
def all_grades(unfiltered_response: requests.Response) -> list[dict[str, Any]]:
    """The records of the unfiltered answer (objects only: the schema checks judge the rest)."""
    return [record for record in unfiltered_response.json() if isinstance(record, dict)]


@pytest.fixture(scope="session")
def grades_data(all_grades: list[dict[str, Any]]) -> GradeData:
    return GradeData(all_grades)
