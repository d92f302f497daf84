"""Read the JSON-like examples of documentation pages, which are often not valid JSON.

GitBook pages show example bodies as hand-written text: records without the enclosing
``[ ]``, missing commas, a trailing ``...``. :func:`read_lenient` recovers the values a
reader would see, so the drift check can compare field names without first repairing
the page. Commas are optional, ``...`` is skipped, and an unterminated string or object
ends at the end of the text. It never raises.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Literal

__all__ = ["read_lenient", "records"]

_PUNCTUATION = frozenset("{}[]:,")
_ELLIPSES = frozenset({"...", "…"})
_LITERALS: dict[str, Any] = {"null": None, "true": True, "false": False}

TokenKind = Literal["punct", "string", "word"]


@dataclass(frozen=True)
class _Token:
    kind: TokenKind
    text: str


class _Skip:
    """Marks a token that carries no value (a stray comma, a ``...``)."""


_SKIP = _Skip()


def read_lenient(text: str) -> list[Any]:
    """The top-level values of ``text``; a single top-level array is unwrapped."""
    reader = _Reader(list(_tokenize(text)))
    values = [value for value in reader.values_until(None) if value is not _SKIP]
    if len(values) == 1 and isinstance(values[0], list):
        return values[0]
    return values


def records(text: str) -> list[dict[str, Any]]:
    """The JSON objects among the top-level values of ``text`` (the records of a list)."""
    return [value for value in read_lenient(text) if isinstance(value, dict)]


def _tokenize(text: str) -> Iterator[_Token]:
    index = 0
    while index < len(text):
        char = text[index]
        if char.isspace():
            index += 1
        elif char in _PUNCTUATION:
            yield _Token("punct", char)
            index += 1
        elif char == '"':
            end = _string_end(text, index)
            yield _Token("string", text[index:end])
            index = end
        else:
            end = index
            while end < len(text) and not _ends_word(text[end]):
                end += 1
            yield _Token("word", text[index:end])
            index = end


def _string_end(text: str, start: int) -> int:
    """Index just past the closing quote of the string at ``start`` (or the end of text)."""
    index = start + 1
    while index < len(text):
        if text[index] == "\\":
            index += 2
        elif text[index] == '"':
            return index + 1
        else:
            index += 1
    return len(text)


def _ends_word(char: str) -> bool:
    return char.isspace() or char in _PUNCTUATION or char == '"'


def _decode_string(raw: str) -> str:
    try:
        return str(json.loads(raw))
    except ValueError:  # unterminated or with a bad escape: keep what is there
        return raw.strip('"')


def _decode_word(word: str) -> Any:
    if word in _ELLIPSES:
        return _SKIP
    if word in _LITERALS:
        return _LITERALS[word]
    try:
        return json.loads(word)  # a number
    except ValueError:
        return word  # a bare word: keep it as text


class _Reader:
    """A cursor over the tokens with one method per JSON construct."""

    def __init__(self, tokens: list[_Token]) -> None:
        self._tokens = tokens
        self._index = 0

    def _peek(self, offset: int = 0) -> _Token | None:
        index = self._index + offset
        return self._tokens[index] if index < len(self._tokens) else None

    def _next(self) -> _Token:
        token = self._tokens[self._index]
        self._index += 1
        return token

    def values_until(self, closer: str | None) -> Iterator[Any]:
        """Values up to ``closer`` (consumed) or the end of the tokens."""
        while self._peek() is not None:
            if closer is not None and self._at(closer):
                self._index += 1
                return
            yield self.value()

    def value(self) -> Any:
        token = self._next()
        if token.kind == "string":
            return _decode_string(token.text)
        if token.kind == "word":
            return _decode_word(token.text)
        if token.text == "{":
            return self._object()
        if token.text == "[":
            return [value for value in self.values_until("]") if value is not _SKIP]
        return _SKIP  # a stray `,`, `:`, `]` or `}`

    def _object(self) -> dict[str, Any]:
        found: dict[str, Any] = {}
        while (token := self._peek()) is not None:
            if self._at("}"):
                self._index += 1
                break
            if token.kind == "string" and self._at(":", offset=1):
                self._index += 2
                value = _SKIP if self._at("}") or self._peek() is None else self.value()
                found[_decode_string(token.text)] = None if value is _SKIP else value
            else:
                self.value()  # a comma, an ellipsis, a key without a colon: skip it
        return found

    def _at(self, punctuation: str, offset: int = 0) -> bool:
        token = self._peek(offset)
        return token is not None and token.kind == "punct" and token.text == punctuation
