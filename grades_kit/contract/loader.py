"""Load ``openapi.yaml`` once: resolve its ``$ref``s with prance, then validate the result.

The mock server and the contract suite both read the contract through this module, so they
cannot disagree on what it says, and no schema is ever copied into Python. The resolved
document is validated with openapi-spec-validator 0.9 *after* resolution, because the
validator alone does not follow a ``$ref`` into another file.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, cast

import jsonschema
import jsonschema_rs
import yaml
from openapi_spec_validator import validate as validate_openapi

from grades_kit.contract.schema_errors import describe

SPEC_PATH = Path(__file__).parents[1] / "spec" / "openapi.yaml"
"""``spec/openapi.yaml``: the ``grades_kit/spec`` link in a checkout, a copy in the wheel."""
GRADES_PATH = "/api/so2/v1/grades"
SUCCESS = "200"

Strictness = Literal["strict", "advisory"]
"""What an ``x-invariants`` entry says of itself (the rule registry maps it to a severity)."""
Scope = Literal["record", "list"]


class SpecError(Exception):
    """The spec is missing, unreadable, unresolvable or not valid OpenAPI 3.1."""

    def __init__(self, path: Path, problem: str) -> None:
        super().__init__(f"{path}: {problem}")
        self.path = path
        self.problem = problem


@dataclass(frozen=True)
class Invariant:
    """A rule the spec states in words (``x-invariants``), checked by the contract suite."""

    id: str
    severity: Strictness
    rule: str
    scope: Scope


@dataclass(frozen=True, eq=False)
class Contract:
    """The resolved spec plus the few look-ups every consumer needs.

    ``document`` is shared by every caller of :func:`load_contract`: treat it as read-only
    and copy it before changing anything (e.g. to serve it with another ``servers`` list).
    """

    path: Path
    document: Mapping[str, Any]

    def schema(self, name: str) -> dict[str, Any]:
        """A schema of ``components.schemas`` (fully resolved)."""
        return cast(dict[str, Any], self.document["components"]["schemas"][name])

    def operation(self, method: str = "get") -> dict[str, Any]:
        """The operation on the grades path for ``method``."""
        return cast(dict[str, Any], self.document["paths"][GRADES_PATH][method])

    def methods(self) -> tuple[str, ...]:
        """The HTTP methods (upper-case) the grades path declares."""
        item = self.document["paths"][GRADES_PATH]
        return tuple(m.upper() for m in item if m in _HTTP_METHODS)

    def statuses(self, method: str = "get") -> tuple[int, ...]:
        """Every status code the operation declares, ascending."""
        return tuple(sorted(int(code) for code in self.operation(method)["responses"]))

    def response(self, status: int | str, method: str = "get") -> dict[str, Any]:
        """The response object the operation declares for ``status``."""
        return cast(dict[str, Any], self.operation(method)["responses"][str(status)])

    def query_parameters(self) -> dict[str, dict[str, Any]]:
        """The GET operation's query parameters by name."""
        params = self.operation()["parameters"]
        return {p["name"]: p for p in params if p["in"] == "query"}

    def response_examples(self) -> dict[str, Any]:
        """Named examples of the 200 response: name -> value."""
        content = self.response(SUCCESS)["content"]["application/json"]
        return {name: ex["value"] for name, ex in content.get("examples", {}).items()}

    def example_queries(self) -> dict[str, dict[str, str]]:
        """The query that produces each named 200 example: example name -> {param: value}.

        A query parameter's example and a response example with the same name belong
        together (``course_id`` example ``by_course`` answers with example ``by_course``).
        """
        queries: dict[str, dict[str, str]] = {name: {} for name in self.response_examples()}
        for name, param in self.query_parameters().items():
            for example_name, example in param.get("examples", {}).items():
                queries.setdefault(example_name, {})[name] = example["value"]
        return queries

    def invariants(self) -> tuple[Invariant, ...]:
        """The ``x-invariants`` of GradeRecord (per record) and GradeList (whole list)."""
        found: list[Invariant] = []
        scopes: tuple[tuple[str, Scope], ...] = (("GradeRecord", "record"), ("GradeList", "list"))
        for schema_name, scope in scopes:
            for item in self.schema(schema_name).get("x-invariants", []):
                found.append(Invariant(item["id"], item["severity"], item["rule"], scope))
        return tuple(found)

    def validator(self, schema_name: str) -> jsonschema.protocols.Validator:
        """A JSON Schema 2020-12 validator for a named schema, with formats asserted."""
        return _validator(self, schema_name)

    def is_valid(self, schema_name: str) -> Callable[[Any], bool]:
        """A fast yes/no for a named schema (jsonschema-rs, formats asserted), ~30x quicker
        than :meth:`validator`: for judging many values, asking :meth:`validator` only to
        describe one that fails."""
        return _fast_validator(self, schema_name).is_valid


_HTTP_METHODS = frozenset({"get", "put", "post", "delete", "options", "head", "patch", "trace"})


@functools.cache
def _validator(contract: Contract, schema_name: str) -> jsonschema.protocols.Validator:
    schema = contract.schema(schema_name)
    cls = jsonschema.Draft202012Validator
    return cls(schema, format_checker=cls.FORMAT_CHECKER)


@functools.cache
def _fast_validator(contract: Contract, schema_name: str) -> jsonschema_rs.Draft202012Validator:
    return jsonschema_rs.Draft202012Validator(contract.schema(schema_name), validate_formats=True)


def load_contract(path: Path | str | None = None) -> Contract:
    """Load, resolve and validate the spec at ``path`` (default: the bundled one), cached.

    Raises :class:`SpecError` with a one-line message naming the file and the problem.
    """
    return _load(Path(path or SPEC_PATH).resolve())


@functools.lru_cache(maxsize=8)
def _load(path: Path) -> Contract:
    if not path.is_file():
        raise SpecError(path, "no such file")
    _check_yaml(path)
    document = _resolve(path)
    try:
        validate_openapi(document)
    except Exception as exc:  # the validator's exception types vary between releases
        raise SpecError(path, _problem(exc)) from exc
    if document.get("openapi", "").split(".")[:2] != ["3", "1"]:
        raise SpecError(path, f"expected OpenAPI 3.1, found {document.get('openapi')!r}")
    return Contract(path=path, document=document)


def _check_yaml(root: Path) -> None:
    """Parse the root file and every file it ``$ref``s, naming the first one that is broken.

    prance reports bad YAML anywhere only as "could not detect format of spec string".
    """
    pending, seen = [root], set()
    while pending:
        path = pending.pop()
        if path in seen:
            continue
        seen.add(path)
        name = "" if path == root else f"{os.path.relpath(path, root.parent)}: "
        try:
            document = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeError) as exc:
            raise SpecError(root, f"{name}cannot read: {_first_line(exc)}") from exc
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
            problem = getattr(exc, "problem", None) or _first_line(exc)
            raise SpecError(root, f"{name}invalid YAML: {problem}{where}") from exc
        pending.extend((path.parent / ref).resolve() for ref in _file_refs(document))


def _file_refs(node: Any) -> set[str]:
    """The relative file parts of the ``$ref``s in a parsed YAML document."""
    if isinstance(node, dict):
        ref = node.get("$ref")
        found = {ref.partition("#")[0]} if isinstance(ref, str) and ref.partition("#")[0] else set()
        return found.union(*(_file_refs(value) for value in node.values()))
    if isinstance(node, list):
        return set().union(*(_file_refs(item) for item in node))
    return set()


def _resolve(path: Path) -> dict[str, Any]:
    # Imported here: prance is slow to import and only this function needs it.
    import prance

    try:
        parser = prance.ResolvingParser(str(path), strict=True)
    except Exception as exc:  # prance surfaces YAML, I/O and $ref errors as many types
        raise SpecError(path, _problem(exc)) from exc
    return cast(dict[str, Any], parser.specification)


def _problem(exc: BaseException) -> str:
    """One readable line for ``exc``.

    prance re-raises the validator's error with its arguments, whose text is a tuple repr
    holding the whole document; the original error (its cause) has the message and the place.
    """
    error = exc if isinstance(exc, jsonschema.ValidationError) else exc.__cause__
    if isinstance(error, jsonschema.ValidationError):
        problem = describe(error)
        return f"not valid OpenAPI: {problem.message} (at {problem.field or 'the document root'})"
    return _first_line(exc)


def _first_line(exc: BaseException) -> str:
    # prance's ResolutionError carries (errno, strerror, "File not found: ...") as arguments.
    detailed = len(exc.args) > 1 and isinstance(exc.args[-1], str)
    text = (exc.args[-1] if detailed else str(exc)).strip() or type(exc).__name__
    return text.splitlines()[0]
