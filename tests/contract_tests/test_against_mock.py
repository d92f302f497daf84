"""The real ``grades-contract`` console script against the real mock: green, safe, repeatable."""

from __future__ import annotations

import json
import re
import resource
import time
from pathlib import Path

import pytest

from grades_kit.contract_tests.near_miss import TOKEN_CLASSES
from grades_kit.contract_tests.near_miss import token_probes as token_probes_of
from tests.contract_tests.catch_rate import TOKEN, run_contract
from tests.contract_tests.conftest import Recorder
from tests.serve_in_thread import free_port

pytestmark = pytest.mark.slow


def test_ci_profile_is_green_deterministic_and_sends_only_get_and_options(
    recording_mock: tuple[str, Recorder], tmp_path: Path
) -> None:
    url, recorder = recording_mock
    junit, reports = tmp_path / "junit.xml", tmp_path / "reports"
    started, cpu = time.perf_counter(), _children_cpu_s()
    first = run_contract(
        url, "--profile", "ci", "--junit-xml", str(junit), "--report-dir", str(reports)
    )
    seconds, cpu_s = time.perf_counter() - started, _children_cpu_s() - cpu
    first_requests = recorder.take()
    second = run_contract(url, "--profile", "ci")
    second_requests = recorder.take()

    assert first.returncode == 0, first.stdout[-3000:] + first.stderr
    assert second.returncode == 0, second.stdout[-3000:] + second.stderr
    assert first_requests == second_requests, "two ci runs sent different requests"
    # The budget (issue 21: under 30 s) is held on CPU time, which the suite's other workers
    # running beside it cannot inflate; the wall clock is in the message.
    assert cpu_s < 30, f"the ci profile took {cpu_s:.0f} s of CPU, {seconds:.0f} s (budget: 30 s)"
    sent = re.search(r"grades-contract: (\d+) requests sent", first.stdout)
    assert sent is not None and int(sent[1]) == len(first_requests)  # the preflight included
    assert {method for method, _ in first_requests} == {"GET", "OPTIONS"}
    record = (reports / "traffic.har").read_text()
    entries = json.loads(record)["log"]["entries"]
    assert {e["comment"] for e in entries} == {"domain", "schemathesis"}
    token_probes = sum(len(token_probes_of(klass, TOKEN)) for klass in TOKEN_CLASSES)
    # every request but the preflight and the token's near misses (which would give it away)
    assert len(entries) == len(first_requests) - 1 - token_probes
    for text in (first.stdout, first.stderr, junit.read_text(), record):
        assert TOKEN not in text


def test_unreachable_instance_is_exit_2_in_one_line() -> None:
    started = time.perf_counter()
    done = run_contract(f"http://127.0.0.1:{free_port()}")
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and "instance unreachable" in done.stderr
    assert done.stdout == ""
    assert time.perf_counter() - started < 15


def test_rejected_token_is_exit_2_in_one_line(recording_mock: tuple[str, Recorder]) -> None:
    url, _ = recording_mock
    secret = "not-a-token-the-mock-knows"
    done = run_contract(url, token=secret)
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and "token rejected" in done.stderr
    assert secret not in done.stderr + done.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--profile", "nope"], "invalid choice"),
        (["--rate-limit", "fast"], "--rate-limit must look like"),
        (["--max-examples", "0"], "--max-examples must be positive"),
        (["--workers", "0"], "argument --workers: must be at least 1"),
        (["--rate-limit", "1/s", "--workers", "2"], "cannot be shared by 2 workers"),
        (["--seed", "x"], "invalid int value"),
    ],
)
def test_bad_usage_is_exit_2_in_one_line(args: list[str], message: str) -> None:
    done = run_contract("http://127.0.0.1:9", *args)
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and message in done.stderr, done.stderr


def test_missing_base_url_is_exit_2(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GRADES_BASE_URL", raising=False)
    done = run_contract("")
    assert done.returncode == 2 and "no base URL" in done.stderr


def _children_cpu_s() -> float:
    """User and system CPU seconds of this process's finished children (the console script)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime
