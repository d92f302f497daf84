"""``docs/frontend.md`` and ``docs/mock-server.md`` as written: their JavaScript examples run
under Vitest against the MSW handlers, their ``grades-mock`` lines start with the settings
they show, their npm install works, and their sample messages are the real ones.
(``tests/mock_server/test_docs_commands.py`` runs the ``curl`` lines.)"""

from __future__ import annotations

import json
import os
import re
import shlex
import socket
import subprocess
import tempfile
from pathlib import Path

import pytest

from grades_kit.mock_server import Settings, create_app
from grades_kit.mock_server.mock_cli import build_parser, main, settings_from
from grades_kit.mock_server.watch import RELOAD_REFUSED
from grades_kit.proxy.proxy_cli import build_parser as proxy_parser
from grades_kit.proxy.proxy_cli import cors_from
from tests.frontend.frontend_kit import KIT
from tests.frontend.test_frontend_kit import BIN, _require_node
from tests.mock_server.test_docs_commands import MSW_BASE, SH_BLOCK, commands

pytestmark = pytest.mark.slow

DOCS = KIT.parent / "docs"
FRONTEND = DOCS / "frontend.md"
EXAMPLE = re.compile(r"^```(?:js|jsx)\n// file: (\S+)\n(.*?)^```", re.S | re.M)


def test_the_javascript_examples_pass_under_vitest() -> None:
    _require_node()
    examples = EXAMPLE.findall(FRONTEND.read_text(encoding="utf-8"))
    assert {name for name, _ in examples} == {"grades.test.js", "GradesTable.test.jsx"}
    with tempfile.TemporaryDirectory(prefix=".examples-", dir=KIT) as folder:
        for name, code in examples:  # inside the package: "grades-frontend-kit" resolves
            (Path(folder) / name).write_text(code, encoding="utf-8")
        done = subprocess.run(
            [str(BIN / "vitest"), "run", "--root", folder, "--reporter", "verbose"],
            cwd=KIT, capture_output=True, text=True, timeout=300,
            env={**os.environ, "NO_COLOR": "1", "FORCE_COLOR": "0"},  # CI=true turns colour on
        )  # fmt: skip
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert re.search(r"Tests\s+5 passed \(5\)", done.stdout), done.stdout[-1500:]


def documented_mock_lines() -> list[list[str]]:
    """The argv of each ``.venv/bin/grades-mock`` line of the docs (``record``'s aside)."""
    found = []
    for doc in (FRONTEND, DOCS / "mock-server.md"):
        for line in commands(doc):
            if line.startswith(".venv/bin/grades-mock"):
                argv = shlex.split(line, comments=True)[1:]
                if argv[:1] != ["record"]:
                    found.append(argv)
    return found


def test_every_documented_grades_mock_line_starts_with_what_it_shows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each line's flags give valid settings (the mock's or the proxy's), as the CLI reads
    them, and the fixtures it names load; starting a server for each would add nothing the CLI
    tests do not cover. The files the docs name as the reader's own are made here."""
    records = json.loads((KIT.parent / "fixtures" / "grades.json").read_text())
    (tmp_path / "fixtures").symlink_to(KIT.parent / "fixtures")
    (tmp_path / "my-grades.json").write_text(json.dumps(records))
    (tmp_path / "fixtures-dir").mkdir()
    (tmp_path / "fixtures-dir" / "a.json").write_text(json.dumps(records[:10]))
    (tmp_path / "extra.json").write_text(json.dumps(records[10:20]))
    monkeypatch.chdir(tmp_path)
    lines = documented_mock_lines()
    assert any("--cors-credentials" in argv for argv in lines)
    for argv in lines:
        if argv[:1] == ["proxy"]:
            cors_from(proxy_parser().parse_args(argv[1:]))
            continue
        settings = settings_from(build_parser().parse_args(argv), {})
        if settings.fixtures or settings.generate is None:
            create_app(settings)  # the fixtures it names load


def test_the_documented_npm_install_works(tmp_path: Path) -> None:
    _require_node()
    line = next(c for c in commands(FRONTEND) if c.startswith("npm install --save-dev msw"))
    (tmp_path / "package.json").write_text('{"name": "app", "private": true, "type": "module"}')
    argv = shlex.split(line.replace('"$KIT', f'"{KIT.parent}'))
    installed = subprocess.run(
        [*argv, "--no-audit", "--no-fund"], cwd=tmp_path, capture_output=True, text=True,
        timeout=300,
    )  # fmt: skip
    assert installed.returncode == 0, installed.stderr
    script = 'import { handlers } from "grades-frontend-kit"; console.log(handlers.length);'
    done = subprocess.run(
        ["node", "--input-type=module", "-e", script], cwd=tmp_path, capture_output=True,
        text=True, timeout=60,
    )  # fmt: skip
    assert done.stdout.strip() == "2", done.stderr


def test_the_422_sample_is_the_real_answer_to_the_documented_record() -> None:
    text = FRONTEND.read_text(encoding="utf-8")
    sample_block = re.search(r"```json\n(\{\"detail\": \"record .*?)\n```", text)
    put_body = re.search(r"-d '(\[\{\"username\":\"amy\".*?\])'", text, re.S)
    assert sample_block and put_body
    sample, record = json.loads(sample_block[1]), json.loads(put_body[1])
    record[0]["percent_grade"] = "1.7"
    app = create_app(Settings(admin_token="e2e-secret"))
    answer = app.test_client().put(
        "/__mock/records", json=record, headers={"Authorization": "Bearer e2e-secret"}
    )
    assert answer.status_code == 422 and answer.get_json() == sample


def test_the_watch_sample_is_the_real_log_line() -> None:
    text = FRONTEND.read_text(encoding="utf-8")
    assert f"\n{RELOAD_REFUSED.split('%s')[0]}" in text


def test_the_fixture_error_sample_is_the_real_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    text = (DOCS / "mock-server.md").read_text(encoding="utf-8")
    found = re.search(r"^(grades-mock: error: my-grades\.json, record 3, .*)$", text, re.M)
    assert found
    sample = found[1]
    records = json.loads((KIT.parent / "fixtures" / "grades.json").read_text())[:4]
    records[3]["percent_grade"] = "1.5"
    (tmp_path / "my-grades.json").write_text(json.dumps(records))
    monkeypatch.chdir(tmp_path)
    assert main(["--fixtures", "my-grades.json"], {}) == 2
    assert capsys.readouterr().err.strip() == sample


def test_the_msw_handlers_over_http_answer_the_documented_curl() -> None:
    _require_node()
    block = next(
        b for b in SH_BLOCK.findall(FRONTEND.read_text(encoding="utf-8")) if "serve.js" in b
    )
    serve, curl = (shlex.split(line, comments=True) for line in block.strip().splitlines())
    process = subprocess.Popen(serve, cwd=KIT.parent, stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        assert MSW_BASE in process.stdout.readline()
        done = subprocess.run(curl, capture_output=True, text=True, timeout=30)
    finally:
        process.terminate()
        process.wait(timeout=10)
        if process.stdout is not None:
            process.stdout.close()
    assert done.returncode == 0 and {r["username"] for r in json.loads(done.stdout)} == {"johndoe"}


def test_the_busy_port_sample_is_the_real_message(capsys: pytest.CaptureFixture[str]) -> None:
    text = " ".join(FRONTEND.read_text(encoding="utf-8").split())
    found = re.search(r"`(grades-mock: error: cannot listen on .*?)`", text)
    assert found
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        assert main(["--port", str(taken.getsockname()[1])], {}) == 2
    real = capsys.readouterr().err.strip()
    assert re.sub(r"\d{2,5}", "N", real) == re.sub(r"\d{2,5}", "N", found[1])
