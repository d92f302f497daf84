"""The GitHub workflows parse and do what the docs promise.

``ci.yml`` is the kit's own CI (it must run ``.ci/run``, with ``CI=true``, so the browser
tests are required there as they are wherever ``.ci/run`` runs); the staging
example is what teams copy, so it must run ``grades-contract`` with the secrets passed only
through the environment and never print the token.
"""

from __future__ import annotations

import json
import re
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from grades_kit.contract_tests.options import ENV_BASE_URL, ENV_TOKEN
from grades_kit.mock_server import Settings, create_app
from tests.contract_tests.catch_rate import TOKEN
from tests.serve_in_thread import serve_in_thread

WORKFLOWS = Path(__file__).resolve().parents[1] / ".github" / "workflows"
CI = WORKFLOWS / "ci.yml"
STAGING = WORKFLOWS / "contract-staging.example.yml"
ACTION: dict[str, Any] = yaml.safe_load((WORKFLOWS.parents[1] / "action.yml").read_text("utf-8"))
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


def gate_step(doc: dict[str, Any]) -> dict[str, Any]:
    found = [s for s in steps(doc) if str(s.get("uses", "")).startswith("<org>/<repo>@v")]
    assert len(found) == 1, "the staging example must run the kit's action in exactly one step"
    return found[0]


def action_run_step() -> dict[str, Any]:
    (step,) = [s for s in ACTION["runs"]["steps"] if s.get("id") == "run"]
    return dict(step)


def test_staging_passes_the_secrets_only_to_the_actions_inputs() -> None:
    given = gate_step(load(STAGING))["with"]
    assert re.fullmatch(r"\$\{\{\s*secrets\.GRADES_BASE_URL\s*\}\}", given["base-url"])
    assert re.fullmatch(r"\$\{\{\s*secrets\.GRADES_TOKEN\s*\}\}", given["token"])
    env = action_run_step()["env"]
    assert env[ENV_TOKEN] == "${{ inputs.token }}" and env[ENV_BASE_URL] == "${{ inputs.base-url }}"


def test_neither_workflow_nor_action_prints_or_interpolates_into_a_script() -> None:
    scripts = runs(load(STAGING)) + [s["run"] for s in ACTION["runs"]["steps"] if "run" in s]
    for run in scripts:
        assert "${{" not in run, "inputs and secrets reach scripts through env only"
        for line in run.splitlines():
            printed = PRINTS.search(line) and ENV_TOKEN in line
            assert not printed, f"a line may print the token: {line!r}"


def test_staging_uploads_sarif_and_nothing_personal() -> None:
    doc = load(STAGING)
    uses = [str(s.get("uses", "")).split("@")[0] for s in steps(doc)]
    assert "actions/upload-artifact" not in uses, "the traffic record never leaves the runner"
    sarif = step_using(doc, "github/codeql-action/upload-sarif")
    assert "steps.gate.outputs.sarif" in sarif["with"]["sarif_file"]
    assert doc["permissions"] == {"contents": "read", "security-events": "write"}


def test_the_action_installs_the_suite_pinned_and_without_the_mock() -> None:
    (install,) = [s for s in ACTION["runs"]["steps"] if "pip install" in s.get("run", "")]
    assert '-c "$GITHUB_ACTION_PATH/constraints.txt" "$GITHUB_ACTION_PATH[suite]"' in install["run"]
    assert "[mock]" not in install["run"]


def test_staging_example_skips_itself_until_copied() -> None:
    job = load(STAGING)["jobs"]["contract"]
    assert ".example.yml@" in job["if"]


@pytest.mark.slow
def test_the_actions_run_step_works_locally_with_the_github_variables(tmp_path: Path) -> None:
    """The action's own script, as the runner would run it: summary, annotations, SARIF."""
    with serve_in_thread(create_app(Settings())) as url:
        done, output, summary = _run_the_actions_step(url, tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "verdict=pass" in output.read_text()
    assert summary.read_text().startswith("## ✅ grades-contract: pass")
    sarif = json.loads((tmp_path / "reports" / "grades-contract.sarif").read_text())
    assert sarif["version"] == "2.1.0" and sarif["runs"][0]["results"] == []
    assert TOKEN not in done.stdout + done.stderr + summary.read_text()


def _run_the_actions_step(
    url: str, tmp_path: Path
) -> tuple[subprocess.CompletedProcess[str], Path, Path]:
    output, summary = tmp_path / "output", tmp_path / "summary.md"
    inputs = {"profile": "smoke", "baseline": "", "max-time": "120", "reports-dir": "reports"}
    env = {
        "PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin",
        "XDG_CACHE_HOME": str(tmp_path),
        "GITHUB_ACTIONS": "true",
        "GITHUB_STEP_SUMMARY": str(summary),
        "GITHUB_OUTPUT": str(output),
        ENV_BASE_URL: url,
        ENV_TOKEN: TOKEN,
    }
    for name, value in action_run_step()["env"].items():
        if name not in (ENV_BASE_URL, ENV_TOKEN):
            env[name] = inputs[value.removeprefix("${{ inputs.").removesuffix(" }}")]
    done = subprocess.run(
        ["bash", "-c", action_run_step()["run"]],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    return done, output, summary


@pytest.mark.slow
def test_the_action_uses_only_flags_grades_contract_knows() -> None:
    script = action_run_step()["run"]
    flags = sorted(set(re.findall(r"(?<![\w-])--[a-z][a-z-]+", script)))
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


def test_the_docs_point_at_the_workflow_files_instead_of_retyping_them() -> None:
    docs = (WORKFLOWS.parents[1] / "docs" / "contract-suite.md").read_text("utf-8")
    assert ".github/workflows/contract-staging.example.yml" in docs and "action.yml" in docs
    assert "runs-on:" not in docs and "uses: actions/" not in docs
