"""The import direction of docs/ARCHITECTURE.md: spec <- mock_server, contract_tests.

Imports are read with ``ast`` (nothing is imported), so the check works while the packages
are incomplete; relative imports and ``importlib.import_module("...")`` calls count too.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.spec.conftest import ROOT

FORBIDDEN: dict[str, frozenset[str]] = {
    "spec": frozenset({"mock_server", "contract_tests"}),
    "mock_server": frozenset({"contract_tests"}),
    "contract_tests": frozenset({"mock_server"}),
}
DYNAMIC_IMPORTERS = frozenset({"import_module", "__import__"})


def _top(module: str) -> str:
    """The kit package a dotted name imports: ``grades_kit.spec.loader`` -> ``spec``."""
    parts = module.split(".")
    return parts[1] if parts[0] == "grades_kit" and len(parts) > 1 else parts[0]


def _package_of(path: Path, root: Path) -> list[str]:
    """The package a module belongs to, as parts: ``mock_server/app.py`` -> [mock_server]."""
    return list(path.relative_to(root).parent.parts)


def imported_packages(path: Path, root: Path) -> Iterator[tuple[int, str]]:
    """(line, top-level package) for every import in the module at ``path``."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, _top(alias.name)
        elif isinstance(node, ast.ImportFrom):
            yield from _from_import(node, _package_of(path, root))
        elif isinstance(node, ast.Call) and _is_dynamic_import(node):
            argument = node.args[0]
            assert isinstance(argument, ast.Constant) and isinstance(argument.value, str)
            yield node.lineno, _top(argument.value)


def _from_import(node: ast.ImportFrom, package: list[str]) -> Iterator[tuple[int, str]]:
    if node.level == 0:
        yield node.lineno, _top(node.module or "")
        return
    base = package[: len(package) - (node.level - 1)]
    target = base + (node.module.split(".") if node.module else [])
    if target:
        yield node.lineno, target[0]


def _is_dynamic_import(node: ast.Call) -> bool:
    name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
    return (
        name in DYNAMIC_IMPORTERS
        and bool(node.args)
        and isinstance(node.args[0], ast.Constant)
        and isinstance(node.args[0].value, str)
    )


def violations(root: Path) -> list[str]:
    """Every forbidden import under ``root``, as ``path:line: package imports other``."""
    found: list[str] = []
    for package, forbidden in FORBIDDEN.items():
        for path in sorted((root / package).rglob("*.py")):
            for line, imported in imported_packages(path, root):
                if imported in forbidden:
                    where = path.relative_to(root)
                    found.append(f"{where}:{line}: {package} imports {imported}")
    return found


def test_the_layers_import_in_one_direction() -> None:
    assert violations(ROOT) == []


def test_the_check_sees_real_imports() -> None:
    """Guard against a collector that finds nothing and so passes vacuously."""
    cli = ROOT / "spec" / "cli.py"
    assert "spec" in {package for _, package in imported_packages(cli, ROOT)}


@pytest.mark.parametrize(
    ("module", "source"),
    [
        ("spec/x.py", "import mock_server.app\n"),
        ("spec/x.py", "from contract_tests import cli\n"),
        ("mock_server/x.py", "from contract_tests.rules import Rule\n"),
        ("contract_tests/x.py", "def f():\n    from mock_server import create_app\n"),
        ("contract_tests/sub/x.py", "from ...mock_server import app\n"),
        ("spec/x.py", "import importlib\nimportlib.import_module('mock_server.cli')\n"),
    ],
)
def test_a_forbidden_import_is_found(module: str, source: str, tmp_path: Path) -> None:
    path = tmp_path / module
    path.parent.mkdir(parents=True)
    path.write_text(source, encoding="utf-8")
    (found,) = violations(tmp_path)
    assert found.startswith(f"{module}:")


def test_allowed_imports_pass(tmp_path: Path) -> None:
    sources = {
        "mock_server/app.py": "from spec.loader import load_contract\nfrom . import store\n",
        "contract_tests/cli.py": "from spec import load_contract\nfrom .rules import x\n",
        "spec/cli.py": "from spec.drift import compare\n",
    }
    for module, source in sources.items():
        path = tmp_path / module
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(source, encoding="utf-8")
    assert violations(tmp_path) == []


def test_the_check_sees_kit_imports(tmp_path: Path) -> None:
    """``grades_kit.<package>`` is the package itself: the old and the installed spelling agree."""
    path = tmp_path / "spec" / "x.py"
    path.parent.mkdir()
    path.write_text("from grades_kit.mock_server import app\nimport grades_kit.spec.loader\n")
    assert [p for _, p in imported_packages(path, tmp_path)] == ["mock_server", "spec"]
