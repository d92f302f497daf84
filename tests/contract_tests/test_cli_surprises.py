"""A CLI without surprises: no abbreviations, a version, ``auto`` as Schemathesis means it,
the requests-sent line with any number of workers, and an environment that cannot change
which checks run."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

from grades_kit.contract_tests.contract_cli import build_parser
from grades_kit.contract_tests.options import rate_limit_per_worker, workers
from grades_kit.contract_tests.transport import pacer
from tests.contract_tests.catch_rate import GRADES_CONTRACT
from tests.contract_tests.conftest import Recorder
from tests.contract_tests.test_rules import options as run_options
from tests.contract_tests.test_verdict import run

SENT = re.compile(r"grades-contract: (\d+) requests sent, the preflight included")


def test_an_abbreviated_flag_is_refused_not_guessed(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        build_parser().parse_args(["--report", "junit"])
    assert exit_.value.code == 2
    assert "unrecognized arguments: --report junit" in capsys.readouterr().err


def test_version_names_the_installed_distribution() -> None:
    done = subprocess.run([GRADES_CONTRACT, "--version"], capture_output=True, text=True)
    assert done.returncode == 0
    assert re.fullmatch(r"grades-contract \d+\.\d+\.\d+\S*\n", done.stdout)


def test_auto_means_what_schemathesis_means() -> None:
    assert workers("auto") == len(os.sched_getaffinity(0))
    assert build_parser().parse_args(["--workers", "auto"]).workers == workers("auto")
    options = run_options(rate_limit="auto")
    assert options.rate_limit == "auto"
    assert pacer("auto", options.base_url) is None  # no fixed pace: Retry-After alone
    assert rate_limit_per_worker("auto", 4) == "auto"
    with pytest.raises(SystemExit):
        build_parser().parse_args(["--workers", "0"])


@pytest.mark.slow
def test_the_requests_sent_line_is_what_the_server_received_with_workers(
    recording_mock: tuple[str, Recorder], tmp_path: Path
) -> None:
    url, recorder = recording_mock
    recorder.take()
    done = run(url, "--profile", "smoke", "--seed", "1", "--workers", "2", cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert _sent(done.stdout) == len(recorder.take())


def _sent(stdout: str) -> int:
    sent = SENT.search(stdout)
    assert sent is not None, stdout
    return int(sent.group(1))


@pytest.mark.slow
def test_pytest_variables_of_the_environment_change_nothing_and_are_named(
    recording_mock: tuple[str, Recorder], tmp_path: Path
) -> None:
    url, recorder = recording_mock
    recorder.take()
    plain = run(url, "--profile", "smoke", "--seed", "1", cwd=tmp_path)
    assert _sent(plain.stdout) == len(recorder.take())  # one process: the same count
    steering = {"PYTEST_ADDOPTS": "-k test_auth -x", "PYTEST_PLUGINS": "no_such_plugin"}
    steered = run(url, "--profile", "smoke", "--seed", "1", cwd=tmp_path, env=steering)
    assert steered.returncode == plain.returncode == 0, steered.stdout + steered.stderr
    assert "deselected" not in steered.stdout
    assert _passed(steered.stdout) == _passed(plain.stdout)
    ignored = "grades-contract: ignored PYTEST_ADDOPTS, PYTEST_PLUGINS from the environment"
    assert ignored in steered.stderr
    assert "ignored" not in plain.stderr
    recorder.take()


def _passed(stdout: str) -> str:
    found = re.search(r"(\d+) passed", stdout)
    assert found is not None, stdout
    return found.group(1)
