"""Every statement of the spec is checked by a rule, or declared informative with a reason."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from grades_kit.contract import statements
from grades_kit.contract.registry import registry
from tests.contract.conftest import edit_yaml

GET_DESCRIPTION = "/paths/~1api~1so2~1v1~1grades/get/description"


def test_every_statement_of_the_spec_is_checked_or_informative() -> None:
    gaps = [f"{s.where}: {s.text}" for s in statements.unchecked()]
    assert gaps == [], "a statement of the spec with no rule: declare one in the registry"


def test_the_inventory_is_the_spec_sentence_by_sentence() -> None:
    found = {(s.where, s.text) for s in statements.statements()}
    where = f"openapi.yaml#{GET_DESCRIPTION}"
    repeated = "Each filter may be given at most once: a repeated parameter is answered `400`."
    assert (where, repeated) in found
    assert any(w == where and t.startswith("Filters are exact, case-sensitive") for w, t in found)
    invariants = [s for s in statements.statements() if "/x-invariants/" in s.pointer]
    assert len(invariants) >= 3 and all(s.pointer.endswith("/rule") for s in invariants)


def test_each_statement_names_declared_rules_and_every_entry_still_matches() -> None:
    declared = {item.id for item in registry()}
    coverage = statements.coverage()
    assert {r for c in coverage for r in c.rules} <= declared
    places = [s.where for s in statements.statements()]
    for prefix in [*statements.CHECKED_AT, *statements.INFORMATIVE]:
        assert any(p.startswith(prefix) for p in places), f"stale entry: {prefix}"
    assert len(statements.normative()) > 2 * sum(1 for c in coverage if c.informative)


def test_a_sentence_added_to_the_spec_is_a_gap_until_a_rule_checks_it(spec_copy: Path) -> None:
    def add(document: Any) -> None:
        operation = document["paths"]["/api/so2/v1/grades"]["get"]
        operation["description"] += "\nRecords are sorted by username.\n"

    edit_yaml(spec_copy, add)
    gaps = statements.unchecked(registry(spec_copy.parent))
    assert [s.text for s in gaps] == ["Records are sorted by username."]


def test_a_statement_is_unchecked_only_when_every_rule_that_checks_it_had_no_data() -> None:
    assert statements.not_checked(set()) == []
    assert len(statements.not_checked({r.id for r in registry()})) == len(statements.normative())
    only = next(c for c in statements.normative() if len(c.rules) == 1)
    assert statements.not_checked(set(only.rules)) == [only.statement]
