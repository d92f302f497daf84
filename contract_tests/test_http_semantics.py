"""HTTP and CORS semantics the spec does not state but every deployment should honour.

Reported as advisories (the run's summary lists them; the exit code is unchanged), or as
violations with ``--strict-http``: a shared cache that may store one user's grades
(RFC 9111), and an echoed ``Access-Control-Allow-Origin`` without ``Vary: Origin``.
"""

from __future__ import annotations

import requests

from grades_kit.contract import checks as rules
from grades_kit.contract.registry import Finding
from grades_kit.contract_tests.advisories import advise
from grades_kit.contract_tests.client import GradesClient

ORIGINS = ("https://app-one.example", "https://app-two.example")
"""Two origins a cache must tell apart: a page on each calls the API."""


def report(findings: list[Finding], response: requests.Response, client: GradesClient) -> None:
    """Violations under ``--strict-http``; advisories otherwise."""
    if client.options.strict_http:
        client.enforce(findings, response)
    else:
        advise(findings)


def test_authenticated_answers_are_kept_from_shared_caches(client: GradesClient) -> None:
    """An answer to a request with a token never says ``public`` or ``s-maxage``."""
    response = client.get()
    report(list(rules.shared_cache_may_store(response.headers)), response, client)


def test_an_echoed_origin_varies_by_origin(client: GradesClient) -> None:
    """A page's origin echoed back comes with ``Vary: Origin``, on answers and preflights."""
    for origin in ORIGINS:
        for response in (
            client.get(headers={"Origin": origin}),
            client.preflight(origin, "GET", "authorization"),
        ):
            found = rules.echoed_origin_varies(origin, response.headers)
            report(list(found), response, client)
