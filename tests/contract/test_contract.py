"""The spec resolves and validates, and the shared loader fails clearly and caches."""

from __future__ import annotations

from importlib import metadata
from pathlib import Path

import pytest
from openapi_spec_validator import validate as validate_openapi
from packaging.requirements import Requirement

from grades_kit.contract.loader import SPEC_PATH, Contract, SpecError, load_contract
from tests.contract.conftest import edit_yaml

DISTRIBUTION = "grades-contract-kit"


def test_spec_resolves_and_validates_with_osv_0_9() -> None:
    import prance

    resolved = prance.ResolvingParser(str(SPEC_PATH), strict=True).specification
    assert resolved["openapi"] == "3.1.0"
    assert "$ref" not in str(resolved), "prance left a $ref unresolved"
    validate_openapi(resolved)  # raises on an invalid document


def test_openapi_spec_validator_is_0_9_and_prance_osv_extra_is_not_used() -> None:
    """prance[osv] pins openapi-spec-validator 0.7, which accepts invalid 3.1 schemas."""
    assert metadata.version("openapi-spec-validator").split(".")[:2] == ["0", "9"]
    for requirement in map(Requirement, metadata.requires(DISTRIBUTION) or []):
        if requirement.name == "prance":
            assert "osv" not in requirement.extras, f"{requirement} would pull osv 0.7"
        if requirement.name == "openapi-spec-validator":
            assert requirement.specifier.contains("0.9.0")
            assert not requirement.specifier.contains("0.7.1")


def test_load_contract_is_cached() -> None:
    assert load_contract() is load_contract()
    assert load_contract(SPEC_PATH) is load_contract(str(SPEC_PATH))


def test_contract_helpers_read_the_document(contract: Contract) -> None:
    assert set(contract.query_parameters()) == {"course_id", "username"}
    assert "GET" in contract.methods()
    assert 200 in contract.statuses()


def _assert_one_line_naming(error: SpecError, path: Path, words: str) -> None:
    message = str(error)
    assert message.startswith(str(path)), message
    assert "\n" not in message, message
    assert words in message.lower(), message


def test_missing_file(tmp_path: Path) -> None:
    missing = tmp_path / "nope.yaml"
    with pytest.raises(SpecError) as caught:
        load_contract(missing)
    _assert_one_line_naming(caught.value, missing, "no such file")


def test_invalid_yaml(tmp_path: Path) -> None:
    broken = tmp_path / "openapi.yaml"
    broken.write_text("openapi: 3.1.0\ninfo: [unclosed\n", encoding="utf-8")
    with pytest.raises(SpecError) as caught:
        load_contract(broken)
    _assert_one_line_naming(caught.value, broken, "invalid yaml")
    assert "(line 3, column 1)" in str(caught.value)


def test_invalid_yaml_in_a_referenced_file_names_that_file(spec_copy: Path) -> None:
    example = spec_copy.parent / "components" / "examples" / "all.yaml"
    example.write_text("value: [unclosed\n", encoding="utf-8")
    with pytest.raises(SpecError) as caught:
        load_contract(spec_copy)
    _assert_one_line_naming(caught.value, spec_copy, "components/examples/all.yaml: invalid yaml")


def test_ref_to_a_missing_file(spec_copy: Path) -> None:
    (spec_copy.parent / "components" / "schemas" / "GradeRecord.yaml").unlink()
    with pytest.raises(SpecError) as caught:
        load_contract(spec_copy)
    _assert_one_line_naming(caught.value, spec_copy, "components/schemas/graderecord.yaml")


def test_invalid_openapi_document(spec_copy: Path) -> None:
    def break_it(document: dict[str, object]) -> None:
        responses = document["paths"]["/api/so2/v1/grades"]["get"]["responses"]  # type: ignore[index]
        responses["200"] = {"content": {}}  # a response without its required description

    edit_yaml(spec_copy, break_it)
    with pytest.raises(SpecError) as caught:
        load_contract(spec_copy)
    _assert_one_line_naming(caught.value, spec_copy, "not valid openapi")


def test_invalid_schema_behind_a_ref_is_caught(spec_copy: Path) -> None:
    """The validator alone would not look into components/*.yaml; the resolved check does."""
    edit_yaml(
        spec_copy.parent / "components" / "schemas" / "GradeRecord.yaml",
        lambda schema: schema.update(type="record"),
    )
    with pytest.raises(SpecError) as caught:
        load_contract(spec_copy)
    _assert_one_line_naming(caught.value, spec_copy, "not valid openapi")


def test_openapi_3_0_is_refused(spec_copy: Path) -> None:
    text = spec_copy.read_text(encoding="utf-8").replace("openapi: 3.1.0", "openapi: 3.0.3")
    spec_copy.write_text(text, encoding="utf-8")
    with pytest.raises(SpecError) as caught:
        load_contract(spec_copy)
    _assert_one_line_naming(caught.value, spec_copy, "not valid openapi")
