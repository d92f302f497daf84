"""Query-string validation driven by the spec's parameter schemas (never hand-written rules)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from functools import lru_cache
from typing import Protocol
from urllib.parse import quote

import jsonschema

from grades_kit.contract.loader import Contract


class QueryArgs(Protocol):
    """A parsed query string that keeps repeats (Werkzeug's ``MultiDict`` is one)."""

    def __iter__(self) -> Iterator[str]: ...

    def getlist(self, key: str) -> list[str]: ...


class QueryRejected(ValueError):
    """A query the spec forbids; ``detail`` names the parameter (the mock answers it 400)."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


PROBLEM_CACHE_SIZE = 4096
"""Verdicts kept per validator: a UI or a load test repeats the same few values, and a
jsonschema pass costs more than the rest of a request (``docs/benchmarks.md``)."""


class QueryValidator:
    """Checks a request's query against the GET operation's declared query parameters.

    Each declared parameter may appear at most once (the spec says so); an undeclared one is
    ignored like Django does, or refused when ``strict`` (``--strict-params``).
    """

    def __init__(self, contract: Contract, strict: bool = False) -> None:
        cls = jsonschema.Draft202012Validator
        self._validators = {
            name: cls(param["schema"], format_checker=cls.FORMAT_CHECKER)
            for name, param in contract.query_parameters().items()
        }
        self._required = {
            name for name, param in contract.query_parameters().items() if param.get("required")
        }
        self._strict = strict
        self._problem = lru_cache(maxsize=PROBLEM_CACHE_SIZE)(self._uncached_problem)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(self._validators)

    def __call__(self, args: QueryArgs) -> dict[str, str]:
        """The declared parameters' values by name; raises :class:`QueryRejected` naming one."""
        if self._strict:
            unknown = sorted(set(args) - set(self._validators))
            if unknown:
                allowed = ", ".join(self._validators) or "none"
                raise QueryRejected(f"{unknown[0]}: unknown query parameter (allowed: {allowed}).")
        values: dict[str, str] = {}
        for name in self._validators:
            given = args.getlist(name)
            if len(given) > 1:
                raise QueryRejected(f"{name}: given {len(given)} times; give it at most once.")
            if not given:
                if name in self._required:
                    raise QueryRejected(f"{name}: this query parameter is required.")
                continue
            problem = self._problem(name, given[0])
            if problem is not None:
                raise QueryRejected(f"{name}: {problem}")
            values[name] = given[0]
        return values

    def _uncached_problem(self, name: str, value: str) -> str | None:
        """What is wrong with ``value`` for parameter ``name``, or ``None``."""
        error = _most_telling(self._validators[name].iter_errors(value))
        if error is None:
            return None
        if " " in value and self._validators[name].is_valid(value.replace(" ", "+")):
            encoded = quote(value.replace(" ", "+"), safe=":")
            return (
                f"{_describe(error)} A '+' in a query string means a space: "
                f"send '+' as %2B ({name}={encoded})."
            )
        return _describe(error)


def _most_telling(
    errors: Iterable[jsonschema.ValidationError],
) -> jsonschema.ValidationError | None:
    """The pattern error if there is one (it says what a value looks like), else the best."""
    found = list(errors)
    patterns = [e for e in found if e.validator == "pattern"]
    return patterns[0] if patterns else jsonschema.exceptions.best_match(found)


def _describe(error: jsonschema.ValidationError) -> str:
    """jsonschema's message, shortened: a 200-character pattern helps nobody."""
    if error.validator == "pattern":
        return f"{_shown(error.instance)} does not match the {_title(error)} pattern."
    return f"{error.message}."


def _title(error: jsonschema.ValidationError) -> str:
    schema = error.schema if isinstance(error.schema, dict) else {}
    title = str(schema.get("title", "expected"))
    words = [title[0]] + [c if c.islower() else f" {c}" for c in title[1:]] if title else []
    return "".join(words).lower()


def _shown(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 80 else f"{text[:77]}...'"
