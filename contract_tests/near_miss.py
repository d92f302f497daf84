"""Near-misses: values one comparison bug away from a value the instance returned.

Real databases and middleware compare strings more loosely than the spec's "exact,
case-sensitive match" (MySQL's default collations ignore case, accents and trailing spaces;
ORMs trim and normalise Unicode; proxies decode ``+`` as a space; auth layers compare tokens
by prefix or case). Each class here derives, deterministically, the values that would expose
one such bug from the values the instance itself returned (the relations themselves are
:mod:`grades_kit.contract.matching`); ``docs/contract-suite.md`` says which bug each class is
for, and the registry declares each class's rule. Pure functions: the tests send and judge.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from urllib.parse import quote

from grades_kit.contract.matching import add_accent, fold_accents, other_case, other_form
from grades_kit.contract.registry import Rule, rule

__all__ = [
    "FILTER_CLASSES",
    "TOKEN_CLASSES",
    "Probe",
    "TokenProbe",
    "filter_probes",
    "token_probes",
]


@dataclass(frozen=True)
class Probe:
    """One near-miss request for a filter: the value the server should see, and how to send it.

    ``raw_query`` is set when the query string must be sent exactly as written (a raw
    ``+``); then the server may read the value either as ``value`` or as ``alternative``.
    """

    klass: str
    name: str
    value: str
    source: str
    raw_query: str | None = None
    alternative: str | None = None

    @property
    def rule(self) -> Rule:
        return rule(f"near-miss/{self.klass}")


@dataclass(frozen=True)
class TokenProbe:
    """One near-miss of the run's token: the ``Authorization`` header, or a query parameter."""

    klass: str
    variant: str
    """How the token was changed, in words (the token itself is never printed)."""
    authorization: str | None
    params: tuple[tuple[str, str], ...] = ()

    @property
    def rule(self) -> Rule:
        return rule(f"near-miss/{self.klass}")


def _first(known: Sequence[str], derive: Callable[[str], str]) -> tuple[str, str] | None:
    """The first known value ``derive`` changes, with what it becomes."""
    for value in known:
        if derive(value) != value:
            return value, derive(value)
    return None


def _accent_folded(name: str, known: Sequence[str]) -> list[Probe]:
    found = _first(known, fold_accents) or _first(known, add_accent)
    return [Probe("accent-folded", name, found[1], found[0])] if found else []


def _unicode_form(name: str, known: Sequence[str]) -> list[Probe]:
    found = _first(known, other_form) or _first(known, lambda v: other_form(add_accent(v)))
    return [Probe("unicode-form", name, found[1], found[0])] if found else []


def _other_case(name: str, known: Sequence[str]) -> list[Probe]:
    found = _first(known, other_case)
    return [Probe("other-case", name, found[1], found[0])] if found else []


def _padded(name: str, known: Sequence[str]) -> list[Probe]:
    if not known:
        return []
    value = known[0]
    return [Probe("padded", name, f" {value}", value), Probe("padded", name, f"{value} ", value)]


def _prefix(name: str, known: Sequence[str]) -> list[Probe]:
    found = _first([v for v in known if len(v) > 1], lambda v: v[:-1])
    return [Probe("prefix", name, found[1], found[0])] if found else []


def _extension(name: str, known: Sequence[str]) -> list[Probe]:
    return [Probe("extension", name, known[0] + "x", known[0])] if known else []


def _blank(name: str, known: Sequence[str]) -> list[Probe]:
    return [Probe("blank", name, "", "")]


def _plus(name: str, known: Sequence[str]) -> list[Probe]:
    """``%2B`` must mean ``+``; a raw ``+`` may mean ``+`` or a space; a space is a space."""
    with_plus = [v for v in known if "+" in v]
    if not with_plus:
        return []
    value = with_plus[0]
    spaced = value.replace("+", " ")
    raw = f"{name}=" + "".join("+" if c == "+" else quote(c, safe="") for c in value)
    return [
        Probe("plus", name, value, value),
        Probe("plus", name, value, value, raw_query=raw, alternative=spaced),
        Probe("plus", name, spaced, value),
    ]


FILTER_CLASSES: dict[str, Callable[[str, Sequence[str]], list[Probe]]] = {
    "other-case": _other_case,
    "accent-folded": _accent_folded,
    "unicode-form": _unicode_form,
    "padded": _padded,
    "prefix": _prefix,
    "extension": _extension,
    "blank": _blank,
    "plus": _plus,
}
"""Each near-miss class of a filter value: derives its probes from the sorted known values."""


def filter_probes(klass: str, name: str, known: Sequence[str]) -> list[Probe]:
    """The probes of ``klass`` for the filter ``name``, from the values the instance returned.

    Every class but ``plus`` starts from a value without ``+`` when the instance returned
    one, so each class shows one bug: a server that decodes ``%2B`` wrongly breaks ``plus``
    alone, not every probe that happens to carry a ``+``.
    """
    if klass != "plus":
        known = [v for v in known if "+" not in v] or known
    return FILTER_CLASSES[klass](name, known)


TOKEN_CLASSES: dict[str, Callable[[str], list[TokenProbe]]] = {
    "token-prefix": lambda t: [
        TokenProbe("token-prefix", "without its last character", f"Bearer {t[:-1]}")
    ],
    "token-extension": lambda t: [
        TokenProbe("token-extension", "with an 'x' appended", f"Bearer {t}x")
    ],
    "token-other-case": lambda t: (
        [TokenProbe("token-other-case", "in swapped case", f"Bearer {t.swapcase()}")]
        if t.swapcase() != t
        else []
    ),
    "token-padded": lambda t: [
        TokenProbe("token-padded", "after a tab instead of the space", f"Bearer\t{t}"),
        TokenProbe("token-padded", "with base64 padding '=' appended", f"Bearer {t}="),
    ],
    "token-in-query": lambda t: [
        TokenProbe(
            "token-in-query", "as ?access_token= with no header", None, (("access_token", t),)
        )
    ],
}
"""Each near-miss class of the token: a credential that is not exactly the valid one."""


def token_probes(klass: str, token: str) -> list[TokenProbe]:
    return TOKEN_CLASSES[klass](token) if token else []
