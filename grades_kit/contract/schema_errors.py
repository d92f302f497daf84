"""The one formatting of JSON Schema errors: a field path and one short line.

Fixtures, the generator's self-check, the admin API, the spec loader, query validation, the
error-body check and the validating proxy all report a value the schema refuses through
:func:`describe`, so the same mistake reads the same everywhere. A pattern error names the
schema's title ("the course key pattern") instead of quoting a 200-character regex.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import jsonschema

MAX_SHOWN = 80
"""A refused value is quoted up to this many characters."""


@dataclass(frozen=True)
class SchemaProblem:
    """The most relevant of a value's schema errors: where (a ``/`` path) and what (one line)."""

    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.field}: {self.message}" if self.field else self.message


def schema_problem(
    errors: Iterable[jsonschema.ValidationError], prefer_pattern: bool = False
) -> SchemaProblem | None:
    """The most telling of ``errors`` as one line, or None when there is none.

    jsonschema's ``best_match`` by default; with ``prefer_pattern`` a pattern error first, as
    it says what a value should look like (query parameters are judged this way).
    """
    found = list(errors)
    patterns = [e for e in found if e.validator == "pattern"] if prefer_pattern else []
    error = patterns[0] if patterns else jsonschema.exceptions.best_match(found)
    return None if error is None else describe(error)


def describe(error: jsonschema.ValidationError) -> SchemaProblem:
    """One schema error as its field path and one line (no trailing period)."""
    field = "/".join(str(part) for part in error.absolute_path)
    if error.validator == "pattern":
        return SchemaProblem(
            field, f"{_shown(error.instance)} does not match the {_title(error)} pattern"
        )
    lines = error.message.strip().splitlines()
    return SchemaProblem(field, lines[0].rstrip(".") if lines else "invalid")


def _title(error: jsonschema.ValidationError) -> str:
    """``CourseKey`` -> ``course key``; ``expected`` for a schema without a title."""
    schema = error.schema if isinstance(error.schema, dict) else {}
    title = str(schema.get("title", "expected"))
    words = [title[0]] + [c if c.islower() else f" {c}" for c in title[1:]] if title else []
    return "".join(words).lower()


def _shown(value: object) -> str:
    text = repr(value)
    return text if len(text) <= MAX_SHOWN else f"{text[: MAX_SHOWN - 3]}...'"
