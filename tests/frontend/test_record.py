"""``grades-mock record`` against a running mock (real HTTP, in a thread)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask, Response

from grades_kit.contract.loader import GRADES_PATH, load_contract
from grades_kit.mock_server import create_app
from grades_kit.mock_server.fixtures import load_fixtures
from grades_kit.mock_server.mock_cli import main
from tests.serve_in_thread import free_port, serve_in_thread

pytestmark = pytest.mark.slow

TOKEN = "local-dev-token"
COURSE = "course-v1:MOOCit-demo-1"


@pytest.fixture(scope="module")
def mock_url() -> Iterator[str]:
    with serve_in_thread(create_app()) as base:
        yield base


def record(*args: str) -> int:
    return main(["record", *args])


def load(path: Path) -> list[dict[str, Any]]:
    records: list[dict[str, Any]] = json.loads(path.read_text())
    load_fixtures([path], load_contract())  # a valid fixture file, or this raises
    return records


def test_records_every_grade(mock_url: str, tmp_path: Path, capsys: Any) -> None:
    out = tmp_path / "grades.json"
    assert record("--from", mock_url, "--token", TOKEN, "--out", str(out)) == 0
    assert load(out) == json.loads(Path("fixtures/grades.json").read_text())
    assert f"wrote {len(load(out))} records" in capsys.readouterr().out
    assert [p.name for p in tmp_path.iterdir()] == ["grades.json"]  # no temporary left


def test_records_one_course(mock_url: str, tmp_path: Path) -> None:
    out = tmp_path / "course.json"
    args = ["--from", mock_url + GRADES_PATH, "--token", TOKEN, "--course-id", COURSE]
    assert record(*args, "--out", str(out)) == 0
    records = load(out)
    assert records and {r["course_id"] for r in records} == {COURSE}


def test_anonymize_is_deterministic_and_keeps_relations(mock_url: str, tmp_path: Path) -> None:
    one, two, salted = tmp_path / "1.json", tmp_path / "2.json", tmp_path / "3.json"
    base = ["--from", mock_url, "--token", TOKEN, "--anonymize"]
    assert record(*base, "--out", str(one)) == 0
    assert record(*base, "--out", str(two)) == 0
    assert record(*base, "--salt", "other", "--out", str(salted)) == 0
    original = json.loads(Path("fixtures/grades.json").read_text())
    anonymous = load(one)
    assert one.read_bytes() == two.read_bytes()
    assert load(salted)[0]["username"] != anonymous[0]["username"]
    for field in ("username", "email", "display_name"):
        before = {r[field] for r in original}
        after = {r[field] for r in anonymous}
        assert not before & after, f"{field} leaked"
        # one pseudonym per original value: groupings (filters, invariants) are kept
        pairs = {(o[field], a[field]) for o, a in zip(original, anonymous, strict=True)}
        assert len(pairs) == len(before) == len(after)
    assert [r["course_id"] for r in anonymous] == [r["course_id"] for r in original]


def test_invalid_records_are_reported_not_written(tmp_path: Path, capsys: Any) -> None:
    good = json.loads(Path("fixtures/grades.json").read_text())[0]
    bad = dict(good, username="someone_else", percent_grade="1.50")
    app = Flask(__name__)
    app.get(GRADES_PATH)(lambda: [good, bad])
    out = tmp_path / "out.json"
    with serve_in_thread(app) as base:
        assert record("--from", base, "--token", "x", "--out", str(out)) == 0
    assert load(out) == [good]
    err = capsys.readouterr().err
    assert "skipped record 1, field 'percent_grade'" in err


def _text_app() -> Flask:
    app = Flask(__name__)
    app.get(GRADES_PATH)(lambda: Response("<html>login</html>", mimetype="text/html"))
    return app


@pytest.mark.parametrize(
    ("case", "expected"),
    [("unreachable", "cannot reach"), ("401", "answered 401: "), ("html", "did not answer JSON")],
)
def test_failures_are_one_line_exit_2(
    mock_url: str, tmp_path: Path, capsys: Any, case: str, expected: str
) -> None:
    out = tmp_path / "keep.json"
    out.write_text("[]")
    args = ["--token", "wrong" if case == "401" else TOKEN, "--out", str(out)]
    if case == "html":
        with serve_in_thread(_text_app()) as base:
            code = record("--from", base, *args)
    else:
        url = f"http://127.0.0.1:{free_port()}" if case == "unreachable" else mock_url
        code = record("--from", url, *args)
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith("grades-mock record: error: ") and expected in err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert out.read_text() == "[]"  # the previous file is untouched
