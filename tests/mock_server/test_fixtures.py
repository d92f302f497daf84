"""The bundled fixtures meet every promise, and every bad fixture stops the start clearly."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections import defaultdict
from datetime import datetime
from pathlib import Path

import pytest

from grades_kit.mock_server import FixtureError, Settings, create_app
from grades_kit.mock_server.fixtures import default_fixture_dir, load_fixtures

ROOT = Path(__file__).resolve().parents[2]
BUNDLED = ROOT / "fixtures" / "grades.json"
DEMO = ("course-v1:MOOCit-demo-1", "course-v1:MOOCit-demo-2")
OPEN_EDX_KEY = re.compile(r"^course-v1:[^+]+\+[^+]+\+[^+]+$")


@pytest.fixture(scope="module")
def records():
    return json.loads(BUNDLED.read_text(encoding="utf-8"))


def test_bundled_records_are_schema_valid(records, contract):
    validator = contract.validator("GradeRecord")
    for index, record in enumerate(records):
        assert not list(validator.iter_errors(record)), index


def test_bundled_starts_with_the_spec_demo_and_demo_courses_hold_only_it(records, contract):
    demo = contract.response_examples()["all"]
    assert records[: len(demo)] == demo
    assert [r for r in records if r["course_id"] in DEMO] == demo
    demo_learners = {r["username"] for r in demo}
    assert all(r["course_id"] in DEMO for r in records if r["username"] in demo_learners)


def test_bundled_realistic_set(records):
    realistic = [r for r in records if r["course_id"] not in DEMO]
    assert len({r["course_id"] for r in realistic}) >= 6
    assert all(OPEN_EDX_KEY.match(r["course_id"]) for r in realistic)
    usernames = {r["username"] for r in records}
    assert len(usernames) >= 60
    assert {r["percent_grade"] for r in records} >= {"0.00", "1.00"}
    assert any(r["letter_grade"] for r in records) and any(not r["letter_grade"] for r in records)
    assert any(r["passed_timestamp"] is None for r in records)
    assert any(not r["display_name"].isascii() for r in records)
    assert any(not u.isascii() for u in usernames)
    folded = defaultdict(set)
    for name in usernames:
        folded[name.lower()].add(name)
    assert any(len(names) > 1 for names in folded.values())


def test_bundled_meets_every_invariant_strict_and_advisory(records):
    pairs = [(r["username"], r["course_id"]) for r in records]
    assert len(pairs) == len(set(pairs))
    titles, emails = defaultdict(set), defaultdict(set)
    for r in records:
        titles[r["course_id"]].add(r["display_name"])
        emails[r["username"]].add(r["email"])
        assert 0 <= float(r["percent_grade"]) <= 1
        assert bool(r["letter_grade"]) == (r["passed_timestamp"] is not None)
        if r["passed_timestamp"]:
            fmt = "%Y-%m-%d %H:%M:%S.%f" if "." in r["passed_timestamp"] else "%Y-%m-%d %H:%M:%S"
            passed = datetime.strptime(r["passed_timestamp"], fmt)
            assert passed.date().isoformat() <= r["last_date"]
    assert all(len(v) == 1 for v in titles.values())
    assert all(len(v) == 1 for v in emails.values())


def test_make_fixtures_reproduces_the_file():
    script = ROOT / "fixtures" / "make_fixtures.py"
    done = subprocess.run([sys.executable, str(script), "--check"], capture_output=True)
    assert done.returncode == 0, done.stderr


def test_default_dir_is_the_checkout_copy():
    assert default_fixture_dir() == BUNDLED.parent


GOOD = {
    "username": "amy",
    "email": "amy@example.com",
    "course_id": "course-v1:A+B+C",
    "display_name": "A course",
    "percent_grade": "0.50",
    "letter_grade": "",
    "passed_timestamp": None,
    "last_date": "2021-01-01",
}


def _write(tmp_path, data, name="f.json"):
    path = tmp_path / name
    path.write_text(data if isinstance(data, str) else json.dumps(data), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ("[{", "not valid JSON"),
        ({"records": []}, "expected a JSON array of records, found dict"),
        ([GOOD, {**GOOD, "username": "a b"}], "record 1, field 'username': 'a b' does not match"),
        ([{k: v for k, v in GOOD.items() if k != "email"}], "record 0: 'email' is a required"),
        ([{**GOOD, "extra": 1}], "record 0: Additional properties"),
        ([{**GOOD, "percent_grade": 0.5}], "record 0, field 'percent_grade': 0.5 is not of type"),
        ([GOOD, GOOD], "record 1, field 'course_id': duplicate (username, course_id) pair"),
        ([GOOD, {**GOOD, "username": "bob", "display_name": "B"}], "[one-display-name-per-course]"),
        (
            [GOOD, {**GOOD, "course_id": "course-v1:X", "email": "o@x.io"}],
            "[one-email-per-learner]",
        ),
        ([{**GOOD, "letter_grade": "Pass"}], "field 'passed_timestamp': null although"),
        ([{**GOOD, "passed_timestamp": "2021-02-30 10:00:00"}], "is not a real date and time"),
    ],
)
def test_bad_fixtures_name_file_record_field_and_reason(tmp_path, contract, data, message):
    path = _write(tmp_path, data)
    with pytest.raises(FixtureError) as caught:
        load_fixtures([path], contract)
    text = str(caught.value)
    assert text.startswith(str(path)) and message in text and "\n" not in text


def test_missing_path_and_empty_folder(tmp_path, contract):
    with pytest.raises(FixtureError, match="no such file or folder"):
        load_fixtures([tmp_path / "nope.json"], contract)
    with pytest.raises(FixtureError, match="holds no"):
        load_fixtures([tmp_path], contract)


def test_folders_and_files_combine_and_duplicates_across_files_are_caught(tmp_path, contract):
    folder = tmp_path / "more"
    folder.mkdir()
    _write(folder, [GOOD], "a.json")
    _write(folder, [{**GOOD, "username": "bob", "email": "bob@example.com"}], "b.json")
    store = load_fixtures([folder], contract)
    assert len(store) == 2
    extra = _write(tmp_path, [GOOD], "c.json")
    with pytest.raises(FixtureError, match="c.json, record 0, field 'course_id': duplicate"):
        load_fixtures([folder, extra], contract)


def test_create_app_serves_own_fixtures(tmp_path):
    app = create_app(Settings(fixtures=(_write(tmp_path, [GOOD]),)))
    response = app.test_client().get(
        "/api/so2/v1/grades", headers={"Authorization": "Bearer local-dev-token"}
    )
    assert response.get_json() == [GOOD]
