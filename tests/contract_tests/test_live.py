"""A correct instance whose data changes during the run passes; the catalogue's defects on
such an instance are still caught (``test_catalogue.py``, ``live`` runs)."""

from __future__ import annotations

import logging

import pytest

from grades_kit.mock_server import Settings, create_app
from tests.contract_tests.catch_rate import SEED, TOKEN, run_contract
from tests.contract_tests.live_server import LiveData
from tests.serve_in_thread import serve_in_thread

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("every", [5, 50])
def test_correct_instance_with_changing_data_passes_ci(every: int) -> None:
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    live = LiveData(create_app(Settings()), TOKEN, every=every)
    with serve_in_thread(live) as url:
        done = run_contract(url, "--profile", "ci", "--seed", str(SEED))
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr
    assert live.changes == live.requests // every >= 5, "the data did not really move"
    if every == 5:  # some discrepancy was certainly met, and the summary says so
        assert "grades-contract: advisory: live data: a [filter-completeness/" in done.stdout
