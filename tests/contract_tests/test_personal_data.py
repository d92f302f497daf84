"""Personal data nowhere by default: a server that leaks every learner's values in every
field and header, and echoes them in its errors, leaves no trace of them in any artifact of a
run (stdout, stderr, JUnit, the traffic record and every report file)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from werkzeug.wrappers import Request, Response

from grades_kit.mock_server import Settings, create_app
from tests.contract_tests.broken_servers import refilter, rewrite_records, rewrite_response
from tests.contract_tests.test_gate_reports import reports as gate_reports
from tests.contract_tests.test_verdict import run
from tests.serve_in_thread import serve_in_thread

FIXTURES = json.loads(Path("fixtures/grades.json").read_text())
PERSONAL = sorted({r[f] for r in FIXTURES for f in ("username", "email")}, key=len, reverse=True)
"""Every learner's username and email: none may appear in any artifact."""


def _echo_people(request: Request, response: Response) -> Response:
    """Every answer names learners in a header (the first records' usernames and emails)."""
    people = [value for record in FIXTURES[:4] for value in (record["username"], record["email"])]
    response.headers["X-Debug-Learners"] = ", ".join(people)
    return response


def _second_email(records: list[dict[str, str]]) -> list[dict[str, str]]:
    """One learner with two emails: the email invariant's message quotes both."""
    return [
        {**r, "email": "john.other@example.com"} if i == 0 else r for i, r in enumerate(records)
    ]


def leaky_server() -> object:
    everything = refilter(lambda record, filters: True)(create_app(Settings()))
    return rewrite_response(_echo_people)(rewrite_records(_second_email)(everything))


@pytest.fixture(scope="module")
def leaky_url() -> Iterator[str]:
    with serve_in_thread(leaky_server()) as url:
        yield url


@pytest.mark.slow
def test_no_artifact_carries_a_learners_username_or_email(leaky_url: str, tmp_path: Path) -> None:
    reports = tmp_path / "reports"
    reports.mkdir()
    github = {"GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": str(reports / "summary.md")}
    done = run(
        leaky_url,
        "--profile",
        "smoke",
        "--seed",
        "3",
        "--report-dir",
        str(reports),
        *gate_reports(reports),
        "--write-baseline",
        str(reports / "baseline.yaml"),
        cwd=tmp_path,
        env=github,
    )
    assert done.returncode == 1, done.stdout + done.stderr
    assert "::error file=spec/openapi.yaml" in done.stdout  # annotations are in stdout
    artifacts = {"stdout": done.stdout, "stderr": done.stderr}
    artifacts.update({path.name: path.read_text() for path in reports.iterdir()})
    expected = {"traffic.har", "summary.md", "verdict.json", "gate.sarif", "junit.xml"}
    assert expected <= set(artifacts)
    assert "learner_" in artifacts["traffic.har"]  # masked, not dropped
    leaks = {
        (name, value)
        for name, text in artifacts.items()
        for value in PERSONAL
        if value.lower() in text.lower()
    }
    assert not leaks, sorted(leaks)[:20]
