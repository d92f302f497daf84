"""Near-miss probes: one comparison bug each, derived from the values the instance returned.

Deterministic (no Hypothesis): the same data gives the same probes, in every profile. Each
probe is judged against the spec alone: a value outside the parameter's pattern is answered
400; a well-formed value gets exactly the records that have it (``[]`` when none does). A
failure is reported under the class's rule, ``near-miss/<class>``, naming the rule it broke.
The classes, and the database or middleware behaviour each one is for, are listed in
``docs/contract-suite.md``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any
from urllib.parse import urlencode

import pytest

from grades_kit.contract import checks as rules
from grades_kit.contract.registry import Finding, rule
from grades_kit.contract_tests.client import GradesClient, json_body
from grades_kit.contract_tests.coverage import no_data
from grades_kit.contract_tests.live import LiveData, check_filtered
from grades_kit.contract_tests.near_miss import FILTER_CLASSES, Known, Probe, filter_probes
from grades_kit.contract_tests.test_filters import FILTERS, is_valid, known_values


@pytest.mark.parametrize("name", FILTERS)
@pytest.mark.parametrize("klass", FILTER_CLASSES)
def test_filter_near_miss(
    klass: str,
    name: str,
    client: GradesClient,
    live_data: LiveData,
    all_grades: list[dict[str, Any]],
) -> None:
    """Each near-miss of a known value is answered as the spec says, not as a match."""
    values = known(all_grades, name)
    probes = filter_probes(klass, name, values)
    if not probes and not values.values:
        no_data([rule(f"near-miss/{klass}")], f"no record of the instance has a {name}")
    if not probes:
        pytest.skip(f"no {name} the instance returned gives a {klass} near-miss")
    for probe in probes:
        if probe.decoy is not None:
            judge_repeated(probe, client)
        elif probe.raw_query is not None:
            judge_raw(probe, client)
        else:
            judge(probe, probe.value, client, live_data)


def known(records: Sequence[Mapping[str, Any]], name: str) -> Known:
    """The filter's own values, each other field's string values, and its pattern."""
    fields = sorted({k for r in records for k in r if k != name})
    others = {field: known_values(records, field) for field in fields}
    return Known(known_values(records, name), others, lambda v: is_valid(name, v))


def judge_repeated(probe: Probe, client: GradesClient) -> None:
    """``name=<decoy>&name=<value>``: the spec answers a repeated filter 400, whichever
    value a framework would keep."""
    assert probe.decoy is not None
    query = urlencode([(probe.name, probe.decoy), (probe.name, probe.value)])
    response = client.get(query)
    status, body = response.status_code, json_body(response)
    findings = [
        *rules.repeated_filter_rejected(probe.rule, probe.name, status, body),
        *rules.bad_request_names_parameter(probe.name, status, body),
    ]
    client.enforce(findings, response)


def judge(probe: Probe, value: str, client: GradesClient, live_data: LiveData) -> None:
    """400 outside the pattern; else exactly the records with ``value`` (fresh data)."""
    params = {probe.name: value}
    if is_valid(probe.name, value):
        check_filtered(client, live_data, params, probe.rule)
        return
    response = client.get(params)
    status, body = response.status_code, json_body(response)
    findings = [
        *rules.near_miss_rejected(probe.rule, params, status, body),
        *rules.bad_request_names_parameter(probe.name, status, body),
    ]
    client.enforce(_from(probe, findings), response)


def judge_raw(probe: Probe, client: GradesClient) -> None:
    """A raw ``+``: read as ``+`` (RFC 3986) or as a space (HTML forms); either, not both."""
    assert probe.raw_query is not None and probe.alternative is not None
    response = client.get(probe.raw_query)
    body = json_body(response)
    if response.status_code == 200 and isinstance(body, list):
        if all(isinstance(r, dict) and r.get(probe.name) == probe.value for r in body):
            return  # read as '+': the %2B probe already judged that value's records
    params = {probe.name: probe.alternative}
    if is_valid(probe.name, probe.alternative):
        if response.status_code != 200 or not isinstance(body, list):
            findings = [Finding(probe.rule, f"expected HTTP 200, got {response.status_code}")]
        else:
            findings = list(rules.renamed(rules.filter_soundness(params, body), probe.rule))
    else:
        findings = list(rules.near_miss_rejected(probe.rule, params, response.status_code, body))
    client.enforce(_from(probe, findings), response)


def _from(probe: Probe, findings: Iterable[Finding]) -> list[Finding]:
    """Say which returned value the near-miss was derived from."""
    source = f" (derived from {probe.name}={probe.source!r})" if probe.source else ""
    return [Finding(f.rule, f.detail + source) for f in findings]
