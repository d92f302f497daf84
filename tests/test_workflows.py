"""The GitHub workflows parse and do what the docs promise.

``ci.yml`` is the kit's own CI (it must run ``.ci/run``, with ``CI=true``, so the browser
tests are required there as they are wherever ``.ci/run`` runs); the staging
example is what teams copy, so it must run ``grades-contract`` with the secrets passed only
through the environment and never print the token.
"""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from grades_kit.contract_tests.options import ENV_BASE_URL, ENV_TOKEN

WORKFLOWS = Path(__file__).resolve().parents[1] / ".github" / "workflows"
CI = WORKFLOWS / "ci.yml"
STAGING = WORKFLOWS / "contract-staging.example.yml"
SECRET_EXPR = re.compile(r"\$\{\{\s*secrets\.")
PRINTS = re.compile(r"\b(echo|printf|cat|printenv|env|set\s+-[a-z]*x)\b")


def load(path: Path) -> dict[Any, Any]:
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(doc, dict), f"{path.name} is not a YAML mapping"
    return doc


def triggers(doc: dict[Any, Any]) -> dict[str, Any]:
    # YAML 1.1 (PyYAML) reads the bare key `on` as the boolean True.
    on = doc.get("on", doc.get(True))
    assert isinstance(on, dict)
    return on


def steps(doc: dict[str, Any]) -> list[dict[str, Any]]:
    return [step for job in doc["jobs"].values() for step in job["steps"]]


def step_using(doc: dict[str, Any], action: str) -> dict[str, Any]:
    found = [s for s in steps(doc) if str(s.get("uses", "")).startswith(f"{action}@")]
    assert len(found) == 1, f"expected one {action} step, found {len(found)}"
    return found[0]


def runs(doc: dict[str, Any]) -> list[str]:
    return [str(s["run"]) for s in steps(doc) if "run" in s]


def contract_step(doc: dict[str, Any]) -> dict[str, Any]:
    found = [s for s in steps(doc) if "grades-contract" in str(s.get("run", ""))]
    assert len(found) == 1, "the staging example must run grades-contract in exactly one step"
    return found[0]


def command_args(step: dict[str, Any]) -> list[str]:
    return shlex.split(str(step["run"]).replace("\\\n", " "))


def flag_value(args: list[str], flag: str) -> str:
    assert flag in args, f"grades-contract is not given {flag}"
    return args[args.index(flag) + 1]


def test_ci_runs_ci_run_and_only_it_with_ci_true() -> None:
    doc = load(CI)
    commands = [line.strip() for run in runs(doc) for line in run.splitlines() if line.strip()]
    assert commands == [".ci/run"]
    assert str(doc["jobs"]["test"]["env"]["CI"]) == "true"
    script = (CI.parents[2] / ".ci" / "run").read_text(encoding="utf-8")
    assert "apt-get install -y -qq chromium" in script and script.rstrip().endswith("make test")


def test_ci_runs_on_python_311_with_debian_packages_and_node_20() -> None:
    doc = load(CI)
    assert doc["jobs"]["test"]["container"].startswith("python:3.11-bookworm")
    node = step_using(doc, "actions/setup-node")["with"]
    assert str(node["node-version"]) == "20"
    assert node["cache-dependency-path"] == ".tools/package-lock.json"


def test_ci_uploads_the_junit_report_it_asks_pytest_for() -> None:
    doc = load(CI)
    addopts = doc["jobs"]["test"]["env"]["PYTEST_ADDOPTS"]
    junit = addopts.split("=", 1)[1]
    upload = step_using(doc, "actions/upload-artifact")
    assert junit.startswith(upload["with"]["path"])
    assert step_using(doc, "mikepenz/action-junit-report")["with"]["report_paths"] == junit
    assert "cancelled" in upload["if"]


def test_ci_triggers_on_push_and_pull_request() -> None:
    assert {"push", "pull_request"} <= set(triggers(load(CI)))


def test_staging_runs_on_schedule_by_hand_and_after_a_deploy() -> None:
    on = triggers(load(STAGING))
    assert on["schedule"][0]["cron"]
    assert "workflow_dispatch" in on
    assert set(on["workflow_call"]["secrets"]) == {ENV_BASE_URL, ENV_TOKEN}


def test_staging_passes_the_secrets_only_through_the_environment() -> None:
    step = contract_step(load(STAGING))
    for name in (ENV_BASE_URL, ENV_TOKEN):
        assert re.fullmatch(r"\$\{\{\s*secrets\." + name + r"\s*\}\}", step["env"][name])
    args = command_args(step)
    assert "--token" not in args and "--base-url" not in args


def test_staging_never_prints_or_interpolates_the_token() -> None:
    for run in runs(load(STAGING)):
        assert not SECRET_EXPR.search(run), "secrets must reach scripts through env only"
        for line in run.splitlines():
            printed = PRINTS.search(line) and ENV_TOKEN in line
            assert not printed, f"a line may print the token: {line!r}"


def test_staging_publishes_the_report_grades_contract_writes() -> None:
    doc = load(STAGING)
    args = command_args(contract_step(doc))
    assert args[0] == "grades-contract"
    assert flag_value(args, "--profile") == "ci"
    junit = step_using(doc, "mikepenz/action-junit-report")
    assert junit["with"]["report_paths"] == flag_value(args, "--junit-xml")
    upload = step_using(doc, "actions/upload-artifact")
    assert upload["with"]["path"].rstrip("/") == flag_value(args, "--report-dir")
    assert "cancelled" in junit["if"] and "cancelled" in upload["if"]


def test_staging_example_skips_itself_until_copied() -> None:
    job = load(STAGING)["jobs"]["contract"]
    assert ".example.yml@" in job["if"]


@pytest.mark.slow
def test_staging_uses_only_flags_grades_contract_knows() -> None:
    args = command_args(contract_step(load(STAGING)))
    flags = [arg for arg in args if arg.startswith("--")]
    helped = subprocess.run(
        [str(Path(sys.executable).with_name("grades-contract")), "--help"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert helped.returncode == 0, f"grades-contract --help failed: {helped.stderr.strip()}"
    unknown = [flag for flag in flags if flag not in helped.stdout]
    assert not unknown, f"grades-contract --help does not list {unknown}"
