"""An instance with no data is no verdict by default: a vacuous pass is not a pass."""

from __future__ import annotations

import pytest

from grades_kit.mock_server import Settings, create_app
from tests.contract_tests.broken_servers import rewrite_records
from tests.contract_tests.catch_rate import SEED, run_contract
from tests.serve_in_thread import serve_in_thread

pytestmark = pytest.mark.slow


def test_an_empty_instance_is_no_verdict_unless_a_partial_run_is_allowed() -> None:
    empty = rewrite_records(lambda records: [])(create_app(Settings()))
    with serve_in_thread(empty) as url:
        default = run_contract(url, "--profile", "smoke", "--seed", str(SEED))
        partial = run_contract(url, "--profile", "smoke", "--seed", str(SEED), "--allow-partial")
    assert default.returncode == 2, default.stdout[-2000:] + default.stderr
    last = default.stderr.strip().splitlines()[-1]
    assert "had no data to run on" in last and "filter-soundness/course_id" in last
    assert "--allow-partial" in last
    assert "no data for [filter-completeness/union-of-courses]" in default.stdout
    assert partial.returncode == 0, partial.stdout[-2000:] + partial.stderr
    assert "no data for [filter-soundness/username]" in partial.stdout
