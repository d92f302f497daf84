"""The rule registry: every rule points at words the spec really says, on the line it names."""

from __future__ import annotations

import linecache
from pathlib import Path

import pytest

from grades_kit.contract.loader import load_contract
from grades_kit.contract.registry import (
    BEGIN,
    END,
    Citation,
    Severity,
    SpecStatement,
    UnknownRule,
    main,
    registry,
    rule,
)
from grades_kit.contract.spec_source import PointerError, SpecSource
from tests.contract.conftest import ROOT, edit_yaml

RULES = list(registry())
DOCS = ROOT / "docs" / "contract-suite.md"


@pytest.mark.parametrize("item", RULES, ids=[r.id for r in RULES])
def test_every_statement_is_where_the_rule_says(item: object) -> None:
    """The pointer resolves in the spec as written and the quoted words are there: rewording
    the spec fails this test, naming the rule."""
    statement = item.statement  # type: ignore[attr-defined]
    if isinstance(statement, Citation):
        assert statement.source and statement.quote
        return
    assert isinstance(statement, SpecStatement)
    source = registry().source
    source.node(statement.place)  # raises PointerError when the statement moved
    if statement.quote is not None:
        assert source.says(statement.place, statement.quote), str(statement)


def test_each_location_is_the_line_of_the_statement() -> None:
    for item in RULES:
        location = registry().location(item)
        if location is None:
            continue
        path, line = location
        text = linecache.getline(str(path), line)
        statement = item.statement
        assert isinstance(statement, SpecStatement)
        words = (statement.quote or statement.pointer.rsplit("/", 1)[-1]).split()
        wanted = words[0].strip("'`").replace("~1", "/")
        assert wanted in text, (item.id, line, text)


def test_lookup_refuses_an_unknown_id() -> None:
    assert rule("filter-soundness/course_id").severity is Severity.CRITICAL
    with pytest.raises(UnknownRule, match="no rule 'filter-soundness/email'"):
        rule("filter-soundness/email")


def test_families_the_spec_drives_come_from_the_spec() -> None:
    contract = load_contract()
    ids = {r.id for r in RULES}
    for name in contract.query_parameters():
        assert {f"filter-soundness/{name}", f"filter-completeness/{name}"} <= ids
    for invariant in contract.invariants():
        assert rule(f"invariant/{invariant.id}").statement.quote == invariant.rule
        assert rule(f"invariant/{invariant.id}").severity.fails == (invariant.severity == "strict")
    assert {f"example-shape/{name}" for name in contract.response_examples()} <= ids


def test_a_filter_or_an_invariant_added_to_the_spec_adds_its_rules(spec_copy: Path) -> None:
    def add(document: dict) -> None:  # type: ignore[type-arg]
        get = document["paths"]["/api/so2/v1/grades"]["get"]
        parameter = {"name": "grade", "in": "query", "schema": {"type": "string"}}
        get["parameters"].append({**parameter, "description": "Exact, case-sensitive match."})
        get["description"] += " with `grade`, the grades of one letter."
        invariants = document["components"]["schemas"]["GradeList"]["x-invariants"]
        invariants.append({"id": "sorted", "severity": "advisory", "rule": "Sorted by name."})

    edit_yaml(spec_copy, add)
    copy = registry(spec_copy.parent)
    ids = {r.id for r in copy}
    assert {"filter-soundness/grade", "filter-completeness/course_id+username+grade"} <= ids
    assert copy["invariant/sorted"].severity is Severity.ADVISORY
    statement = copy["filter-soundness/grade"].statement
    assert isinstance(statement, SpecStatement) and copy.source.says(
        statement.place, statement.quote or ""
    )


def test_rewording_the_spec_is_caught(spec_copy: Path) -> None:
    def reword(document: dict) -> None:  # type: ignore[type-arg]
        scheme = document["components"]["securitySchemes"]["bearerAuth"]
        scheme["description"] = "Any token will do."

    edit_yaml(spec_copy, reword)
    statement = rule("auth/no-token").statement
    assert isinstance(statement, SpecStatement) and statement.quote is not None
    assert not SpecSource(spec_copy.parent).says(statement.place, statement.quote)
    with pytest.raises(PointerError):
        SpecSource(spec_copy.parent).node(statement.place.child("nowhere"))


def test_the_docs_table_is_generated_from_the_registry() -> None:
    """Regenerate: ``python -m grades_kit.contract.registry --markdown docs/contract-suite.md``"""
    text = DOCS.read_text(encoding="utf-8")
    table = text.split(BEGIN, 1)[1].split(END, 1)[0].strip()
    assert table == registry().markdown(), "stale: run the command in this test's docstring"


def test_the_command_writes_between_the_markers(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text(f"# Rules\n\n{BEGIN}\nSTALE-ROW\n{END}\n\nafter\n", encoding="utf-8")
    assert main(["--markdown", str(page)]) == 0
    text = page.read_text(encoding="utf-8")
    assert "STALE-ROW" not in text and "| `auth/no-token` | critical |" in text and "after" in text
    assert main(["--markdown", str(tmp_path / "missing.md")]) == 2
