"""How a wrong filter match relates the value asked for and the value returned.

Real databases and middleware compare strings more loosely than the spec's "exact,
case-sensitive match" (collations that ignore case, accents and trailing spaces; ORMs that
trim and normalise Unicode; ``LIKE 'v%'``). The suite derives probes from these relations
(``contract_tests/near_miss.py``) and every judge names a broken match by them, so the suite
and the validating proxy call the same defect by the same near-miss rule.
"""

from __future__ import annotations

import re
import unicodedata

ACUTE = str.maketrans("aeiouAEIOU", "áéíóúÁÉÍÓÚ")


def other_case(value: str) -> str:
    """``value`` with the case of its last cased character swapped (``JaneDoe`` -> ``JaneDoE``)."""
    for index in range(len(value) - 1, -1, -1):
        if value[index].swapcase() != value[index]:
            return value[:index] + value[index].swapcase() + value[index + 1 :]
    return value


def fold_accents(value: str) -> str:
    """``zoë.müller`` -> ``zoe.muller``: what an accent-insensitive collation sees."""
    decomposed = unicodedata.normalize("NFD", value)
    return unicodedata.normalize("NFC", "".join(c for c in decomposed if not _is_mark(c)))


def add_accent(value: str) -> str:
    """``johndoe`` -> ``johndoé``: the last plain vowel accented (the reverse of folding)."""
    for index in range(len(value) - 1, -1, -1):
        char = value[index]
        if char.translate(ACUTE) != char:
            return value[:index] + char.translate(ACUTE) + value[index + 1 :]
    return value


def other_form(value: str) -> str:
    """The other Unicode normalisation form (NFC <-> NFD) of ``value``."""
    nfd = unicodedata.normalize("NFD", value)
    return nfd if nfd != value else unicodedata.normalize("NFC", value)


def _is_mark(char: str) -> bool:
    return unicodedata.category(char).startswith("M")


METACHARACTERS = {
    "_": "SQL LIKE's any one character",
    "%": "SQL LIKE's any string",
    ".": "a regular expression's any character",
    "?": "a glob's any one character",
    "*": "a glob's any string",
}
"""Characters that a filter built from LIKE, a regex or a glob reads as a wildcard; a probe
uses each one the parameter's pattern allows (where the pattern refuses it, the server's own
validation has already closed that door)."""
ONE_CHARACTER = frozenset("_.?")
"""The wildcards of :data:`METACHARACTERS` that stand for one character; the others, any string."""


def wildcard_match(asked: str, returned: str) -> bool:
    """Whether ``asked`` matches ``returned`` when its metacharacters are read as wildcards."""
    if not any(char in asked for char in METACHARACTERS):
        return False
    parts = (
        "." if c in ONE_CHARACTER else ".*" if c in METACHARACTERS else re.escape(c) for c in asked
    )
    return re.fullmatch("".join(parts), returned, re.DOTALL) is not None


def near_miss(asked: str, returned: str) -> str | None:
    """The near-miss class that matched ``returned`` to a request for ``asked``, if any.

    The order settles overlaps: ``'johndoe '`` extends ``johndoe`` but is a padded value.
    """
    if asked == returned:
        return None
    nfc = unicodedata.normalize("NFC", asked)
    relations = (
        ("unicode-form", nfc == unicodedata.normalize("NFC", returned)),
        ("padded", asked.strip() == returned),
        ("other-case", asked.casefold() == returned.casefold()),
        ("accent-folded", fold_accents(nfc).casefold() == fold_accents(returned).casefold()),
        ("prefix", returned.startswith(asked)),
        ("extension", asked.startswith(returned)),
        ("metacharacter", wildcard_match(asked, returned)),
    )
    return next((klass for klass, holds in relations if holds), None)


def malformed(value: str) -> str | None:
    """The near-miss class of a value outside the filter's pattern that a loose server would
    read as another value (blank as no filter, trimmed, normalised), if any."""
    if value == "":
        return "blank"
    if value != value.strip():
        return "padded"
    if unicodedata.normalize("NFC", value) != value:
        return "unicode-form"
    return None
