"""Every broken server of the catalogue is red (exit 1) with its violated rule named."""

from __future__ import annotations

import pytest

from tests.contract.broken_servers import CATALOGUE, BrokenServer
from tests.contract.catch_rate import Outcome, run_catalogue

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def outcomes() -> dict[str, Outcome]:
    """One smoke run of the real console script per broken server, two at a time."""
    return {o.server.name: o for o in run_catalogue(CATALOGUE, profile="smoke", workers=2)}


def test_catalogue_has_at_least_12_distinct_defects() -> None:
    assert len({s.name for s in CATALOGUE}) == len(CATALOGUE) >= 12


@pytest.mark.parametrize("server", CATALOGUE, ids=[s.name for s in CATALOGUE])
def test_broken_server_is_red_with_the_rule_named(
    server: BrokenServer, outcomes: dict[str, Outcome]
) -> None:
    outcome = outcomes[server.name]
    assert outcome.exit_code == 1, outcome.output[-3000:]
    assert server.expected_rule in outcome.output, outcome.rules
    assert "local-dev-token" not in outcome.output
