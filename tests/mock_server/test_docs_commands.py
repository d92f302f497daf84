"""Every ``curl`` line of the mock's docs works as written, against a live mock.

The ``sh`` blocks of ``docs/mock-server.md`` and ``docs/frontend.md`` are read in order; their
variable assignments (``ADMIN=...``, ``M=...``) are kept, each ``curl`` command runs with only
the mock's address changed, and it must get the answer the docs promise: the status a
``Prefer: code=`` asks for, else a 2xx. A course key with a raw ``+`` would be a 400 here.
"""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest

from grades_kit.mock_server import Settings, create_app
from tests.serve_in_thread import serve_in_thread

pytestmark = pytest.mark.slow

DOCS = Path(__file__).resolve().parents[2] / "docs"
DOCUMENTED_BASE = "http://127.0.0.1:8080"
MSW_BASE = "http://127.0.0.1:8090"
"""frontend-kit's MSW handlers over HTTP (tests/frontend/test_docs_examples.py runs them)."""
DOCUMENTED_ADMIN_TOKEN = "e2e-secret"  # docs/frontend.md starts the mock with it
SH_BLOCK = re.compile(r"^```sh\n(.*?)^```", re.S | re.M)
ASSIGNMENT = re.compile(r"^([A-Z_]+)=(.*)$")
MORE = {
    "username": "bo", "email": "bo@example.com", "course_id": "course-v1:Org+C1+2026",
    "display_name": "Course one", "percent_grade": "0.40", "letter_grade": "",
    "passed_timestamp": None, "last_date": "2026-01-04",
}  # fmt: skip


def commands(doc: Path) -> Iterator[str]:
    """The doc's shell commands in order: continuation lines and multi-line quotes joined."""
    for block in SH_BLOCK.findall(doc.read_text(encoding="utf-8")):
        pending = ""
        for line in block.replace("\\\n", " ").splitlines():
            pending += line + "\n"
            try:
                shlex.split(pending, comments=True)
            except ValueError:  # a quote still open: the command goes on
                continue
            yield pending.strip()
            pending = ""


def documented_curls() -> list[tuple[str, list[str]]]:
    """(the line as written, its argv with the variables expanded) for each curl line."""
    variables: dict[str, str] = {}
    found = []
    for doc in (DOCS / "mock-server.md", DOCS / "frontend.md"):
        for line in commands(doc):
            assignment = ASSIGNMENT.match(line.strip())
            if assignment:
                variables[assignment.group(1)] = shlex.split(assignment.group(2))[0]
            elif line.strip().startswith("curl ") and MSW_BASE not in line:
                expanded = line
                for name, value in variables.items():
                    expanded = re.sub(rf"\$\{{?{name}\}}?\b", value, expanded)
                found.append((line.strip(), shlex.split(expanded, comments=True)))
    return found


def test_the_docs_have_curl_lines_to_check() -> None:
    lines = [line for line, _ in documented_curls()]
    assert len(lines) >= 15
    assert any("%2B" in line for line in lines)


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl not installed")
def test_every_documented_curl_line_works_as_written(tmp_path: Path) -> None:
    (tmp_path / "more.json").write_bytes(orjson.dumps([MORE]))  # the file the docs post
    app = create_app(Settings(admin_token=DOCUMENTED_ADMIN_TOKEN))
    with serve_in_thread(app) as base:
        for line, argv in documented_curls():
            argv = [arg.replace(DOCUMENTED_BASE, base) for arg in argv]
            done = subprocess.run(
                [*argv, "-sS", "-o", "/dev/null", "-w", "%{http_code}"],
                cwd=tmp_path, capture_output=True, text=True, timeout=30, check=False,
            )  # fmt: skip
            assert done.returncode == 0, f"{line}\n{done.stderr}"
            forced = re.search(r"Prefer: [^']*code=(\d+)", line)
            status = int(done.stdout)
            if forced:
                assert status == int(forced.group(1)), line
            else:
                assert 200 <= status < 300, f"{line}: {status}"
