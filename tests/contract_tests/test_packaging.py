"""How users get and run the kit: the wheel from an empty directory, no secret on screen.

The slow test builds the wheel, installs it into a fresh virtual environment (dependencies
from the configured index, as a user's pip would) and runs ``grades-contract`` from an empty
directory against the mock: it must pass and leave that directory empty. The fast ones pin
the install line the docs and the example workflow give, and ``make``'s handling of the token.
The wheel is built once for the module (its tests share one pytest-xdist worker).
"""

from __future__ import annotations

import logging
import os
import re
import shlex
import subprocess
import sys
import tomllib
import venv
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from grades_kit.mock_server import Settings, create_app
from tests.contract_tests.catch_rate import TOKEN
from tests.serve_in_thread import serve_in_thread

ROOT = Path(__file__).resolve().parents[2]
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
VERSION, SCRIPTS = PROJECT["version"], PROJECT["scripts"]
INSTALL_LINE = re.compile(
    r"grades-contract-kit\[suite\] @ git\+https://github\.com/[^/\s]+/[^@\s]+@v([\w.]+)"
)
WHERE_USERS_READ = (
    ROOT / "README.md",
    ROOT / "docs" / "contract-suite.md",
)
"""The staging example uses the kit's action at its tag instead (tests/test_workflows.py)."""
SECRET = "make-must-not-show-this-0123"
pytestmark = pytest.mark.xdist_group("packaging")  # one worker builds the wheel, once


def test_every_install_line_is_the_git_tag_of_this_version() -> None:
    """A bare ``grades-contract-kit`` is on no index: a copied line must name the git tag."""
    for path in WHERE_USERS_READ:
        text = path.read_text(encoding="utf-8")
        lines = [line for line in text.splitlines() if "grades-contract-kit" in line]
        versions = {m.group(1) for line in lines for m in INSTALL_LINE.finditer(line)}
        assert versions == {VERSION}, (path.name, lines)
        assert not re.search(r"grades-contract-kit(==[\d.]+)?\s*(#|$|`)", text, re.M), path.name


@pytest.mark.parametrize("target", ["contract", "fuzz"])
def test_make_passes_the_token_through_the_environment_only(target: str) -> None:
    env = {**os.environ, "GRADES_TOKEN": SECRET, "GRADES_BASE_URL": "http://127.0.0.1:9"}
    done = subprocess.run(
        ["make", "-n", target], cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    assert "grades-contract" in done.stdout and SECRET not in done.stdout + done.stderr
    assert "--token" not in done.stdout


def test_make_refuses_a_token_on_its_command_line() -> None:
    done = subprocess.run(
        ["make", "-n", "contract", f"TOKEN={SECRET}"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode != 0 and "export GRADES_TOKEN" in done.stderr


@pytest.fixture(scope="module")
def mock_url() -> Iterator[str]:
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    with serve_in_thread(create_app(Settings())) as url:
        yield url


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The checkout's wheel, built once for the tests that inspect or install it."""
    return build_wheel(tmp_path_factory.mktemp("dist"))


@pytest.mark.slow
def test_the_installed_wheel_runs_from_an_empty_directory(
    mock_url: str, wheel: Path, tmp_path: Path
) -> None:
    env_dir, empty = tmp_path / "venv", tmp_path / "empty"
    empty.mkdir()
    venv.create(env_dir, with_pip=True)
    install = readme_install_line(wheel)
    subprocess.run(
        [str(env_dir / "bin" / "python"), "-m", *install],
        check=True,
        capture_output=True,
        timeout=600,
    )
    env = {
        "PATH": f"{env_dir / 'bin'}:/usr/bin:/bin",
        "HOME": str(tmp_path / "home"),
        "XDG_CACHE_HOME": str(tmp_path / "cache"),
        "GRADES_TOKEN": TOKEN,
    }
    done = subprocess.run(
        ["grades-contract", "--base-url", mock_url, "--profile", "smoke"],
        cwd=empty,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr
    where = subprocess.run(
        ["python", "-c", "from grades_kit import contract_tests; print(contract_tests.__file__)"],
        cwd=empty,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert where.stdout.startswith(str(env_dir)), "the repo's package, not the wheel's"
    light = subprocess.run(["python", "-c", "import flask"], env=env, capture_output=True)
    assert light.returncode != 0, "the suite alone must not install the mock's flask"
    assert list(empty.iterdir()) == [], "grades-contract wrote into the caller's directory"
    assert TOKEN not in done.stdout + done.stderr


def readme_install_line(wheel: Path) -> list[str]:
    """The README's install line, as written, with the two URLs of the kit made local paths."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    (line,) = [ln for ln in text.splitlines() if ln.startswith("pip install -c ")]
    line = re.sub(
        r"https://raw\.githubusercontent\.com/\S+/constraints\.txt",
        str(ROOT / "constraints.txt"),
        line,
    )
    line = re.sub(r"git\+https://github\.com/\S+@v[\w.]+", wheel.as_uri(), line)
    assert "<org>" not in line, line
    return [*shlex.split(line), "--quiet"]


def build_wheel(where: Path) -> Path:
    """``pip wheel`` of the checkout into ``where``: the one wheel it builds."""
    pip = [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(where)]
    subprocess.run([*pip, str(ROOT)], check=True, capture_output=True, timeout=300)
    (wheel,) = where.glob("grades_contract_kit-*.whl")
    return wheel


def test_the_wheel_installs_one_top_level_package(wheel: Path) -> None:
    """Issue 11: ``grades_kit`` and the dist-info, no generic ``spec`` or ``mock_server``."""
    archive = zipfile.ZipFile(wheel)
    names = archive.namelist()
    assert {name.split("/")[0] for name in names} == {
        "grades_kit",
        f"grades_contract_kit-{VERSION}.dist-info",
    }
    for member in (
        "spec/openapi.yaml",
        "mock_server/bundled_fixtures/grades.json",
        "mock_server/admin-openapi.yaml",
        "contract_tests/pytest.ini",
    ):
        assert f"grades_kit/{member}" in names, member
    assert not [name for name in names if "__pycache__" in name or name.endswith(".pyc")]
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    scripts = archive.read(entry_points).decode()
    for script, target in SCRIPTS.items():
        assert target.startswith("grades_kit.") and f"{script} = {target}" in scripts


@pytest.mark.slow
def test_an_editable_install_imports_grades_kit_from_anywhere(tmp_path: Path) -> None:
    """``pip install -e .`` (``make run``): the scripts and ``grades_kit.*`` work from elsewhere."""
    env_dir, elsewhere = tmp_path / "venv", tmp_path / "elsewhere"
    elsewhere.mkdir()
    venv.create(env_dir, with_pip=True)
    pip = [str(env_dir / "bin" / "python"), "-m", "pip", "install", "--quiet"]
    install = [*pip, "-c", str(ROOT / "constraints.txt"), "-e", f"{ROOT}[mock]"]  # as make run
    subprocess.run(install, check=True, capture_output=True, timeout=600)
    env = {"PATH": f"{env_dir / 'bin'}:/usr/bin:/bin", "HOME": str(tmp_path / "home")}
    for script in ("grades-kit", "grades-mock"):
        done = subprocess.run(
            [script, "--help"], cwd=elsewhere, env=env, capture_output=True, text=True, check=False
        )
        assert done.returncode == 0 and "usage:" in done.stdout, (script, done.stderr)
    # the mock alone: none of the suite's packages, and grades-contract says how to add them
    suite = subprocess.run(["python", "-c", "import pytest"], env=env, capture_output=True)
    assert suite.returncode != 0, "make run must not install the contract suite"
    done = subprocess.run(
        ["grades-contract", "--help"], cwd=elsewhere, env=env, capture_output=True, text=True
    )
    assert done.returncode == 2 and done.stderr.count("\n") == 1 and "[suite]" in done.stderr
    probe = (
        "import grades_kit.mock_server, grades_kit.contract_tests.entry\n"
        "from grades_kit.contract import SPEC_PATH\n"
        "from grades_kit.mock_server.fixtures import default_fixture_dir as fixtures\n"
        "print(SPEC_PATH.is_file(), (fixtures() / 'grades.json').is_file())"
    )
    done = subprocess.run(
        ["python", "-c", probe], cwd=elsewhere, env=env, capture_output=True, text=True, check=False
    )
    assert done.stdout.split() == ["True", "True"], done.stderr
    for name in ("spec", "tests", "bench", "mock_server", "contract_tests"):  # the wheel's only
        found = f"import importlib.util as u; print(getattr(u.find_spec({name!r}), 'origin', 0))"
        done = subprocess.run(
            ["python", "-c", found], cwd=elsewhere, env=env, capture_output=True, text=True
        )
        assert str(ROOT) not in done.stdout, (name, done.stdout)


def test_a_checkout_without_symlinks_says_so_in_one_line(tmp_path: Path) -> None:
    """Where git wrote each link as a small text file (core.symlinks false), importing the kit
    names the fix instead of failing later with a bare ModuleNotFoundError."""
    package = tmp_path / "grades_kit"
    package.mkdir()
    (package / "__init__.py").write_text((ROOT / "grades_kit" / "__init__.py").read_text())
    for link in ("spec", "mock_server", "contract_tests"):
        (package / link).write_text(f"../{link}")
    done = subprocess.run(
        [sys.executable, "-c", "import grades_kit"],
        cwd=tmp_path, capture_output=True, text=True, check=False, env={"PATH": "/usr/bin:/bin"},
    )  # fmt: skip
    last = done.stderr.strip().splitlines()[-1]
    assert done.returncode == 1 and "without symlinks" in last and "core.symlinks true" in last
    make = subprocess.run(
        ["make", "-n", "-B", ".venv/bin/python"], cwd=ROOT, capture_output=True, text=True
    )
    assert "test -L grades_kit/mock_server" in make.stdout  # make checks before installing
