"""Query-string validation driven by the spec's parameter schemas (never hand-written rules)."""

from __future__ import annotations

from collections.abc import Iterator
from functools import lru_cache
from typing import Protocol
from urllib.parse import quote

import jsonschema

from grades_kit.contract.loader import Contract
from grades_kit.contract.schema_errors import schema_problem


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
        problem = schema_problem(self._validators[name].iter_errors(value), prefer_pattern=True)
        if problem is None:
            return None
        if " " in value and self._validators[name].is_valid(value.replace(" ", "+")):
            encoded = quote(value.replace(" ", "+"), safe=":")
            return (
                f"{problem.message}. A '+' in a query string means a space: "
                f"send '+' as %2B ({name}={encoded})."
            )
        return f"{problem.message}."
