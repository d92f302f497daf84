"""Synthetic records: deterministic, schema-valid, realistic bounded groups, spec-driven."""

from __future__ import annotations

import shutil
from collections import Counter, defaultdict
from pathlib import Path

import orjson
import pytest
import yaml

from grades_kit.contract.loader import GRADES_PATH, load_contract
from grades_kit.mock_server import GeneratorError, Settings, create_app
from grades_kit.mock_server.generator import RecordGenerator, minimal_value
from grades_kit.mock_server.store import CHUNK_BYTES

SPEC_DIR = Path(__file__).resolve().parents[2] / "spec"
AUTH = {"Authorization": "Bearer local-dev-token"}


def _all(store):
    return orjson.loads(b"".join(store.dump()))


@pytest.fixture(scope="module")
def big(contract):
    return _all(RecordGenerator(contract, 42).store(30_000))


def test_same_seed_same_bytes(contract):
    one = b"".join(RecordGenerator(contract, 5).store(500).dump())
    two = b"".join(RecordGenerator(contract, 5).store(500).dump())
    other = b"".join(RecordGenerator(contract, 6).store(500).dump())
    assert one == two != other


@pytest.mark.parametrize("n", [0, 1, 2, 7, 251])
def test_exact_count(contract, n):
    assert len(_all(RecordGenerator(contract, 1).store(n))) == n


def test_every_record_is_schema_valid(contract, big):
    validator = contract.validator("GradeRecord")
    assert all(validator.is_valid(r) for r in big)


def test_strict_and_advisory_invariants_hold(big):
    pairs = Counter((r["username"], r["course_id"]) for r in big)
    assert max(pairs.values()) == 1
    titles, emails = defaultdict(set), defaultdict(set)
    for r in big:
        titles[r["course_id"]].add(r["display_name"])
        emails[r["username"]].add(r["email"])
        assert bool(r["letter_grade"]) == (r["passed_timestamp"] is not None)
        if r["passed_timestamp"]:
            assert r["passed_timestamp"][:10] <= r["last_date"]
    assert all(len(v) == 1 for v in titles.values())
    assert all(len(v) == 1 for v in emails.values())


def test_realistic_value_spread(big):
    grades = {r["percent_grade"] for r in big}
    assert {"0.00", "1.00"} <= grades and len(grades) > 90
    assert any(not r["username"].isascii() for r in big)
    assert len({r["letter_grade"] for r in big}) >= 4


def test_group_sizes_are_bounded_and_independent_of_n(contract, big):
    small = _all(RecordGenerator(contract, 42).store(3_000))
    for records in (small, big):
        per_course = Counter(r["course_id"] for r in records)
        per_learner = Counter(r["username"] for r in records)
        assert 150 <= sum(per_course.values()) / len(per_course) <= 300
        assert max(per_course.values()) <= 400
        assert max(per_learner.values()) <= 7


def test_indexed_lookups_match_a_scan(contract, big):
    store = RecordGenerator(contract, 42).store(30_000)
    course, user = big[123]["course_id"], big[456]["username"]
    assert [orjson.loads(store.record(i)) for i in store.matching(course, None)] == [
        r for r in big if r["course_id"] == course
    ]
    assert orjson.loads(store.render(store.matching(None, user))) == [
        r for r in big if r["username"] == user
    ]


def test_dump_streams_in_chunks(contract):
    store = RecordGenerator(contract, 3).store(5_000)
    chunks = list(store.dump())
    assert len(chunks) > 3 and max(len(c) for c in chunks) <= CHUNK_BYTES
    assert sum(len(c) for c in chunks) == store.dump_length()


def test_generate_setting_serves_generated_records():
    app = create_app(Settings(generate=1000, seed=9))
    client = app.test_client()
    records = client.get(GRADES_PATH, headers=AUTH).get_json()
    assert len(records) == 1000
    course = records[0]["course_id"]
    filtered = client.get(GRADES_PATH, query_string={"course_id": course}, headers=AUTH)
    assert filtered.get_json() == [r for r in records if r["course_id"] == course]


def test_minimal_values_follow_the_schema():
    assert minimal_value("a", {"type": "integer", "minimum": 3}) == 3
    assert minimal_value("b", {"type": ["string", "null"]}) is None
    assert minimal_value("c", {"type": "string", "minLength": 3}) == "xxx"
    assert minimal_value("d", {"enum": ["x", "y"]}) == "x"
    assert minimal_value("e", {"type": "string", "format": "date"}) == "2020-01-01"
    assert minimal_value("f", {"type": "boolean"}) is False
    with pytest.raises(GeneratorError, match="add an example"):
        minimal_value("g", {"type": "string", "pattern": "^[0-9]+$"})


def _spec_with(tmp_path, extra):
    copy = tmp_path / "spec"
    shutil.copytree(SPEC_DIR, copy, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    path = copy / "components" / "schemas" / "GradeRecord.yaml"
    schema = yaml.safe_load(path.read_text(encoding="utf-8"))
    schema["properties"].update(extra)
    schema["required"] = [*schema["required"], *extra]
    path.write_text(yaml.safe_dump(schema, sort_keys=False), encoding="utf-8")
    return copy / "openapi.yaml"


def test_a_field_added_to_the_spec_needs_no_python_edit(tmp_path):
    extra = {
        "course_mode": {"type": "string", "enum": ["audit", "verified"]},
        "attempts": {"type": "integer", "minimum": 1},
    }
    spec = _spec_with(tmp_path, extra)
    contract = load_contract(spec)
    records = _all(RecordGenerator(contract, 1).store(50))
    assert all(contract.validator("GradeRecord").is_valid(r) for r in records)
    assert {r["course_mode"] for r in records} == {"audit"}
    app = create_app(Settings(spec_path=spec, generate=10))
    assert len(app.test_client().get(GRADES_PATH, headers=AUTH).get_json()) == 10


def test_an_ungeneratable_field_stops_the_start(tmp_path):
    spec = _spec_with(tmp_path, {"code": {"type": "string", "pattern": "^[A-Z]{3}$"}})
    with pytest.raises(GeneratorError, match="'code': add an example"):
        create_app(Settings(spec_path=spec, generate=10))
