"""Every named example of the spec, requested with its paired query, has the example's shape."""

from __future__ import annotations

import pytest

from grades_kit.contract import checks as rules
from grades_kit.contract.loader import Contract, load_contract
from grades_kit.contract.registry import Finding, rule
from grades_kit.contract_tests.client import GradesClient, json_body

EXAMPLES = sorted(load_contract().example_queries().items())


@pytest.mark.parametrize(("name", "query"), EXAMPLES, ids=[name for name, _ in EXAMPLES])
def test_named_example(
    name: str, query: dict[str, str], client: GradesClient, contract: Contract
) -> None:
    """The query of example ``name`` answers 200 with records shaped like the example."""
    response = client.get(query)
    body = json_body(response)
    findings = []
    if response.status_code != 200:
        detail = f"expected HTTP 200, got {response.status_code}"
        findings.append(Finding(rule(f"example-shape/{name}"), detail))
    findings += rules.example_shape(name, contract.response_examples()[name], body)
    if isinstance(body, list):
        findings += rules.filter_soundness(query, body)
    client.enforce(findings, response)
