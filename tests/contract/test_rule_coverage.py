"""Every rule the code raises is in the registry, and every registry rule has a check.

The checks are found by reading the code (``ast``, nothing imported or listed by hand): a
rule is checked where a module names its id (``rule("server-error")``, a table of ids) or
builds it from its family (``rule(f"filter-soundness/{name}")``).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

from grades_kit.contract.registry import registry
from tests.contract.conftest import ROOT

CHECK_CODE = ("grades_kit/contract", "grades_kit/proxy", "contract_tests")
NOT_CHECKS = frozenset({"registry.py", "spec_source.py"})
"""The registry declares rules; it does not check them."""
IDS = {item.id for item in registry()}
FAMILIES = {item.id.split("/", 1)[0] + "/" for item in registry() if "/" in item.id}


def modules() -> Iterator[Path]:
    for folder in CHECK_CODE:
        for path in sorted((ROOT / folder).rglob("*.py")):
            if path.name not in NOT_CHECKS:
                yield path


def leading_text(node: ast.expr) -> str | None:
    """The constant text an expression starts with: ``"a"``, ``f"a{x}"``, ``"a" + x``."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr) and node.values:
        return leading_text(node.values[0])
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return leading_text(node.left)
    return None


def named_rules(path: Path) -> Iterator[tuple[int, str, bool]]:
    """(line, text, whole) for every rule-looking text: ``whole`` for a complete id,
    else a family prefix (an f-string or a concatenation that ends in ``/``)."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            if node.value in IDS:
                yield node.lineno, node.value, True
        elif isinstance(node, (ast.JoinedStr, ast.BinOp)):
            text = leading_text(node)
            if text and text.endswith("/") and text in FAMILIES:
                yield node.lineno, text, False


def rule_calls(path: Path) -> Iterator[tuple[int, str]]:
    """The literal ids passed to ``rule(...)``: each must be declared."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not (isinstance(node, ast.Call) and node.args):
            continue
        name = (
            node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
        )
        argument = node.args[0]
        if (
            name == "rule"
            and isinstance(argument, ast.Constant)
            and isinstance(argument.value, str)
        ):
            yield node.lineno, argument.value


def test_every_rule_the_code_names_is_declared() -> None:
    unknown = [
        f"{path.relative_to(ROOT)}:{line}: {rule_id}"
        for path in modules()
        for line, rule_id in rule_calls(path)
        if rule_id not in IDS
    ]
    assert not unknown, unknown


def test_every_declared_rule_has_a_check() -> None:
    whole: set[str] = set()
    families: set[str] = set()
    for path in modules():
        for _, text, is_id in named_rules(path):
            (whole if is_id else families).add(text)
    unchecked = [
        rule_id
        for rule_id in IDS
        if rule_id not in whole and not rule_id.startswith(tuple(families))
    ]
    assert not unchecked, f"registry rules no check names: {unchecked}"


def test_the_scan_sees_both_kinds_of_naming() -> None:
    checks = ROOT / "grades_kit" / "contract" / "checks.py"
    found = {(text, is_id) for _, text, is_id in named_rules(checks)}
    assert ("cors/preflight", True) in found and ("filter-completeness/", False) in found
