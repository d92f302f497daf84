"""Near-miss derivations, their rules, and the live-data judge, without a server."""

from __future__ import annotations

import re
import unicodedata
from typing import Any

import pytest

from grades_kit.contract import checks as rules
from grades_kit.contract.registry import Finding, registry, rule
from grades_kit.contract_tests import near_miss
from grades_kit.contract_tests.live import LiveData, LiveDataNotice

USERS = ["JaneDoe", "chloé+dev", "johndoe", "zoë.müller"]
COURSES = ["course-v1:edX+DemoX+Demo_Course"]


@pytest.mark.parametrize(
    ("klass", "name", "known", "values"),
    [
        ("other-case", "username", USERS, ["JaneDoE"]),
        ("accent-folded", "username", USERS, ["zoe.muller"]),
        ("accent-folded", "username", ["johndoe"], ["johndoé"]),
        ("accent-folded", "course_id", COURSES, ["course-v1:edX+DemoX+Demo_Coursé"]),
        ("padded", "username", USERS, [" JaneDoe", "JaneDoe "]),
        ("prefix", "course_id", COURSES, ["course-v1:edX+DemoX+Demo_Cours"]),
        ("extension", "username", USERS, ["JaneDoex"]),
        ("blank", "course_id", COURSES, [""]),
        ("plus", "username", USERS, ["chloé+dev", "chloé+dev", "chloé dev"]),
    ],
)
def test_each_class_derives_its_near_miss_from_known_values(
    klass: str, name: str, known: list[str], values: list[str]
) -> None:
    probes = near_miss.filter_probes(klass, name, known)
    assert [p.value for p in probes] == values
    assert {p.rule for p in probes} == {rule(f"near-miss/{klass}")}


def test_metacharacter_probes_use_only_the_wildcards_the_pattern_allows() -> None:
    allowed = re.compile(r"[A-Za-z0-9_.@+-]+").fullmatch
    known = near_miss.Known(["JaneDoe", "johndoe"], allowed=lambda v: bool(allowed(v)))
    probes = near_miss.filter_probes("metacharacter", "username", known)
    assert [p.value for p in probes] == ["JaneDo_", "JaneDo."]  # no '%', '?' or '*'
    assert {p.source for p in probes} == {"JaneDoe"}


def test_a_metacharacter_probe_is_never_a_returned_value() -> None:
    known = near_miss.Known(["ab_", "abc"])
    values = [p.value for p in near_miss.filter_probes("metacharacter", "username", known)]
    assert "ab_" not in values and values  # 'abc' -> 'ab_' is taken: that one is skipped


def test_other_key_probes_one_value_of_each_other_field_the_pattern_allows() -> None:
    known = near_miss.Known(
        ["johndoe"],
        {"display_name": ["Demo Course"], "email": ["john@example.com"], "username": ["x"]},
        allowed=lambda v: " " not in v,
    )
    probes = near_miss.filter_probes("other-key", "username", known)
    assert [p.value for p in probes] == ["john@example.com", "x"]


def test_repeated_sends_another_known_value_first() -> None:
    (probe,) = near_miss.filter_probes("repeated", "username", ["JaneDoe", "johndoe"])
    assert (probe.decoy, probe.value) == ("johndoe", "JaneDoe")
    (alone,) = near_miss.filter_probes("repeated", "username", ["johndoe"])
    assert alone.decoy == "johndoE"


def test_a_repeated_filter_answered_200_breaks_the_rule_without_naming_values() -> None:
    repeated = rule("near-miss/repeated")
    (finding,) = rules.repeated_filter_rejected(repeated, "username", 200, [{}])
    assert finding.rule is repeated and "1 record" in finding.detail
    assert not list(rules.repeated_filter_rejected(repeated, "username", 400, {}))


def test_unicode_form_is_the_other_normalisation_of_the_same_text() -> None:
    (probe,) = near_miss.filter_probes("unicode-form", "username", ["zoë.müller"])
    assert probe.value != "zoë.müller"
    assert unicodedata.normalize("NFC", probe.value) == "zoë.müller"


def test_raw_plus_is_sent_unencoded_and_may_read_as_a_space() -> None:
    raw = near_miss.filter_probes("plus", "username", ["chloé+dev"])[1]
    assert raw.raw_query == "username=chlo%C3%A9+dev"
    assert raw.alternative == "chloé dev"


def test_token_near_misses_never_equal_the_token_and_name_no_token() -> None:
    token = "local-dev-token"
    for klass in near_miss.TOKEN_CLASSES:
        for probe in near_miss.token_probes(klass, token):
            assert probe.authorization != f"Bearer {token}"
            assert token not in probe.variant
    (query,) = near_miss.token_probes("token-in-query", token)
    assert query.authorization is None and query.params == (("access_token", token),)


def test_near_miss_rules_name_their_class() -> None:
    blank, prefix = rule("near-miss/blank"), rule("near-miss/token-prefix")
    (finding,) = rules.near_miss_rejected(blank, {"course_id": ""}, 200, [1, 2])
    assert finding.rule == blank and "expected HTTP 400, got 200" in finding.detail
    assert not list(rules.near_miss_rejected(blank, {"course_id": ""}, 400, None))
    assert list(rules.near_miss_token_rejected(prefix, "cut", 200))
    assert not list(rules.near_miss_token_rejected(prefix, "cut", 401))
    soundness = Finding(rule("filter-soundness/username"), "d")
    renamed = list(rules.renamed([soundness], rule("near-miss/extension")))
    assert renamed == [Finding(rule("near-miss/extension"), "d [filter-soundness/username]")]


@pytest.mark.parametrize(
    ("asked", "returned", "klass"),
    [
        ("JaneDoE", "JaneDoe", "other-case"),
        ("zoe.muller", "zoë.müller", "accent-folded"),
        (unicodedata.normalize("NFD", "zoë.müller"), "zoë.müller", "unicode-form"),
        ("johndoe ", "johndoe", "padded"),
        ("course-v1:MOOCit-dem", "course-v1:MOOCit-demo-1", "prefix"),
        ("johndoex", "johndoe", "extension"),
        ("course-v1:MOOCit-demo-1", "course-v1:MOOCit-demo-2", None),
    ],
)
def test_a_wrong_match_is_named_by_how_the_values_relate(
    asked: str, returned: str, klass: str | None
) -> None:
    """The suite and the proxy name a wrong match alike: the near-miss class it shows."""
    (finding,) = rules.filter_soundness({"username": asked}, [{"username": returned}])
    expected = f"near-miss/{klass}" if klass else "filter-soundness/username"
    assert finding.rule.id == expected


def test_every_near_miss_class_probed_is_a_registry_rule() -> None:
    probed = {*near_miss.FILTER_CLASSES, *near_miss.TOKEN_CLASSES}
    declared = {r.id.split("/", 1)[1] for r in registry() if r.family == "near-miss"}
    assert probed == declared


def test_union_discrepancies_are_local_to_their_courses() -> None:
    a1, a2, b1 = ({"course_id": c, "username": u} for c, u in (("A", "1"), ("A", "2"), ("B", "1")))
    assert rules.union_discrepant_courses([a1, a2, b1], {"A": [a1, a2], "B": [b1]}) == set()
    assert rules.union_discrepant_courses([a1, a2, b1], {"A": [a1], "B": [b1]}) == {"A"}
    assert rules.union_discrepant_courses([a1, b1], {"A": [a1]}) == {"B"}


class FakeClient:
    """Answers the unfiltered GET from a list of successive datasets."""

    def __init__(self, datasets: list[list[dict[str, Any]]]) -> None:
        self.datasets = datasets

    def get(self) -> Any:
        data = self.datasets.pop(0) if len(self.datasets) > 1 else self.datasets[0]
        return type("R", (), {"status_code": 200, "json": lambda self: data})()


def judge(answer: list[str], unfiltered: list[dict[str, Any]]) -> list[Finding]:
    expected = sorted(r["id"] for r in unfiltered)
    return [] if answer == expected else [Finding(rule("filter-completeness/username"), "differs")]


def live(datasets: list[list[dict[str, Any]]]) -> LiveData:
    first = datasets.pop(0)
    return LiveData(FakeClient(datasets), FakeClient([first]).get())  # type: ignore[arg-type]


def test_a_stale_snapshot_is_put_down_to_live_data_and_said() -> None:
    oracle = live([[{"id": "a"}], [{"id": "a"}, {"id": "b"}]])
    with pytest.warns(LiveDataNotice, match=r"\[filter-completeness/username\] discrepancy"):
        _, found = oracle.confirm(["a", "b"], lambda: ["a", "b"], judge)
    assert found == [] and oracle.explained == 1


def test_a_discrepancy_between_two_identical_fresh_answers_is_reported() -> None:
    same = [{"id": "a"}, {"id": "b"}]
    oracle = live([same, same])
    _, found = oracle.confirm(["a"], lambda: ["a"], judge)
    assert [f.rule.id for f in found] == ["filter-completeness/username"]


def test_a_window_in_which_the_data_moved_proves_nothing() -> None:
    moving = [[{"id": str(n)}, {"id": "z"}] for n in range(40)]
    oracle = live(moving)
    with pytest.warns(LiveDataNotice, match="moving data"):
        _, found = oracle.confirm(["q"], lambda: ["q"], judge)
    assert found == []
