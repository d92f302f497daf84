"""The Spectral set-up of ``make lint``: ruleset, pinned install, Makefile wiring, docs.

The clean run on the real spec happens in ``make lint``; here a broken copy of the spec proves
that Spectral follows the ``$ref``s into ``spec/components/`` and that every rule of this API
fires when it should.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
RULESET = ROOT / ".spectral.yaml"
TOOLS = ROOT / ".tools"
SPECTRAL = TOOLS / "node_modules" / ".bin" / "spectral"
PACKAGE = "@stoplight/spectral-cli"
CUSTOM_PREFIX = "grades-"


def ruleset() -> dict[str, Any]:
    doc = yaml.safe_load(RULESET.read_text(encoding="utf-8"))
    assert isinstance(doc, dict)
    return doc


def custom_rules() -> set[str]:
    return {name for name in ruleset()["rules"] if name.startswith(CUSTOM_PREFIX)}


def test_ruleset_extends_spectral_oas() -> None:
    extends = ruleset()["extends"]
    flat = [item[0] if isinstance(item, list) else item for item in extends]
    assert "spectral:oas" in flat


def test_every_custom_rule_says_what_it_checks() -> None:
    rules = ruleset()["rules"]
    for name in custom_rules():
        assert rules[name]["description"], name
        assert rules[name]["severity"] in ("error", "warn"), name


def test_every_rule_and_override_is_explained_in_the_docs() -> None:
    docs = (ROOT / "docs" / "linting.md").read_text(encoding="utf-8")
    named = set(ruleset()["rules"])
    for override in ruleset().get("overrides", []):
        named |= set(override["rules"])
    missing = sorted(name for name in named if f"`{name}`" not in docs)
    assert not missing, f"docs/linting.md does not explain {missing}"


def test_spectral_version_is_pinned_and_locked() -> None:
    package = json.loads((TOOLS / "package.json").read_text(encoding="utf-8"))
    lock = json.loads((TOOLS / "package-lock.json").read_text(encoding="utf-8"))
    pinned = package["devDependencies"][PACKAGE]
    assert re.fullmatch(r"[0-9]+\.[0-9]+\.[0-9]+", pinned), "pin an exact version"
    assert lock["packages"][f"node_modules/{PACKAGE}"]["version"] == pinned


def test_make_lint_runs_spectral_failing_on_warnings() -> None:
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    recipe = re.search(r"^lint:.*\n((?:\t.*\n)+)", makefile, re.MULTILINE)
    assert recipe, "no lint target"
    spectral_lines = [line for line in recipe.group(1).splitlines() if "spectral lint" in line]
    assert len(spectral_lines) == 1
    for part in ("spec/openapi.yaml", "--ruleset .spectral.yaml", "--fail-severity=warn"):
        assert part in spectral_lines[0]


def test_spectral_install_is_git_ignored() -> None:
    ignored = subprocess.run(
        ["git", "check-ignore", "-q", str(TOOLS / "node_modules" / ".installed")],
        cwd=ROOT,
        check=False,
    )
    assert ignored.returncode == 0


# One defect per rule of this API, plus one inside a $ref'd file, applied to a copy of the spec.
Mutation = Callable[[dict[str, Any]], None]


def _no_summary(doc: dict[str, Any]) -> None:
    del doc["paths"]["/api/so2/v1/grades"]["get"]["summary"]


def _html_error(doc: dict[str, Any]) -> None:
    forbidden = doc["components"]["responses"]["Forbidden"]
    forbidden["content"] = {"text/html": {"schema": {"type": "string"}}}


def _no_www_authenticate(doc: dict[str, Any]) -> None:
    del doc["components"]["responses"]["Unauthorized"]["headers"]


def _no_retry_after(doc: dict[str, Any]) -> None:
    del doc["components"]["responses"]["TooManyRequests"]["headers"]


def _authorization_parameter(doc: dict[str, Any]) -> None:
    doc["components"]["parameters"]["Origin"]["name"] = "Authorization"


def _no_query_examples(doc: dict[str, Any]) -> None:
    del doc["components"]["parameters"]["Username"]["examples"]


MUTATIONS: dict[str, tuple[Mutation, str]] = {
    "grades-operation-summary": (_no_summary, "paths./api/so2/v1/grades.get"),
    "grades-error-body": (_html_error, "components.responses.Forbidden"),
    "grades-401-www-authenticate": (_no_www_authenticate, "components.responses.Unauthorized"),
    "grades-retry-after": (_no_retry_after, "components.responses.TooManyRequests"),
    "grades-no-reserved-header-parameter": (
        _authorization_parameter,
        "components.parameters.Origin",
    ),
    "grades-query-parameter-examples": (_no_query_examples, "components.parameters.Username"),
}


def test_every_custom_rule_has_a_mutation() -> None:
    assert set(MUTATIONS) == custom_rules()


def broken_copy(tmp_path: Path) -> Path:
    """The spec and ruleset copied side by side, every mutation applied."""
    shutil.copytree(ROOT / "spec", tmp_path / "spec", ignore=shutil.ignore_patterns("*.py"))
    shutil.copy(RULESET, tmp_path / RULESET.name)
    spec = tmp_path / "spec" / "openapi.yaml"
    doc = yaml.safe_load(spec.read_text(encoding="utf-8"))
    for mutate, _ in MUTATIONS.values():
        mutate(doc)
    spec.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    example = tmp_path / "spec" / "components" / "examples" / "all.yaml"
    data = yaml.safe_load(example.read_text(encoding="utf-8"))
    data["value"][0]["percent_grade"] = "eighty percent"
    example.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return spec


@pytest.mark.slow
def test_spectral_follows_refs_and_every_rule_fires(tmp_path: Path) -> None:
    if not SPECTRAL.exists():
        pytest.skip("Spectral is not installed: `make lint` installs it")
    spec = broken_copy(tmp_path)
    ruleset_arg = f"--ruleset={tmp_path / RULESET.name}"
    done = subprocess.run(
        [str(SPECTRAL), "lint", str(spec), ruleset_arg, "--format=json", "--quiet"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 1, done.stderr
    found = json.loads(done.stdout)
    fired = {(item["code"], ".".join(map(str, item["path"]))) for item in found}
    for rule, (_, where) in MUTATIONS.items():
        assert any(code == rule and path.startswith(where) for code, path in fired), rule
    in_component_file = [
        item for item in found if item["source"].endswith("components/examples/all.yaml")
    ]
    assert [item["code"] for item in in_component_file] == ["oas3-valid-media-example"]
