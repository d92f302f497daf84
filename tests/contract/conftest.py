"""Fixtures for the tests of the contract itself: the vendored page and a writable spec copy."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from grades_kit.contract.loader import SPEC_PATH
from grades_kit.drift.gitbook import SwaggerBlock, read_page

ROOT = Path(__file__).resolve().parents[2]
PAGE_PATH = ROOT / "docs" / "upstream" / "grades-gitbook.md"
TRANSCRIPTION_PATH = ROOT / "docs" / "transcription.md"


@dataclass(frozen=True)
class Page:
    """The vendored GitBook page: its raw markdown and its parsed swagger blocks."""

    text: str
    blocks: tuple[SwaggerBlock, ...]


@pytest.fixture(scope="session")
def page() -> Page:
    return Page(PAGE_PATH.read_text(encoding="utf-8"), read_page(PAGE_PATH))


@pytest.fixture
def spec_copy(tmp_path: Path) -> Path:
    """A copy of openapi.yaml and its components in tmp_path; returns the copy's openapi.yaml."""
    target = tmp_path / "spec"
    target.mkdir()
    shutil.copy(SPEC_PATH, target / SPEC_PATH.name)
    shutil.copytree(SPEC_PATH.parent / "components", target / "components")
    return target / SPEC_PATH.name


def edit_yaml(path: Path, change: Callable[[Any], None]) -> None:
    """Load a YAML file, let ``change`` mutate it, write it back."""
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(document)
    path.write_text(yaml.safe_dump(document, sort_keys=False, allow_unicode=True), "utf-8")
