"""Compare the GitBook page with the contract, so the two cannot silently diverge.

Everything the spec side needs is read from the resolved contract document (paths,
parameters, security schemes, response schemas); nothing about the Grades API is written
here. What *is* written here is how OpenAPI and HTTP say the page's header "parameters"
map onto a spec, since the page lists as headers things that OpenAPI models elsewhere:

- ``Authorization`` is a security scheme (OpenAPI ignores a header parameter of that name);
  the page's value (``Bearer <auth_token>``) names the HTTP scheme it must be.
- ``Content-Type`` describes a request body; on a method without one (GET, HEAD, OPTIONS,
  DELETE) it is ignored, otherwise the request body must accept the documented media type.
- ``Accept`` must be a media type of the operation's responses.
- ``Access-Control-Request-*`` are sent by browsers on the CORS preflight, so they belong to
  the path's ``OPTIONS`` operation.
- any other header must be a header parameter of the operation.

Drift is also checked by meaning, not only by name: every example value on the page is
validated against the spec's schema for its field (type, format, pattern, nullability,
required fields), and a block that filters by a field must show records that agree on it.
A changed value type (``percent_grade`` as a number, ``passed_timestamp`` in ISO 8601) is
exactly what breaks clients, so it is a difference like a renamed field. Where the page
contradicts the spec on purpose (the defects corrected in ``docs/transcription.md``),
:data:`KNOWN_PAGE_DEFECTS` declares it once, and drift reports only new differences.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import jsonschema

from grades_kit.contract.loader import Contract
from grades_kit.drift.gitbook import Parameter, Response, SwaggerBlock

__all__ = ["KNOWN_PAGE_DEFECTS", "Difference", "DriftKind", "KnownDefect", "compare", "known"]

_BODYLESS_METHODS = frozenset({"get", "head", "options", "delete"})
_HTTP_METHODS = frozenset({"get", "put", "post", "delete", "options", "head", "patch", "trace"})
_PREFLIGHT_PREFIX = "access-control-request-"
_JSON = "application/json"


class DriftKind(StrEnum):
    """What differs: ``*-missing`` is on the page but not in the spec; ``*-undocumented``
    is in the spec but on no swagger block of the page."""

    SERVER_MISSING = "server-missing"
    OPERATION_MISSING = "operation-missing"
    OPERATION_UNDOCUMENTED = "operation-undocumented"
    QUERY_PARAMETER_MISSING = "query-parameter-missing"
    QUERY_PARAMETER_UNDOCUMENTED = "query-parameter-undocumented"
    QUERY_PARAMETER_MISMATCH = "query-parameter-mismatch"
    HEADER_MISSING = "header-missing"
    HEADER_UNDOCUMENTED = "header-undocumented"
    STATUS_MISSING = "status-missing"
    FIELD_MISSING = "field-missing"
    FIELD_UNDOCUMENTED = "field-undocumented"
    VALUE_MISMATCH = "value-mismatch"
    FIELD_ABSENT = "field-absent"
    EXAMPLE_CONTRADICTION = "example-contradiction"


@dataclass(frozen=True)
class Difference:
    """One way the page and the spec disagree, with a message naming the element."""

    kind: DriftKind
    message: str
    block: str = ""
    """The summary of the page block it is about (for :data:`KNOWN_PAGE_DEFECTS`)."""
    element: str = ""
    """The field or parameter it is about (likewise)."""

    def __str__(self) -> str:
        return f"{self.kind}: {self.message}"


@dataclass(frozen=True)
class KnownDefect:
    """A deliberate contradiction between the page and the spec, by its transcription id."""

    defect: str
    """Its id in ``docs/transcription.md`` (section 3), e.g. ``D4``."""
    kind: DriftKind
    block: str
    element: str

    def matches(self, difference: Difference) -> bool:
        return (difference.kind, difference.block, difference.element) == (
            self.kind,
            self.block,
            self.element,
        )


KNOWN_PAGE_DEFECTS: tuple[KnownDefect, ...] = (
    # D4: the "by course" example shows JaneDoe in course-v1:MOOCit-demo-2; the spec's
    # by_course example keeps only the requested course.
    KnownDefect("D4", DriftKind.EXAMPLE_CONTRADICTION, "List grades by course", "course_id"),
)
"""The page's known contradictions, declared once: drift leaves them out and says so.

The other defects of ``docs/transcription.md`` are either repaired while reading the page
(D1-D3, D7: :mod:`grades_kit.drift.lenient_json`, :mod:`grades_kit.drift.gitbook`), mapped by
the header rules above (D8-D11), or not differences a reader of the page could check against the
spec."""


def compare(
    blocks: Iterable[SwaggerBlock],
    contract: Contract,
    known_defects: Iterable[KnownDefect] = KNOWN_PAGE_DEFECTS,
) -> list[Difference]:
    """Every new difference between the page's swagger blocks and the contract, page order."""
    declared = tuple(known_defects)
    return [d for d in _differences(blocks, contract) if not any(k.matches(d) for k in declared)]


def known(
    blocks: Iterable[SwaggerBlock],
    contract: Contract,
    known_defects: Iterable[KnownDefect] = KNOWN_PAGE_DEFECTS,
) -> list[KnownDefect]:
    """The declared defects this page still shows (left out of :func:`compare`)."""
    found = _differences(blocks, contract)
    return [k for k in known_defects if any(k.matches(d) for d in found)]


def _differences(blocks: Iterable[SwaggerBlock], contract: Contract) -> list[Difference]:
    blocks = tuple(blocks)
    document = contract.document
    found: list[Difference] = []
    for block in blocks:
        found.extend(_server(block, document))
        operation = _operation(document, block.path, block.method)
        if operation is None:
            found.append(
                _diff(DriftKind.OPERATION_MISSING, block, _op_name(block), "not in the spec")
            )
            continue
        found.extend(_query_parameters(block, operation))
        found.extend(_headers(block, document))
        found.extend(_statuses(block, operation))
        found.extend(_example_values(block, operation))
    found.extend(_undocumented_operations(blocks, document))
    for (path, method), group in _by_operation(blocks, document).items():
        operation = document["paths"][path][method]
        found.extend(_undocumented_query_parameters(path, method, group, operation))
        found.extend(_undocumented_headers(path, method, group, operation))
        found.extend(_fields(path, method, group, operation))
    return found


# --- per block -------------------------------------------------------------------------------


def _diff(kind: DriftKind, block: SwaggerBlock, element: str, problem: str) -> Difference:
    return Difference(kind, f"{element} of {block.title} is {problem}")


def _op_name(block: SwaggerBlock) -> str:
    return f"{block.method.upper()} {block.path}"


def _operation(document: Mapping[str, Any], path: str, method: str) -> dict[str, Any] | None:
    operation = document.get("paths", {}).get(path, {}).get(method)
    return operation if isinstance(operation, dict) else None


def _server(block: SwaggerBlock, document: Mapping[str, Any]) -> Iterator[Difference]:
    urls = {_expand(server).rstrip("/") for server in document.get("servers", [])}
    if block.base_url and block.base_url.rstrip("/") not in urls:
        listed = ", ".join(sorted(urls)) or "none"
        yield _diff(
            DriftKind.SERVER_MISSING, block, f"baseUrl {block.base_url}", f"not a server ({listed})"
        )


def _expand(server: Mapping[str, Any]) -> str:
    """A server URL with each ``{variable}`` replaced by its default."""
    url = str(server.get("url", ""))
    for name, variable in server.get("variables", {}).items():
        url = url.replace("{" + name + "}", str(variable.get("default", "")))
    return url


def _spec_parameters(operation: Mapping[str, Any], location: str) -> dict[str, dict[str, Any]]:
    """The operation's parameters in ``location`` by name (header names lower-cased)."""
    found: dict[str, dict[str, Any]] = {}
    for parameter in operation.get("parameters", []):
        if parameter.get("in") == location:
            name = parameter["name"]
            found[name.lower() if location == "header" else name] = parameter
    return found


def _query_parameters(block: SwaggerBlock, operation: Mapping[str, Any]) -> Iterator[Difference]:
    declared = _spec_parameters(operation, "query")
    for parameter in block.parameters_in("query"):
        element = f"query parameter {parameter.name}"
        spec_parameter = declared.get(parameter.name)
        if spec_parameter is None:
            yield _diff(DriftKind.QUERY_PARAMETER_MISSING, block, element, "not in the spec")
            continue
        for problem in _parameter_mismatches(parameter, spec_parameter):
            yield _diff(DriftKind.QUERY_PARAMETER_MISMATCH, block, element, problem)


def _parameter_mismatches(page: Parameter, spec: Mapping[str, Any]) -> Iterator[str]:
    spec_type = spec.get("schema", {}).get("type")
    spec_types = spec_type if isinstance(spec_type, list) else [spec_type]
    if page.type and page.type not in spec_types:
        yield f"of type {page.type} on the page but {spec_type} in the spec"
    spec_required = bool(spec.get("required", False))
    if page.required != spec_required:
        yield f"required={_flag(page.required)} on the page but {_flag(spec_required)} in the spec"


def _flag(value: bool) -> str:
    return "true" if value else "false"


def _statuses(block: SwaggerBlock, operation: Mapping[str, Any]) -> Iterator[Difference]:
    declared = set(operation.get("responses", {}))
    for response in block.responses:
        if response.status not in declared:
            element = f"response status {response.status}"
            yield _diff(DriftKind.STATUS_MISSING, block, element, "not in the spec")


# --- headers ---------------------------------------------------------------------------------

_HeaderRule = Callable[[Parameter, Mapping[str, Any], SwaggerBlock], str | None]


def _headers(block: SwaggerBlock, document: Mapping[str, Any]) -> Iterator[Difference]:
    for parameter in block.parameters_in("header"):
        problem = _header_rule(parameter.name)(parameter, document, block)
        if problem is not None:
            yield _diff(DriftKind.HEADER_MISSING, block, f"header {parameter.name}", problem)


def _header_rule(name: str) -> _HeaderRule:
    """Where OpenAPI puts the header the page documents (see the module docstring)."""
    if name.lower().startswith(_PREFLIGHT_PREFIX):
        return _preflight_problem
    rules: dict[str, _HeaderRule] = {
        "authorization": _authorization_problem,
        "content-type": _content_type_problem,
        "accept": _accept_problem,
    }
    return rules.get(name.lower(), _header_parameter_problem)


def _block_operation(document: Mapping[str, Any], block: SwaggerBlock) -> Mapping[str, Any]:
    return _operation(document, block.path, block.method) or {}


def _authorization_problem(
    parameter: Parameter, document: Mapping[str, Any], block: SwaggerBlock
) -> str | None:
    """The page's ``Bearer <token>`` must be an HTTP ``bearer`` security scheme in force."""
    wanted = (parameter.description.split() or ["bearer"])[0].lower()
    schemes = document.get("components", {}).get("securitySchemes", {})
    operation = _block_operation(document, block)
    for requirement in operation.get("security", document.get("security", [])):
        for name in requirement:
            scheme = schemes.get(name, {})
            if scheme.get("type") == "http" and scheme.get("scheme", "").lower() == wanted:
                return None
            if scheme.get("type") == "apiKey" and scheme.get("name", "").lower() == "authorization":
                return None
    return f"not an HTTP {wanted} security scheme applied to the operation"


def _content_type_problem(
    parameter: Parameter, document: Mapping[str, Any], block: SwaggerBlock
) -> str | None:
    """Ignored on a bodyless method; otherwise the request body must accept the type."""
    if block.method in _BODYLESS_METHODS:
        return None
    content = _block_operation(document, block).get("requestBody", {}).get("content", {})
    wanted = _media_type(parameter)
    return None if wanted in content else f"not a request body media type ({wanted})"


def _accept_problem(
    parameter: Parameter, document: Mapping[str, Any], block: SwaggerBlock
) -> str | None:
    wanted = _media_type(parameter)
    for response in _block_operation(document, block).get("responses", {}).values():
        if wanted in response.get("content", {}):
            return None
    return f"not a response media type ({wanted})"


def _media_type(parameter: Parameter) -> str:
    return parameter.description.split(";")[0].strip() or _JSON


def _preflight_problem(
    parameter: Parameter, document: Mapping[str, Any], block: SwaggerBlock
) -> str | None:
    """A CORS request header is sent on the preflight: the path's OPTIONS operation."""
    preflight = _operation(document, block.path, "options")
    if preflight is None:
        return "a CORS preflight header, but the path has no OPTIONS operation in the spec"
    if parameter.name.lower() in _spec_parameters(preflight, "header"):
        return None
    return "a CORS preflight header, but not a header parameter of the OPTIONS operation"


def _header_parameter_problem(
    parameter: Parameter, document: Mapping[str, Any], block: SwaggerBlock
) -> str | None:
    if parameter.name.lower() in _spec_parameters(_block_operation(document, block), "header"):
        return None
    return f"not a header parameter of {block.method.upper()} in the spec"


# --- across blocks: what the spec has that the page does not show ----------------------------


def _by_operation(
    blocks: tuple[SwaggerBlock, ...], document: Mapping[str, Any]
) -> dict[tuple[str, str], list[SwaggerBlock]]:
    groups: dict[tuple[str, str], list[SwaggerBlock]] = {}
    for block in blocks:
        if _operation(document, block.path, block.method) is not None:
            groups.setdefault((block.path, block.method), []).append(block)
    return groups


def _documented_operations(blocks: Iterable[SwaggerBlock]) -> set[tuple[str, str]]:
    """Operations the page shows: each block's, plus OPTIONS where it lists CORS headers."""
    documented: set[tuple[str, str]] = set()
    for block in blocks:
        documented.add((block.path, block.method))
        headers = block.parameters_in("header")
        if any(p.name.lower().startswith(_PREFLIGHT_PREFIX) for p in headers):
            documented.add((block.path, "options"))
    return documented


def _undocumented_operations(
    blocks: tuple[SwaggerBlock, ...], document: Mapping[str, Any]
) -> Iterator[Difference]:
    documented = _documented_operations(blocks)
    for path, item in document.get("paths", {}).items():
        for method in item:
            if method in _HTTP_METHODS and (path, method) not in documented:
                message = f"{method.upper()} {path} is in the spec but on no swagger block"
                yield Difference(DriftKind.OPERATION_UNDOCUMENTED, message)


def _undocumented_query_parameters(
    path: str, method: str, group: list[SwaggerBlock], operation: Mapping[str, Any]
) -> Iterator[Difference]:
    shown = {p.name for block in group for p in block.parameters_in("query")}
    for name in _spec_parameters(operation, "query"):
        if name not in shown:
            message = f"query parameter {name} of {method.upper()} {path} is on no swagger block"
            yield Difference(DriftKind.QUERY_PARAMETER_UNDOCUMENTED, message)


def _undocumented_headers(
    path: str, method: str, group: list[SwaggerBlock], operation: Mapping[str, Any]
) -> Iterator[Difference]:
    shown = {p.name.lower() for block in group for p in block.parameters_in("header")}
    for name, parameter in _spec_parameters(operation, "header").items():
        if name not in shown:
            message = (
                f"header parameter {parameter['name']} of {method.upper()} {path} "
                "is on no swagger block"
            )
            yield Difference(DriftKind.HEADER_UNDOCUMENTED, message)


def _fields(
    path: str, method: str, group: list[SwaggerBlock], operation: Mapping[str, Any]
) -> Iterator[Difference]:
    """Example fields against the response's record schema, both ways, per status."""
    for status, responses in _responses_by_status(group).items():
        response = operation.get("responses", {}).get(status)
        if response is None:
            continue  # already reported as status-missing
        properties = _record_properties(response)
        shown: dict[str, None] = {}
        for block, page_response in responses:
            for name in page_response.field_names:
                shown[name] = None
                if name not in properties:
                    element = f"field {name} of the {status} example"
                    yield _diff(DriftKind.FIELD_MISSING, block, element, _field_problem(response))
        if not shown:
            continue  # the page shows no example body for this status
        for name in properties:
            if name not in shown:
                message = (
                    f"field {name} of the {status} response of {method.upper()} {path} "
                    "is in the spec but in no example of the page"
                )
                yield Difference(DriftKind.FIELD_UNDOCUMENTED, message)


def _field_problem(response: Mapping[str, Any]) -> str:
    schema = response.get("content", {}).get(_JSON, {}).get("schema", {})
    title = _record_schema(schema).get("title", "the response's record schema")
    return f"not a property of {title}"


def _responses_by_status(
    group: list[SwaggerBlock],
) -> dict[str, list[tuple[SwaggerBlock, Response]]]:
    found: dict[str, list[tuple[SwaggerBlock, Response]]] = {}
    for block in group:
        for response in block.responses:
            found.setdefault(response.status, []).append((block, response))
    return found


def _record_properties(response: Mapping[str, Any]) -> dict[str, Any]:
    """The properties of one record of a JSON response (the items of an array body)."""
    schema = response.get("content", {}).get(_JSON, {}).get("schema", {})
    properties = _record_schema(schema).get("properties", {})
    return dict(properties)


def _record_schema(schema: Mapping[str, Any]) -> Mapping[str, Any]:
    if schema.get("type") == "array":
        return dict(schema.get("items", {}))
    return schema


# --- example values, by meaning --------------------------------------------------------------


def _example_values(block: SwaggerBlock, operation: Mapping[str, Any]) -> Iterator[Difference]:
    """Each example value against its field's schema; filtered examples agree on the filter."""
    for response in block.responses:
        spec_response = operation.get("responses", {}).get(response.status)
        if spec_response is None or not response.records:
            continue
        schema = _record_schema(spec_response.get("content", {}).get(_JSON, {}).get("schema", {}))
        example = f"the {response.status} example of {block.title}"
        for index, record in enumerate(response.records, start=1):
            yield from _record_values(block, f"record {index} of {example}", record, schema)
        yield from _filter_agreement(block, example, response, schema)


def _record_values(
    block: SwaggerBlock, where: str, record: Mapping[str, Any], schema: Mapping[str, Any]
) -> Iterator[Difference]:
    properties = schema.get("properties", {})
    for name in schema.get("required", []):
        if name not in record:
            message = f"{where} lacks field {name}, which the spec requires"
            yield Difference(DriftKind.FIELD_ABSENT, message, block.summary, name)
    for name, value in record.items():
        if name not in properties:
            continue  # field-missing says so
        for problem in _value_problems(value, properties[name]):
            message = f"field {name} of {where} shows {_shown(value)} but the spec says {problem}"
            yield Difference(DriftKind.VALUE_MISMATCH, message, block.summary, name)


def _value_problems(value: Any, schema: Mapping[str, Any]) -> Iterator[str]:
    """What the spec says that ``value`` is not, one phrase per broken keyword."""
    checker = jsonschema.Draft202012Validator.FORMAT_CHECKER
    validator = jsonschema.Draft202012Validator(dict(schema), format_checker=checker)
    for error in sorted(validator.iter_errors(value), key=lambda e: str(e.validator)):
        expected = error.validator_value
        if error.validator == "type":
            types = expected if isinstance(expected, list) else [expected]
            nullable = "" if "null" in types or value is not None else " (not nullable)"
            yield f"type {' or '.join(types)}{nullable}"
        elif error.validator == "pattern":
            examples = [e for e in schema.get("examples", []) if isinstance(e, str)]
            yield f"a string like {examples[0]!r} (its pattern)" if examples else f"{expected}"
        elif error.validator == "format":
            yield f"format {expected}"
        else:
            yield f"{error.validator} {expected}"


def _shown(value: Any) -> str:
    kind = {bool: "a boolean", int: "a number", float: "a number", str: "a string"}.get(
        type(value), "null" if value is None else "an " + type(value).__name__
    )
    return f"{value!r} ({kind})" if value is not None else "null"


def _filter_agreement(
    block: SwaggerBlock, example: str, response: Response, schema: Mapping[str, Any]
) -> Iterator[Difference]:
    """A block that filters by a field (``?course_id={course_id}``) shows one value of it."""
    fields = schema.get("properties", {})
    for parameter in block.parameters_in("query"):
        if not parameter.in_path_template or parameter.name not in fields:
            continue
        values = sorted({repr(r[parameter.name]) for r in response.records if parameter.name in r})
        if len(values) > 1:
            message = (
                f"{example} filters by {parameter.name} but its records show "
                f"{len(values)} values: {', '.join(values)}"
            )
            yield Difference(
                DriftKind.EXAMPLE_CONTRADICTION, message, block.summary, parameter.name
            )
