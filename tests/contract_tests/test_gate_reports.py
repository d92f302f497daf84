"""The deploy gate's reports, from real runs against a server with two root causes: the
baseline (new, known, expired, remove from baseline), the job summary, annotations, the
verdict JSON against its schema, SARIF 2.1.0 and one JUnit test case per rule."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import jsonschema
import pytest
import yaml

from grades_kit.contract_tests.reports.machine import VERDICT_SCHEMA_PATH
from tests.contract_tests.test_verdict import run, two_root_causes
from tests.serve_in_thread import serve_in_thread

SEED = "5"


@pytest.fixture(scope="module")
def broken() -> Iterator[str]:
    with serve_in_thread(two_root_causes()) as url:
        yield url


@pytest.fixture(scope="module")
def first_run(broken: str, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """One red run writing every report, as GitHub Actions would run it."""
    out = tmp_path_factory.mktemp("gate")
    github = {"GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": str(out / "summary.md")}
    done = gate_run(broken, out, *reports(out), "--write-baseline", str(out / "b.yaml"), env=github)
    assert done.returncode == 1, done.stdout + done.stderr
    return out, done.stdout


def reports(out: Path) -> list[str]:
    return [
        "--verdict-json",
        str(out / "verdict.json"),
        "--sarif",
        str(out / "gate.sarif"),
        "--junit-xml",
        str(out / "junit.xml"),
    ]


def gate_run(
    url: str, cwd: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return run(url, "--profile", "smoke", "--seed", SEED, *args, cwd=cwd, env=env)


@pytest.mark.slow
def test_every_report_names_each_rule_once_at_its_spec_line(first_run: tuple[Path, str]) -> None:
    out, stdout = first_run
    verdict = json.loads((out / "verdict.json").read_text())
    jsonschema.validate(verdict, json.loads(VERDICT_SCHEMA_PATH.read_text()))
    assert verdict["verdict"] == "fail" and verdict["exit_code"] == 1
    rules = [r["id"] for r in verdict["rules"]]
    assert "auth/unknown-token" in rules and len(rules) == len(set(rules))
    spec = Path("spec/openapi.yaml").read_text().splitlines()
    auth = next(r for r in verdict["rules"] if r["id"] == "auth/unknown-token")
    assert "A missing, malformed or unknown token is answered" in spec[auth["spec"]["line"] - 1]
    sarif = json.loads((out / "gate.sarif").read_text())
    assert sarif["version"] == "2.1.0"
    results = sarif["runs"][0]["results"]
    assert [r["ruleId"] for r in results] == rules
    assert all(r["locations"][0]["physicalLocation"]["region"]["startLine"] >= 1 for r in results)
    cases = ET.parse(out / "junit.xml").getroot().findall("testcase")
    assert [c.get("name") for c in cases] == rules
    assert all(c.find("failure") is not None for c in cases)
    commands = [line for line in stdout.splitlines() if line.startswith("::")]
    assert len(commands) == len(rules)
    assert commands[0].startswith(f"::error file=spec/openapi.yaml,line={auth['spec']['line']},")
    summary = (out / "summary.md").read_text()
    assert summary.startswith("## ❌ grades-contract: fail") and len(summary.encode()) < 1 << 20
    assert "| `auth/unknown-token`" in summary and "Coverage: " in summary


@pytest.mark.slow
def test_a_baseline_passes_known_findings_fails_expired_ones_and_lists_stale_entries(
    broken: str, first_run: tuple[Path, str], tmp_path: Path
) -> None:
    out, _ = first_run
    written = yaml.safe_load((out / "b.yaml").read_text())
    again = gate_run(broken, tmp_path, "--baseline", str(out / "b.yaml"), *reports(tmp_path))
    assert again.returncode == 0, again.stdout + again.stderr
    verdict = json.loads((tmp_path / "verdict.json").read_text())
    assert {r["status"] for r in verdict["rules"]} == {"known"}  # fingerprints are stable
    assert "baseline: 0 new" in again.stdout

    yesterday = (dt.date.today() - dt.timedelta(days=1)).isoformat()
    written["accepted"][0]["expires"] = yesterday
    gone = {**written["accepted"][0], "rule": "cors/gone", "fingerprint": "0" * 16}
    written["accepted"].append(gone)
    edited = tmp_path / "edited.yaml"
    edited.write_text(yaml.safe_dump(written))
    expired = gate_run(broken, tmp_path, "--baseline", str(edited), *reports(tmp_path))
    assert expired.returncode == 1, expired.stdout + expired.stderr
    statuses = {
        r["id"]: r["status"] for r in json.loads((tmp_path / "verdict.json").read_text())["rules"]
    }
    assert statuses.pop(written["accepted"][0]["rule"]) == "expired"
    assert set(statuses.values()) == {"known"}
    assert f"remove from baseline: cors/gone {'0' * 16}" in expired.stdout


def test_a_baseline_that_breaks_its_schema_is_one_line_and_exit_2(tmp_path: Path) -> None:
    bad = tmp_path / "b.yaml"
    bad.write_text("version: 1\naccepted:\n  - rule: x\n    fingerprint: nothex\n")
    done = run("http://127.0.0.1:9", "--baseline", str(bad), cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and "accepted/0" in done.stderr, done.stderr
