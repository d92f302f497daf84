"""Fixture files → a validated :class:`RecordStore`.

Every record is checked against the contract's GradeRecord schema and the strict
``x-invariants`` the mock knows how to check (see :mod:`mock_server.fixture_invariants`); the first
problem stops the load with a :class:`FixtureError` naming file, record, field and reason.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import jsonschema
import orjson

from grades_kit.contract.loader import Contract
from grades_kit.contract.schema_errors import schema_problem
from grades_kit.mock_server.fixture_invariants import InvariantTracker, Problem
from grades_kit.mock_server.store import RecordStore, StoreBuilder

RECORD_SCHEMA = "GradeRecord"


class FixtureError(Exception):
    """A fixture cannot be served; ``str()`` is one line naming file, record, field, reason."""

    def __init__(
        self, path: Path, reason: str, index: int | None = None, field: str | None = None
    ) -> None:
        where = [str(path)]
        if index is not None:
            where.append(f"record {index}")
        if field:
            where.append(f"field {field!r}")
        super().__init__(f"{', '.join(where)}: {reason}")
        self.path, self.index, self.field, self.reason = path, index, field, reason


def default_fixture_dir() -> Path:
    """The repo's ``fixtures/`` in a checkout, else the copy the wheel ships."""
    package = Path(__file__).resolve().parent
    checkout = package.parent / "fixtures"
    return checkout if (checkout / "grades.json").is_file() else package / "bundled_fixtures"


def fixture_files(paths: Iterable[Path]) -> list[Path]:
    """The ``*.json`` files named by ``paths`` (a folder gives its files, sorted)."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            found = sorted(p for p in path.glob("*.json") if p.is_file())
            if not found:
                raise FixtureError(path, "folder holds no *.json fixture file")
            files.extend(found)
        elif path.is_file():
            files.append(path)
        else:
            raise FixtureError(path, "no such file or folder")
    return files


class RecordChecker:
    """Validates records one at a time (schema, strict invariants, unique pairs) and indexes
    the valid ones; shared by fixture files, the admin API and ``grades-mock record``."""

    def __init__(self, contract: Contract) -> None:
        self._validator = contract.validator(RECORD_SCHEMA)
        self._tracker = InvariantTracker(contract)
        self._builder = StoreBuilder()

    def add(self, record: Any) -> Problem | None:
        """Keep ``record`` if valid; else ``(field, reason)``, field ``""`` for the whole record."""
        problem = record_problem(self._validator, self._tracker, record)
        if problem is None:
            learner = self._builder.learner(record["username"])
            course = self._builder.course(record["course_id"])
            self._builder.add(learner, course, orjson.dumps(record))
        return problem

    def build(self) -> RecordStore:
        return self._builder.build()


def load_fixtures(paths: Iterable[Path], contract: Contract) -> RecordStore:
    """Read, validate and index the records of every fixture file, in order."""
    checker = RecordChecker(contract)
    for path in fixture_files(paths):
        for index, record in _records(path):
            problem = checker.add(record)
            if problem is not None:
                field, reason = problem
                raise FixtureError(path, reason, index, field or None)
    return checker.build()


def _records(path: Path) -> Iterator[tuple[int, Any]]:
    try:
        data = orjson.loads(path.read_bytes())
    except OSError as exc:
        raise FixtureError(path, f"cannot read: {exc.strerror or exc}") from exc
    except orjson.JSONDecodeError as exc:
        raise FixtureError(path, f"not valid JSON: {exc}") from exc
    if not isinstance(data, list):
        raise FixtureError(path, f"expected a JSON array of records, found {type(data).__name__}")
    return enumerate(data)


def record_problem(
    validator: jsonschema.protocols.Validator, tracker: InvariantTracker, record: Any
) -> Problem | None:
    """The first problem of ``record``: its schema first, then the strict invariants."""
    problem = schema_problem(validator.iter_errors(record))
    if problem is not None:
        return problem.field, problem.message
    return tracker.check(record)
