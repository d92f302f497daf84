"""CORS: a browser on another origin may call the API with its Authorization header."""

from __future__ import annotations

from grades_kit.contract import checks as rules
from grades_kit.contract.loader import Contract
from grades_kit.contract_tests.client import GradesClient

ORIGIN = "https://grades-contract.example"
"""An origin no instance serves itself: the preflight is genuinely cross-origin."""


def test_preflight_allows_get_with_authorization(client: GradesClient, contract: Contract) -> None:
    """The preflight from another origin allows GET and lists Authorization by name."""
    response = client.preflight(ORIGIN, "GET", "authorization")
    findings = rules.preflight_allows_get_with_authorization(
        contract, ORIGIN, response.status_code, response.headers
    )
    client.enforce(findings, response)


def test_errors_carry_cors_headers(client: GradesClient) -> None:
    """CORS headers are also sent on error responses, so a browser can read their detail."""
    response = client.get(authorization=None, headers={"Origin": ORIGIN})
    findings = rules.cors_origin_allowed(ORIGIN, response.status_code, response.headers)
    client.enforce(findings, response)
