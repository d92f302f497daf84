"""The spec as written (``$ref``s unresolved): JSON pointers into its files, and their lines.

The loader resolves the spec for the checks; the rule registry needs the other view, the
document as a person reads it, so a rule can say *where* the spec states it (a file of
``spec/``, a pointer in it, a line) and a test can check the quoted words are still there.
"""

from __future__ import annotations

import functools
import posixpath
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

ROOT_FILE = "openapi.yaml"
LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
"""libyaml's loader when PyYAML has it (ten times faster), else the pure-Python one."""


class PointerError(LookupError):
    """A JSON pointer that does not resolve in the spec (a rule points at a moved statement)."""


def escape(segment: str) -> str:
    """One JSON pointer segment (RFC 6901): ``~`` and ``/`` escaped."""
    return segment.replace("~", "~0").replace("/", "~1")


def _unescape(segment: str) -> str:
    return segment.replace("~1", "/").replace("~0", "~")


def _segments(pointer: str) -> list[str]:
    return [_unescape(part) for part in pointer.split("/")[1:]] if pointer else []


@dataclass(frozen=True)
class Place:
    """A node of the written spec: a file of ``spec/`` and a JSON pointer in it."""

    file: str
    pointer: str

    def child(self, *segments: str) -> Place:
        return Place(self.file, self.pointer + "".join("/" + escape(s) for s in segments))


class SpecSource:
    """The files of one spec folder, parsed as written (cached per instance)."""

    def __init__(self, spec_dir: Path) -> None:
        self.spec_dir = spec_dir
        self._parsed = functools.cache(self._parse)
        self._composed = functools.cache(self._compose)

    def _text(self, file: str) -> str:
        return (self.spec_dir / file).read_text(encoding="utf-8")

    def _parse(self, file: str) -> Any:
        return yaml.load(self._text(file), Loader=LOADER)

    def _compose(self, file: str) -> yaml.Node | None:
        return yaml.compose(self._text(file), Loader=LOADER)

    def node(self, place: Place) -> Any:
        """The parsed value at ``place``; :class:`PointerError` when it is not there."""
        node = self._parsed(place.file)
        for segment in _segments(place.pointer):
            node = _step(node, segment, place)
        return node

    def follow(self, place: Place) -> Place:
        """Where the node at ``place`` is defined, following its ``$ref`` chain."""
        for _ in range(16):
            node = self.node(place)
            if not (isinstance(node, dict) and isinstance(node.get("$ref"), str)):
                return place
            target, _, fragment = node["$ref"].partition("#")
            file = place.file
            if target:
                file = posixpath.normpath(posixpath.join(posixpath.dirname(file), target))
            place = Place(file, fragment)
        raise PointerError(f"{place.file}#{place.pointer}: a $ref cycle")

    def says(self, place: Place, quote: str) -> bool:
        """Whether ``quote`` appears (whitespace aside) in a string at or under ``place``."""
        wanted = _flat(quote)
        return any(wanted in _flat(text) for text in _strings(self.node(place)))

    def line(self, place: Place, quote: str | None = None) -> int:
        """The 1-based line of ``place`` in its file (of ``quote`` in it, for a block scalar)."""
        node: yaml.Node | None = self._composed(place.file)
        line: int = 1
        for segment in _segments(place.pointer):
            key, node = _composed_step(node, segment, place)
            line = key.start_mark.line + 1  # a mapping starts on its key's line, not its first
        if not isinstance(node, yaml.ScalarNode):
            return line
        if quote is None:
            return node.start_mark.line + 1
        return _line_of(self._text(place.file), node, quote)


def _line_of(text: str, node: yaml.ScalarNode, quote: str) -> int:
    """The line where ``quote`` starts inside the scalar ``node`` (any style, folded too)."""
    start, end = node.start_mark.index, node.end_mark.index
    found = re.search(r"\s+".join(map(re.escape, quote.split())), text[start:end])
    return text[: start + (found.start() if found else 0)].count("\n") + 1


def _step(node: Any, segment: str, place: Place) -> Any:
    if isinstance(node, dict) and segment in node:
        return node[segment]
    if isinstance(node, list) and segment.isdigit() and int(segment) < len(node):
        return node[int(segment)]
    raise PointerError(f"spec/{place.file}#{place.pointer}: no {segment!r} there")


def _composed_step(
    node: yaml.Node | None, segment: str, place: Place
) -> tuple[yaml.Node, yaml.Node]:
    """(the node that names the step, the node it leads to)."""
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if key.value == segment:
                return key, value
    if isinstance(node, yaml.SequenceNode) and segment.isdigit():
        return node.value[int(segment)], node.value[int(segment)]
    raise PointerError(f"spec/{place.file}#{place.pointer}: no {segment!r} there")


def _strings(node: Any) -> Iterator[str]:
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for key, value in node.items():
            yield str(key)
            yield from _strings(value)
    elif isinstance(node, list):
        for item in node:
            yield from _strings(item)


def _flat(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()
