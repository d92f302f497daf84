"""The import direction of docs/ARCHITECTURE.md: contract <- everything else; no suite <-> mock.

Imports are read with ``ast`` (nothing is imported), so the check works while the packages
are incomplete; relative imports and ``importlib.import_module("...")`` calls count too.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.contract.conftest import ROOT

FORBIDDEN: dict[str, frozenset[str]] = {
    "contract": frozenset({"mock_server", "contract_tests", "proxy", "drift"}),
    "drift": frozenset({"mock_server", "contract_tests", "proxy"}),
    "mock_server": frozenset({"contract_tests", "drift"}),
    "proxy": frozenset({"contract_tests", "drift"}),
    "contract_tests": frozenset({"mock_server", "proxy", "drift"}),
}
"""What each package may not import. The one edge beside these layers: ``grades-mock proxy``
(:mod:`mock_server.mock_cli`) hands its arguments to :mod:`grades_kit.proxy.proxy_cli`, and the
proxy serves on the mock's hardened engine settings and error bodies."""
LOCATIONS = {
    "contract": "grades_kit/contract",
    "drift": "grades_kit/drift",
    "proxy": "grades_kit/proxy",
    "mock_server": "mock_server",
    "contract_tests": "contract_tests",
}
DYNAMIC_IMPORTERS = frozenset({"import_module", "__import__"})


def _top(module: str) -> str:
    """The kit package a dotted name imports: ``grades_kit.contract.loader`` -> ``spec``."""
    parts = module.split(".")
    return parts[1] if parts[0] == "grades_kit" and len(parts) > 1 else parts[0]


def _package_of(path: Path, root: Path) -> list[str]:
    """The package a module belongs to, as parts: ``mock_server/app.py`` -> [mock_server],
    ``grades_kit/contract/passive.py`` -> [proxy]."""
    parts = list(path.relative_to(root).parent.parts)
    return parts[1:] if parts[:1] == ["grades_kit"] else parts


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
        for path in sorted((root / LOCATIONS[package]).rglob("*.py")):
            for line, imported in imported_packages(path, root):
                if imported in forbidden:
                    where = path.relative_to(root)
                    found.append(f"{where}:{line}: {package} imports {imported}")
    return found


def test_the_layers_import_in_one_direction() -> None:
    assert violations(ROOT) == []


def test_the_check_sees_real_imports() -> None:
    """Guard against a collector that finds nothing and so passes vacuously."""
    cli = ROOT / "grades_kit" / "drift" / "drift_cli.py"
    assert "contract" in {package for _, package in imported_packages(cli, ROOT)}


@pytest.mark.parametrize(
    ("module", "source"),
    [
        ("grades_kit/contract/x.py", "import grades_kit.mock_server.app\n"),
        ("grades_kit/contract/x.py", "from grades_kit.contract_tests import contract_cli\n"),
        ("grades_kit/drift/x.py", "from grades_kit.proxy import forwarding\n"),
        ("grades_kit/proxy/x.py", "from grades_kit.contract_tests.verdict import Verdict\n"),
        ("mock_server/x.py", "from contract_tests.rules import Rule\n"),
        ("contract_tests/x.py", "def f():\n    from mock_server import create_app\n"),
        ("contract_tests/x.py", "from grades_kit.proxy import forwarding\n"),
        ("contract_tests/sub/x.py", "from ...mock_server import app\n"),
        (
            "grades_kit/contract/x.py",
            "import importlib\nimportlib.import_module('grades_kit.mock_server.mock_cli')\n",
        ),
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
        "mock_server/app.py": "from grades_kit.contract import loader\nfrom . import store\n",
        "contract_tests/contract_cli.py": "from grades_kit.contract import x\nfrom . import y\n",
        "grades_kit/drift/drift_cli.py": "from grades_kit.drift.compare import compare\n",
        "grades_kit/proxy/proxy_cli.py": "from grades_kit.mock_server.listener import bind\n",
    }
    for module, source in sources.items():
        path = tmp_path / module
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(source, encoding="utf-8")
    assert violations(tmp_path) == []


def test_the_check_sees_kit_imports(tmp_path: Path) -> None:
    """``grades_kit.<package>`` is the package itself: the old and the installed spelling agree."""
    path = tmp_path / "grades_kit" / "proxy" / "x.py"
    path.parent.mkdir(parents=True)
    path.write_text("from grades_kit.mock_server import app\nimport grades_kit.contract.loader\n")
    assert [p for _, p in imported_packages(path, tmp_path)] == ["mock_server", "contract"]
