"""No false alarm: every correct variant of the mock passes ``--profile ci``."""

from __future__ import annotations

import logging

import pytest

from tests.contract_tests.broken_servers import BrokenServer
from tests.contract_tests.catch_rate import SEED, run_contract
from tests.contract_tests.correct_variants import VARIANTS
from tests.serve_in_thread import serve_in_thread

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("server", VARIANTS, ids=[s.name for s in VARIANTS])
def test_a_correct_variant_passes_ci(server: BrokenServer) -> None:
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    with serve_in_thread(server.build()) as url:
        done = run_contract(url, "--profile", "ci", "--seed", str(SEED))
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr
    assert "contract coverage" in done.stdout
