"""The load run's pure parts, without Locust: the mix, the tally, the verdict, the script's
refusals. (``test_load.py`` runs the whole thing.)"""

from __future__ import annotations

import datetime as dt
import importlib.util
import json
import random
import tomllib
from pathlib import Path

import pytest

from grades_kit.contract.loader import load_contract
from grades_kit.contract.passive import Judge
from grades_kit.contract_tests.load import load_cli as cli
from grades_kit.contract_tests.load.judging import judge_answer
from grades_kit.contract_tests.load.load_tally import (
    UNKNOWN_LEVEL,
    Example,
    InFlightLevels,
    LoadTally,
)
from grades_kit.contract_tests.load.mix import DEFAULT_WEIGHTS, KINDS, Plan, draw, parse_mix
from grades_kit.contract_tests.load.summary import Ending, KindStats, ending, load_fingerprint
from grades_kit.contract_tests.reports.baseline import Accepted
from grades_kit.contract_tests.reports.findings import fingerprint

RECORDS = json.loads((Path(__file__).resolve().parents[2] / "fixtures" / "grades.json").read_text())
PLAN = Plan.from_records(RECORDS)
TOKEN = "local-dev-token"


def test_every_kind_is_drawn_and_shown_without_a_value_of_the_instance() -> None:
    rng = random.Random(7)
    drawn = [draw(PLAN, DEFAULT_WEIGHTS, TOKEN, rng) for _ in range(3000)]
    assert {r.kind for r in drawn} == set(KINDS)
    values = {r[f] for r in RECORDS for f in ("username", "email", "course_id")}
    assert not {r.shown for r in drawn} & values
    assert not any(value in r.shown for r in drawn for value in values)


def test_the_plan_survives_the_trip_to_a_worker() -> None:
    wire = json.loads(json.dumps(PLAN.to_wire()))  # lists only, as msgpack carries them
    assert Plan.from_wire(wire) == PLAN
    held = {(r["course_id"], r["username"]) for r in RECORDS}
    assert PLAN.pairs
    assert all((PLAN.courses[c], PLAN.learners[u]) in held for c, u in PLAN.pairs)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", DEFAULT_WEIGHTS),
        ("no-token=0", {**DEFAULT_WEIGHTS, "no-token": 0}),
        ("by-course,preflight", {k: int(k in ("by-course", "preflight")) for k in KINDS}),
    ],
)
def test_mix(text: str, expected: dict[str, int]) -> None:
    assert parse_mix(text) == expected


@pytest.mark.parametrize("text", ["by-course=x", "nope=1", "nope", "all=0," + ",".join(
    f"{k}=0" for k in KINDS)])  # fmt: skip
def test_a_bad_mix_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match="--mix"):
        parse_mix(text)


def test_an_answer_is_judged_by_the_passive_rules_and_what_the_run_knows() -> None:
    judge = Judge(load_contract())
    request = draw(PLAN, {"by-course": 1}, TOKEN, random.Random(1))
    other = next(r for r in RECORDS if r["course_id"] not in request.query)
    headers = {"Content-Type": "application/json"}
    body = json.dumps([other]).encode()
    broken = judge_answer(judge, request, {"Authorization": f"Bearer {TOKEN}"}, 200, headers, body)
    assert [f.rule.id for f in broken] == ["filter-soundness/course_id"]
    invalid = draw(PLAN, {"invalid-token": 1}, TOKEN, random.Random(1))
    sent = {"Authorization": str(invalid.token)}
    assert [f.rule.id for f in judge_answer(judge, invalid, sent, 200, headers, b"[]")] == [
        "auth/unknown-token"
    ]


def test_in_flight_levels_are_the_peak_over_a_request_lifetime() -> None:
    flight = InFlightLevels()
    first = flight.start()
    second = flight.start()
    assert flight.end(second) == 2
    third = flight.start()
    assert flight.end(first) == 2 and flight.end(third) == 2


def test_worker_deltas_add_up_to_one_count() -> None:
    master, worker = LoadTally(), LoadTally()
    example = Example("by-course", "GET", "course_id=course-1", 200)
    for level in (1, 4, 4):
        worker.request("by-course")
        worker.ended(level)
        worker.broken("filter-soundness/course_id", example, level)
    shipped = json.loads(json.dumps(worker.to_wire()))
    master.add(shipped)
    master.add(LoadTally().to_wire())  # an empty report changes nothing
    entry = master.rules["filter-soundness/course_id"]
    assert (entry.count, entry.first, dict(entry.in_flight)) == (3, example, {1: 1, 4: 2})
    assert master.total == 3


def _failing_past(level: int) -> LoadTally:
    tally = LoadTally()
    for peak in [1] * 30 + [level] * 10 + [UNKNOWN_LEVEL] * 3:
        tally.request("by-course")
        tally.ended(peak)
        if peak >= level or peak == UNKNOWN_LEVEL:
            tally.broken("server-error", Example("by-course", "GET", "", 500), peak)
    return tally


def test_the_verdict_exit_codes_and_the_concurrency_note() -> None:
    stats = [KindStats("by-course", 43, 13, 10.0, 5, 9, 12)]
    broken = ending(
        _failing_past(6), stats, stopped=None, rerun="grades-contract load", show_details=False
    )
    assert broken.exit_code == 1
    assert broken.lines[-1] == "grades-contract load: contract violated: server-error"
    assert any("each with >= 6 requests in flight" in line and "none of the 30" in line
               for line in broken.lines)  # fmt: skip
    assert ending(LoadTally(), [], stopped=None, rerun="", show_details=False).exit_code == 2
    stopped = ending(_failing_past(6), stats, stopped="too many", rerun="", show_details=False)
    assert (stopped.exit_code, stopped.lines[-1]) == (
        2,
        "grades-contract load: no verdict: too many",
    )
    clean = LoadTally()
    clean.request("all")
    assert ending(clean, stats, stopped=None, rerun="", show_details=False).exit_code == 0


def test_the_suites_baseline_accepts_a_known_violation_until_it_expires() -> None:
    stats = [KindStats("by-course", 43, 13, 10.0, 5, 9, 12)]
    tally = _failing_past(6)
    first = tally.rules["server-error"].first
    mark = load_fingerprint("server-error", first)
    assert mark == fingerprint("server-error", "curl -X GET 'http://x/api/so2/v1/grades'")

    def run(expires: dt.date) -> Ending:
        known = Accepted("server-error", mark, "LMS-1: known", "@team", expires)
        return ending(tally, stats, stopped=None, rerun="", show_details=False,
                      accepted=[known], today=dt.date(2026, 12, 4))  # fmt: skip

    kept = run(dt.date(2027, 1, 31))
    assert kept.exit_code == 0 and "(known: baseline)" in "\n".join(kept.lines)
    assert kept.lines[-1].endswith("conforms under load but for the baseline's known violations")
    expired = run(dt.date(2026, 12, 1))
    assert expired.exit_code == 1 and "(expired: baseline)" in "\n".join(expired.lines)


def test_a_bad_baseline_is_refused_in_one_line(tmp_path: Path, capsys) -> None:
    bad = tmp_path / "baseline.yaml"
    bad.write_text("version: 1\naccepted: [{rule: x}]\n")
    assert cli.main(["--baseline", str(bad), "--headless"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "--baseline" in err


def test_without_locust_the_command_says_how_to_install_it(monkeypatch, capsys) -> None:
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None)
    assert cli.main(["--headless"]) == 2
    err = capsys.readouterr().err
    assert err == (
        "grades-contract load: Locust is not installed: "
        "pip install 'locust>=2.37,<3' (the kit's [load] extra)\n"
    )


@pytest.mark.parametrize(
    ("argv", "environ", "said"),
    [
        (["--mix", "nope=1"], {"GRADES_TOKEN": "t"}, "--mix: 'nope=1' is not KIND=WEIGHT"),
        (["--rate-limit", "fast"], {"GRADES_TOKEN": "t"}, "--rate-limit 'fast' is not N/UNIT"),
        ([], {}, "no token: set $GRADES_TOKEN"),
        ([], {"GRADES_TOKEN": "t"}, "no instance: give --base-url URL or set $GRADES_BASE_URL"),
    ],
)
def test_the_script_refuses_in_one_line(argv, environ, said: str) -> None:
    with pytest.raises(cli.Refused, match="^" + said.replace("$", r"\$").replace("(", r"\(")):
        cli.locust_argv(argv, environ)


def test_a_worker_needs_no_base_url_and_everything_else_goes_to_locust() -> None:
    command = cli.locust_argv(["--worker", "--master-host", "10.0.0.5"], {"GRADES_TOKEN": "t"})
    assert command[-3:] == ["--worker", "--master-host", "10.0.0.5"]
    assert command[1:5] == ["-m", "locust", "-f", str(cli.LOCUSTFILE)]


def test_the_install_hint_names_what_the_load_extra_adds() -> None:
    pyproject = tomllib.loads((Path(__file__).resolve().parents[2] / "pyproject.toml").read_text())
    (locust,) = [r for r in pyproject["project"]["optional-dependencies"]["load"] if "locust" in r]
    assert f"pip install '{locust}'" in cli.INSTALL_HINT
