"""Every broken server of the catalogue is red (exit 1) with its violated rule in the verdict.

Each runs with ``--profile ci`` and a fixed seed, on the mock's fixed data and again around
the live-data server (one change every 5 requests): a defect must be caught either way.
The verdict is the run's final line on stderr, which names the violated rules, not a
substring anywhere in the output.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.contract_tests.broken_servers import CATALOGUE, BrokenServer
from tests.contract_tests.catch_rate import Outcome, run_catalogue

pytestmark = [pytest.mark.slow, pytest.mark.timeout(1200)]  # the first test runs them all
ROOT = Path(__file__).resolve().parents[2]
IDS = [s.name for s in CATALOGUE]


@pytest.fixture(scope="module")
def outcomes() -> dict[tuple[str, bool], Outcome]:
    """One ci run of the real console script per broken server and data kind, two at a time."""
    found: dict[tuple[str, bool], Outcome] = {}
    for live in (False, True):
        runs = run_catalogue(CATALOGUE, profile="ci", workers=2, live=live)
        found |= {(o.server.name, live): o for o in runs}
    return found


def test_catalogue_has_one_server_per_near_miss_class_and_distinct_defects() -> None:
    from grades_kit.contract_tests.near_miss import FILTER_CLASSES, TOKEN_CLASSES

    assert len({s.name for s in CATALOGUE}) == len(CATALOGUE) >= 12
    expected = {s.expected_rule for s in CATALOGUE}
    assert {f"near-miss/{c}" for c in (*FILTER_CLASSES, *TOKEN_CLASSES)} <= expected


@pytest.mark.parametrize("live", [False, True], ids=["fixed-data", "live-data"])
@pytest.mark.parametrize("server", CATALOGUE, ids=IDS)
def test_broken_server_is_red_with_the_rule_in_the_verdict(
    server: BrokenServer, live: bool, outcomes: dict[tuple[str, bool], Outcome]
) -> None:
    outcome = outcomes[server.name, live]
    assert outcome.exit_code == 1, outcome.output[-3000:]
    assert server.expected_rule in outcome.rules, outcome.verdict
    assert "local-dev-toke" not in outcome.output.lower()  # nor a near-miss of it


def test_readme_and_docs_give_the_catalogue_as_it_is() -> None:
    """The README's numbers and the docs' generated table match the catalogue."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    numbers = re.search(r"(\d+) of (\d+) deliberately broken servers", readme)
    assert numbers is not None and numbers.groups() == (str(len(CATALOGUE)),) * 2
    docs = (ROOT / "docs" / "contract-suite.md").read_text(encoding="utf-8")
    rows = re.findall(r"^\| `([a-z0-9-]+)`: .* \| 1 \| yes \|", docs, re.MULTILINE)
    assert rows == IDS
    assert f"Catch rate: **{len(CATALOGUE)}/{len(CATALOGUE)}** defects caught" in docs
