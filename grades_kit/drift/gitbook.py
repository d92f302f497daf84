"""Parse the ``{% swagger %}`` blocks of a GitBook page into plain data.

The upstream API documentation is a GitBook page, not an OpenAPI document; the drift check
(:mod:`grades_kit.drift.compare`) compares what this module reads from the page with the
contract. Two small steps: a tokenizer splits the page into ``{% tag attr="value" %}`` tags and
the text between them, and a tree builder pairs each tag with its ``{% endtag %}``. The page's
structure must be sound (an unclosed swagger block is an error naming its line); the example
bodies inside it are read leniently (:mod:`grades_kit.drift.lenient_json`)."""

from __future__ import annotations

import shlex
import string
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from grades_kit.drift.lenient_json import records

__all__ = [
    "GitBookError",
    "Parameter",
    "Response",
    "SwaggerBlock",
    "parse_page",
    "read_page",
]

_SWAGGER_TAGS = frozenset(
    {"swagger", "swagger-description", "swagger-parameter", "swagger-response"}
)
_FENCE = "```"


class GitBookError(Exception):
    """The page's tag structure is broken, so its swagger blocks cannot be read."""

    def __init__(self, line: int, problem: str) -> None:
        super().__init__(f"line {line}: {problem}")
        self.line = line
        self.problem = problem


@dataclass(frozen=True)
class Parameter:
    """One ``{% swagger-parameter %}``, or a query parameter named only in the path."""

    name: str
    location: str
    type: str
    required: bool
    description: str
    in_path_template: bool = False


@dataclass(frozen=True)
class Response:
    """One ``{% swagger-response %}`` with the records of its example body."""

    status: str
    description: str
    records: tuple[dict[str, Any], ...] = ()

    @property
    def field_names(self) -> tuple[str, ...]:
        """Every field name the example's records show, in order of first appearance."""
        names = dict.fromkeys(name for record in self.records for name in record)
        return tuple(names)


@dataclass(frozen=True)
class SwaggerBlock:
    """One ``{% swagger %}`` block: one documented request and its responses."""

    line: int
    base_url: str
    path: str
    method: str
    summary: str
    description: str
    parameters: tuple[Parameter, ...] = ()
    responses: tuple[Response, ...] = ()

    def parameters_in(self, location: str) -> tuple[Parameter, ...]:
        """The parameters with ``in=location`` (``query``, ``header``...)."""
        return tuple(p for p in self.parameters if p.location == location)

    @property
    def title(self) -> str:
        """How messages name the block: its summary and line."""
        return f'"{self.summary}" (line {self.line})'


def read_page(path: Path | str) -> tuple[SwaggerBlock, ...]:
    """The swagger blocks of the page at ``path`` (``OSError``/``UnicodeError`` if unreadable)."""
    return parse_page(Path(path).read_text(encoding="utf-8"))


def parse_page(text: str) -> tuple[SwaggerBlock, ...]:
    """The swagger blocks of a GitBook page's markdown, in page order."""
    root = _build_tree(_tokenize(text))
    return tuple(_block(node) for node in root.find("swagger"))


# --- tokenizer -------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Tag:
    name: str
    attributes: dict[str, str]
    line: int


def _tokenize(text: str) -> Iterator[_Tag | str]:
    """The page as a stream of tags and the text between them."""
    position = 0
    while (start := text.find("{%", position)) != -1:
        end = text.find("%}", start)
        line = text.count("\n", 0, start) + 1
        if end == -1:
            raise GitBookError(line, "a '{%' tag is never closed by '%}'")
        if start > position:
            yield text[position:start]
        yield _parse_tag(text[start + 2 : end], line)
        position = end + 2
    if position < len(text):
        yield text[position:]


def _parse_tag(inside: str, line: int) -> _Tag:
    try:
        words = shlex.split(inside)
    except ValueError as exc:  # an unbalanced quote
        raise GitBookError(line, f"cannot read tag {{%{inside}%}}: {exc}") from exc
    if not words:
        raise GitBookError(line, "empty '{% %}' tag")
    attributes: dict[str, str] = {}
    for word in words[1:]:
        key, _, value = word.partition("=")
        attributes[key] = value
    return _Tag(words[0], attributes, line)


# --- tree ------------------------------------------------------------------------------------


@dataclass
class _Node:
    name: str
    attributes: dict[str, str]
    line: int
    children: list[_Node | str] = field(default_factory=list)

    def find(self, name: str) -> Iterator[_Node]:
        """Descendant nodes called ``name`` (not looking inside a match)."""
        for child in self.children:
            if isinstance(child, _Node):
                if child.name == name:
                    yield child
                else:
                    yield from child.find(name)

    def text(self) -> str:
        """All the text inside the node, tags left out."""
        return "".join(c if isinstance(c, str) else c.text() for c in self.children)


def _build_tree(tokens: Iterator[_Tag | str]) -> _Node:
    """Pair each tag with its end tag; a tag without one (e.g. ``embed``) stays a leaf."""
    root = _Node("", {}, 0)
    stack = [root]
    for token in tokens:
        if isinstance(token, str):
            stack[-1].children.append(token)
        elif token.name.startswith("end"):
            _close(stack, token)
        else:
            node = _Node(token.name, token.attributes, token.line)
            stack[-1].children.append(node)
            stack.append(node)
    for node in stack[1:]:
        if node.name in _SWAGGER_TAGS:
            raise GitBookError(node.line, f"{{% {node.name} %}} is never closed")
    return root


def _close(stack: list[_Node], end: _Tag) -> None:
    name = end.name.removeprefix("end")
    opened = [node.name for node in stack[1:]]
    if name not in opened:
        raise GitBookError(end.line, f"{{% {end.name} %}} without an open {{% {name} %}}")
    while stack[-1].name != name:
        unclosed = stack.pop()
        if unclosed.name in _SWAGGER_TAGS:
            raise GitBookError(unclosed.line, f"{{% {unclosed.name} %}} is never closed")
    stack.pop()


# --- blocks ----------------------------------------------------------------------------------


def _block(node: _Node) -> SwaggerBlock:
    attributes = node.attributes
    path, _, query = attributes.get("path", "").partition("?")
    descriptions = [_unescape(d.text()) for d in node.find("swagger-description")]
    return SwaggerBlock(
        line=node.line,
        base_url=attributes.get("baseUrl", ""),
        path=path,
        method=attributes.get("method", "").lower(),
        summary=attributes.get("summary", ""),
        description="\n\n".join(d for d in descriptions if d),
        parameters=_parameters(node, _template_names(query)),
        responses=tuple(_response(r) for r in node.find("swagger-response")),
    )


def _template_names(query: str) -> tuple[str, ...]:
    """``course_id={course_id}&x=1`` -> ``("course_id", "x")``."""
    return tuple(part.partition("=")[0] for part in query.split("&") if part)


def _parameters(node: _Node, template_names: tuple[str, ...]) -> tuple[Parameter, ...]:
    found: list[Parameter] = []
    for tag in node.find("swagger-parameter"):
        attributes = tag.attributes
        location = attributes.get("in", "")
        name = attributes.get("name", "")
        in_template = location == "query" and name in template_names
        found.append(
            Parameter(
                name=name,
                location=location,
                type=attributes.get("type", ""),
                required=attributes.get("required", "false").lower() == "true",
                description=_unescape(tag.text()),
                in_path_template=in_template,
            )
        )
    declared = {p.name for p in found if p.location == "query"}
    for name in template_names:
        if name not in declared:
            found.append(Parameter(name, "query", "", False, "", in_path_template=True))
    return tuple(found)


def _response(node: _Node) -> Response:
    return Response(
        status=node.attributes.get("status", ""),
        description=node.attributes.get("description", ""),
        records=tuple(records(_code(node.text()))),
    )


def _code(text: str) -> str:
    """The content of the first fenced code block of ``text``, else all of it."""
    opening = text.find(_FENCE)
    if opening == -1:
        return text
    body_start = text.find("\n", opening)
    if body_start == -1:
        return ""
    closing = text.find(_FENCE, body_start)
    return text[body_start : closing if closing != -1 else len(text)]


def _unescape(text: str) -> str:
    r"""Markdown text as read: ``\<auth\_token>`` -> ``<auth_token>``, stripped."""
    out: list[str] = []
    chars = iter(text.strip())
    for char in chars:
        if char == "\\":
            following = next(chars, "")
            out.append(following if following in string.punctuation else char + following)
        else:
            out.append(char)
    return "".join(out)
