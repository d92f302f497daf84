"""``grades-contract load`` end to end: the real console script, Locust, a real server.

Short runs (a few seconds of load each): the correct mock passes, the shared-state server
fails with a filter rule, the threshold server is reported as failing only under
concurrency, and a master with two worker processes gives one verdict that counts each
violation once. Locust's own files (CSV, HTML) and output carry no learner datum.
"""

from __future__ import annotations

import json
import logging
import os
import re
import subprocess
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest

from grades_kit.mock_server import Settings, create_app
from tests.contract_tests.broken_servers import CATALOGUE, BrokenServer
from tests.contract_tests.catch_rate import GRADES_CONTRACT, TOKEN
from tests.contract_tests.concurrency_servers import (
    FAILS_PAST_CONCURRENCY,
    SHARED_FILTER_STATE,
    TIMES_OUT_PAST_CONCURRENCY,
)
from tests.serve_in_thread import free_port, serve_in_thread

pytestmark = pytest.mark.slow
FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "grades.json"
SHORT = ("--headless", "--users", "20", "--spawn-rate", "20", "--run-time", "3s")
"""The issue's modest settings (20 users), for a few seconds instead of 15."""
RAMP = ("--headless", "--users", "20", "--spawn-rate", "5", "--run-time", "5s")
"""Users added 5 at a time: answers at low concurrency first, for the concurrency note."""
LAST = "grades-contract load: "


def run_load(url: str, *args: str, token: str = TOKEN, cwd: Path | None = None) -> tuple[int, str]:
    """The console script as QA runs it (token in the environment); exit code and output."""
    done = subprocess.run(
        [GRADES_CONTRACT, "load", "--base-url", url, *args],
        capture_output=True,
        text=True,
        timeout=90,
        check=False,
        cwd=cwd,
        env={**os.environ, "GRADES_TOKEN": token},
    )
    return done.returncode, done.stdout + done.stderr


def verdict(output: str) -> str:
    lines = [line for line in output.splitlines() if line.startswith(LAST)]
    assert len(lines) == 1, output[-3000:]
    return lines[0]


@pytest.fixture(scope="module", autouse=True)
def _quiet_werkzeug() -> None:
    logging.getLogger("werkzeug").setLevel(logging.ERROR)


@pytest.fixture
def serve() -> Iterator[Callable[..., str]]:
    """Start the mock, or a broken server, on a free port for this test; yields its URL."""
    with ExitStack() as stack:

        def start(server: BrokenServer | None = None) -> str:
            app = create_app(Settings()) if server is None else server.build()
            return stack.enter_context(serve_in_thread(app))

        yield start


def test_the_correct_mock_passes_under_load(serve, tmp_path: Path) -> None:
    code, output = run_load(serve(), *SHORT, "--csv", "run", "--html", "run.html", cwd=tmp_path)
    assert code == 0, output[-3000:]
    assert verdict(output).startswith(LAST + "conforms under load:")
    assert re.search(r"^  by-course +\d+ +0 ", output, re.MULTILINE)  # throughput per kind


def test_shared_state_fails_with_the_filter_rule_and_no_learner_datum(serve, tmp_path) -> None:
    code, output = run_load(
        serve(SHARED_FILTER_STATE), *SHORT, "--csv", "run", "--html", "run.html", cwd=tmp_path
    )
    assert code == 1, output[-3000:]
    assert "filter-soundness/" in verdict(output)
    failures = (tmp_path / "run_failures.csv").read_text()
    assert "filter-soundness/" in failures  # Locust's own CSV names the rule
    assert "filter-soundness/" in (tmp_path / "run.html").read_text()
    artifacts = output + "".join(p.read_text() for p in tmp_path.iterdir())
    for record in json.loads(FIXTURES.read_text()):
        for field in ("username", "email", "course_id"):
            assert record[field] not in artifacts, field


def test_a_failure_past_a_concurrency_threshold_is_reported_as_such(serve) -> None:
    code, output = run_load(serve(FAILS_PAST_CONCURRENCY), *RAMP)
    assert code == 1, output[-3000:]
    assert "server-error" in verdict(output)
    server_error = output[output.index("[server-error]") :]
    assert "only under concurrency: each with >= " in server_error.splitlines()[1]


def test_timeouts_past_a_threshold_stop_the_run_without_a_verdict(serve) -> None:
    args = (*RAMP[:-1], "8s", "--request-timeout", "1")
    code, output = run_load(serve(TIMES_OUT_PAST_CONCURRENCY), *args)
    assert code == 2, output[-3000:]
    assert "got no answer (mostly timed out)" in verdict(output)
    assert "only under concurrency" in output


def test_two_worker_processes_give_one_verdict_counting_each_violation_once(serve) -> None:
    """Every no-token request is a violation here: the verdict's count must be Locust's."""
    auth_ignored = next(s for s in CATALOGUE if s.name == "auth-ignored")
    code, output = run_load(
        serve(auth_ignored), *SHORT, "--processes", "2", "--mix", "no-token,by-course"
    )
    assert code == 1, output[-3000:]
    assert "auth/no-token" in verdict(output)
    counted = re.search(r"\[auth/no-token\] (\d+) of \d+ requests", output)
    row = re.search(r"^  no-token +(\d+) +(\d+) ", output, re.MULTILINE)
    assert counted and row, output[-3000:]
    assert int(counted[1]) == int(row[1]) == int(row[2]) > 0
    assert "Worker index" not in output or output.count(LAST) == 1


def test_an_unreachable_instance_or_a_refused_token_is_one_line_and_exit_2(serve) -> None:
    code, output = run_load(f"http://127.0.0.1:{free_port()}", *SHORT)
    assert code == 2 and output.count("\n") == 1
    assert "refused connection" in output and "Traceback" not in output
    code, output = run_load(serve(), *SHORT, token="not-the-token")
    assert code == 2 and output.strip() == LAST + (
        "no verdict: token refused: GET /api/so2/v1/grades answered HTTP 401: check $GRADES_TOKEN"
    )
