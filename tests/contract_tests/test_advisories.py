"""Beyond the spec: advisories by default, violations with ``--strict-http``."""

from __future__ import annotations

import pytest

from tests.contract_tests.broken_servers import ADVISORY, BrokenServer
from tests.contract_tests.catch_rate import FINAL_LINE, SEED, run_contract
from tests.serve_in_thread import serve_in_thread

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("server", ADVISORY, ids=[s.name for s in ADVISORY])
def test_an_advisory_is_reported_and_fails_only_when_strict(server: BrokenServer) -> None:
    with serve_in_thread(server.build()) as url:
        lenient = run_contract(url, "--profile", "smoke", "--seed", str(SEED))
        strict = run_contract(url, "--profile", "smoke", "--seed", str(SEED), "--strict-http")
    assert lenient.returncode == 0, lenient.stdout[-2000:] + lenient.stderr[-2000:]
    assert f"advisory: {server.expected_rule}: " in lenient.stdout
    assert strict.returncode == 1, strict.stdout[-2000:]
    final = FINAL_LINE.match(strict.stderr.strip().splitlines()[-1])
    assert final is not None and server.expected_rule in final["rules"].split(", ")
