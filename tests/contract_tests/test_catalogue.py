"""Every broken server of the catalogue is red (exit 1) with its violated rule in the verdict.

Each runs with ``--profile ci`` and a fixed seed, on the mock's fixed data and again around
the live-data server (one change every 5 requests): a defect must be caught either way.
The verdict is the run's final line on stderr, which names the violated rules, not a
substring anywhere in the output. Each test makes its own run, so pytest-xdist spreads the
runs over its workers (``make test``) instead of one fixture making all of them in turn.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.contract_tests.broken_servers import CATALOGUE, BrokenServer
from tests.contract_tests.catch_rate import run_one

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]
IDS = [s.name for s in CATALOGUE]


def test_catalogue_has_one_server_per_near_miss_class_and_distinct_defects() -> None:
    from grades_kit.contract_tests.near_miss import FILTER_CLASSES, TOKEN_CLASSES

    assert len({s.name for s in CATALOGUE}) == len(CATALOGUE) >= 12
    expected = {s.expected_rule for s in CATALOGUE}
    assert {f"near-miss/{c}" for c in (*FILTER_CLASSES, *TOKEN_CLASSES)} <= expected


@pytest.mark.parametrize("live", [False, True], ids=["fixed-data", "live-data"])
@pytest.mark.parametrize("server", CATALOGUE, ids=IDS)
def test_broken_server_is_red_with_the_rule_in_the_verdict(
    server: BrokenServer, live: bool
) -> None:
    outcome = run_one(server, "ci", live)
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
