"""``frontend-kit/``: its generated files are current, its types check and catch misuse, it
imports from plain Node, and the grades contract suite passes against its MSW handlers.

Needs Node.js 20 and ``npm ci --prefix frontend-kit`` (``make test`` runs both); locally the
tests skip without them, with ``CI=true`` they fail.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.contract_tests.catch_rate import run_contract
from tests.frontend.frontend_kit import KIT, generated
from tests.serve_in_thread import eventually, free_port

pytestmark = pytest.mark.slow

BIN = KIT / "node_modules" / ".bin"
TYPES = KIT / "src" / "grades-api.d.ts"
SPEC = KIT.parent / "spec" / "openapi.yaml"


def _require_node() -> None:
    if shutil.which("node") and (BIN / "tsc").is_file():
        return
    message = "node or frontend-kit/node_modules missing: make frontend-kit (npm ci)"
    if os.environ.get("CI") == "true":
        pytest.fail(message)
    pytest.skip(message)


def _run(*command: str, cwd: Path = KIT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=120)


def test_the_generated_contract_and_fixtures_are_current() -> None:
    for path, text in generated().items():
        assert path.read_text(encoding="utf-8") == text, (
            f"{path.name} is stale: .venv/bin/python -m tests.frontend.frontend_kit"
        )


def test_the_types_are_current_with_the_spec(tmp_path: Path) -> None:
    _require_node()
    fresh = tmp_path / "grades-api.d.ts"
    done = _run(str(BIN / "openapi-typescript"), str(SPEC), "-o", str(fresh))
    assert done.returncode == 0, done.stderr
    stale = "stale types: npm run generate --prefix frontend-kit"
    assert TYPES.read_text() == fresh.read_text(), stale


def test_tsc_accepts_the_sample_and_refuses_a_misuse() -> None:
    _require_node()
    done = _run(str(BIN / "tsc"), "--noEmit", "-p", ".")
    assert done.returncode == 0, done.stdout
    # Inside the package (git-ignored): "grades-frontend-kit" resolves as for the sample.
    with tempfile.TemporaryDirectory(prefix=".examples-", dir=KIT) as folder:
        (Path(folder) / "wrong.ts").write_text(
            'import type { GradeRecord } from "grades-frontend-kit";\n'
            "export const grade = (r: GradeRecord): number => r.percent_grade;\n"
        )
        (Path(folder) / "tsconfig.json").write_text(
            '{"extends": "../tsconfig.json", "include": ["wrong.ts"]}'
        )
        refused = _run(str(BIN / "tsc"), "--noEmit", "-p", folder)
    assert refused.returncode != 0
    assert "wrong.ts" in refused.stdout and "not assignable to type 'number'" in refused.stdout


def test_a_consumer_imports_the_handlers_from_plain_node(tmp_path: Path) -> None:
    """As ``npm install ../frontend-kit`` leaves it: a link in the app's node_modules."""
    _require_node()
    (tmp_path / "node_modules").mkdir()
    (tmp_path / "node_modules" / "grades-frontend-kit").symlink_to(KIT)
    (tmp_path / "app.mjs").write_text(
        'import { handlers, createHandlers } from "grades-frontend-kit";\n'
        "console.log(handlers.length, createHandlers({ records: [] }).length);\n"
    )
    done = _run("node", "app.mjs", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["2", "2"]


@pytest.fixture
def msw_over_http() -> Iterator[str]:
    _require_node()
    port = free_port()
    process = subprocess.Popen(
        ["node", "bin/serve.js", "--port", str(port)], cwd=KIT, stdout=subprocess.PIPE, text=True
    )
    try:
        assert process.stdout is not None
        assert "MSW handlers at" in process.stdout.readline()
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        assert eventually(lambda: process.poll() is not None)
        if process.stdout is not None:
            process.stdout.close()


def test_the_contract_suite_ci_profile_passes_against_the_msw_handlers(msw_over_http: str) -> None:
    done = run_contract(msw_over_http, "--profile", "ci")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr
