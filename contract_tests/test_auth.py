"""Auth: every way of not presenting a valid token is a 401 that names the Bearer scheme.

And no error ever echoes the token it was sent (it would end up in logs and bug reports).
"""

from __future__ import annotations

import random
from typing import Any

import pytest

from grades_kit.contract import checks as rules
from grades_kit.contract.authorization import parse_authorization
from grades_kit.contract.loader import Contract
from grades_kit.contract.registry import Finding, rule
from grades_kit.contract_tests.client import GradesClient, json_body
from grades_kit.contract_tests.near_miss import TOKEN_CLASSES, token_probes
from grades_kit.contract_tests.options import RunOptions
from grades_kit.contract_tests.run_state import RunState
from grades_kit.contract_tests.test_filters import known_values

SCENARIOS = ("no-token", "unknown-token", "wrong-scheme", "empty-bearer")
"""The general case first: the verdict names the first rule found among equally frequent ones."""


def credential(scenario: str, options: RunOptions) -> str | None:
    """The Authorization header a careless or hostile client would send in ``scenario``."""
    if scenario == "no-token":
        return None
    if scenario == "wrong-scheme":
        return f"Token {options.token}"  # the right secret in Django REST Framework's scheme
    if scenario == "empty-bearer":
        return "Bearer "
    unknown = f"{random.Random(options.seed).getrandbits(128):032x}"
    return f"Bearer contract-unknown-{unknown}"


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_request_without_valid_token_is_401(
    scenario: str, client: GradesClient, run_options: RunOptions, contract: Contract
) -> None:
    """A missing, malformed or unknown token gets 401, WWW-Authenticate and the Error body."""
    sent = credential(scenario, run_options)
    response = client.get(authorization=sent)
    findings = list(
        rules.auth_rejected(
            contract, scenario, response.status_code, response.headers, json_body(response)
        )
    )
    presented = parse_authorization(sent)
    secrets = {run_options.token, presented.token if presented else ""}
    for secret in secrets - {""}:
        findings += rules.token_not_echoed(secret, response.text)
    client.enforce(findings, response)


@pytest.mark.parametrize("scenario", ("no-token", "unknown-token"))
def test_an_answer_is_not_served_again_to_another_credential(
    scenario: str,
    client: GradesClient,
    run_options: RunOptions,
    contract: Contract,
    all_grades: list[dict[str, Any]],
) -> None:
    """The same URL, asked with the run's token and at once without it (or with an unknown
    one): a cache keyed by the URL alone serves the first answer to the second caller. The
    rule broken is the scenario's own (``auth/no-token``...); the detail names the probe."""
    courses = known_values(all_grades, "course_id")
    params = {"course_id": courses[0]} if courses else {}
    client.get(params)
    response = client.get(params, authorization=credential(scenario, run_options))
    found = rules.auth_rejected(
        contract, scenario, response.status_code, response.headers, json_body(response)
    )
    note = " (just after the same URL was answered to the run's token: a cache keyed without it?)"
    client.enforce([Finding(f.rule, f.detail + note) for f in found], response)


def test_valid_token_gets_json_records(client: GradesClient) -> None:
    """The happy path: a valid token gets 200 and a JSON array (application/json)."""
    response = client.get()
    body = json_body(response)
    media_type = response.headers.get("Content-Type", "").split(";")[0].strip()
    findings = []
    if response.status_code != 200:
        findings.append(
            Finding(rule("happy-path"), f"expected HTTP 200, got {response.status_code}")
        )
    elif not isinstance(body, list):
        findings.append(Finding(rules.SCHEMA_VIOLATED, "the 200 body is not a JSON array"))
    if media_type != "application/json":
        detail = f"Content-Type is {media_type!r}, not application/json"
        findings.append(Finding(rules.UNDOCUMENTED_CONTENT_TYPE, detail))
    client.enforce(findings, response)


@pytest.fixture(scope="module")
def unrecorded_client(run_options: RunOptions, run_state: RunState) -> GradesClient:
    """The suite's client without the traffic record: a near-miss of the token (a prefix, the
    other case) would be written there unmasked, and it gives the token away."""
    return GradesClient(run_options, run_state.session_for(None, "token-probe"))


@pytest.mark.parametrize("klass", TOKEN_CLASSES)
def test_token_near_miss_is_401(
    klass: str, unrecorded_client: GradesClient, run_options: RunOptions
) -> None:
    """A token that is not exactly a valid one (prefix, extension, other case, padded, or in
    the query string) is answered 401. The failure says how the token was changed, never
    the token itself."""
    probes = token_probes(klass, run_options.token)
    if not probes:
        pytest.skip(f"the token has no {klass} near-miss (no cased character)")
    for probe in probes:
        response = unrecorded_client.get(dict(probe.params), authorization=probe.authorization)
        findings = list(
            rules.near_miss_token_rejected(probe.rule, probe.variant, response.status_code)
        )
        if findings:
            raise unrecorded_client.violations(findings)
