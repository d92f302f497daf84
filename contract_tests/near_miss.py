"""Near-misses: values one comparison bug away from a value the instance returned.

Real databases and middleware compare strings more loosely than the spec's "exact,
case-sensitive match" (MySQL's default collations ignore case, accents and trailing spaces;
ORMs trim and normalise Unicode; a filter built as ``LIKE`` or a regex reads ``_`` or ``.``
as any character; a lookup may also try another column, such as the email; proxies decode
``+`` as a space; a framework keeps the last of a repeated parameter; auth layers compare
tokens by prefix or case). Each class here derives, deterministically, the values that would
expose one such bug from the values the instance itself returned (the relations themselves are
:mod:`grades_kit.contract.matching`); ``docs/contract-suite.md`` says which bug each class is
for, and the registry declares each class's rule. Pure functions: the tests send and judge.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from urllib.parse import quote

from grades_kit.contract.matching import (
    METACHARACTERS,
    add_accent,
    fold_accents,
    other_case,
    other_form,
)
from grades_kit.contract.registry import Rule, rule

__all__ = [
    "FILTER_CLASSES",
    "METACHARACTERS",
    "Known",
    "TOKEN_CLASSES",
    "Probe",
    "TokenProbe",
    "filter_probes",
    "token_probes",
]


@dataclass(frozen=True)
class Known:
    """What the instance returned, as the near-miss classes of one filter need it."""

    values: Sequence[str]
    """This filter's values, sorted."""
    others: Mapping[str, Sequence[str]] = field(default_factory=dict)
    """The string values of each of the records' other fields (emails, titles...), sorted."""
    allowed: Callable[[str], bool] = lambda value: True
    """Whether the parameter's pattern allows a value (a probe outside it proves less)."""


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
    decoy: str | None = None
    """Sent first as the same parameter (``name=decoy&name=value``): a repeated filter."""

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


def _accent_folded(name: str, known: Known) -> list[Probe]:
    found = _first(known.values, fold_accents) or _first(known.values, add_accent)
    return [Probe("accent-folded", name, found[1], found[0])] if found else []


def _unicode_form(name: str, known: Known) -> list[Probe]:
    values = known.values
    found = _first(values, other_form) or _first(values, lambda v: other_form(add_accent(v)))
    return [Probe("unicode-form", name, found[1], found[0])] if found else []


def _other_case(name: str, known: Known) -> list[Probe]:
    found = _first(known.values, other_case)
    return [Probe("other-case", name, found[1], found[0])] if found else []


def _padded(name: str, known: Known) -> list[Probe]:
    if not known.values:
        return []
    value = known.values[0]
    return [Probe("padded", name, f" {value}", value), Probe("padded", name, f"{value} ", value)]


def _prefix(name: str, known: Known) -> list[Probe]:
    found = _first([v for v in known.values if len(v) > 1], lambda v: v[:-1])
    return [Probe("prefix", name, found[1], found[0])] if found else []


def _extension(name: str, known: Known) -> list[Probe]:
    first = known.values[:1]
    return [Probe("extension", name, first[0] + "x", first[0])] if first else []


def _blank(name: str, known: Known) -> list[Probe]:
    return [Probe("blank", name, "", "")]


def _plus(name: str, known: Known) -> list[Probe]:
    """``%2B`` must mean ``+``; a raw ``+`` may mean ``+`` or a space; a space is a space."""
    with_plus = [v for v in known.values if "+" in v]
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


def _metacharacter(name: str, known: Known) -> list[Probe]:
    """A known value with one character made a wildcard (``johndoe`` -> ``johndo_``), for
    each wildcard the pattern allows: an exact filter returns no record of ``johndoe``."""
    probes = []
    for char in METACHARACTERS:
        candidates = [v for v in known.values if len(v) > 1 and char not in v]
        found = _first(candidates, partial(_wildcarded, char=char, known=known))
        if found is not None:
            probes.append(Probe("metacharacter", name, found[1], found[0]))
    return probes


def _wildcarded(value: str, char: str, known: Known) -> str:
    """``value`` with its last letter or digit replaced by ``char``, where the pattern allows
    the result and no returned value is that text (else ``value``: no probe)."""
    for index in range(len(value) - 1, 0, -1):
        if value[index].isalnum():
            candidate = value[:index] + char + value[index + 1 :]
            if known.allowed(candidate) and candidate not in known.values:
                return candidate
            break
    return value


def _other_key(name: str, known: Known) -> list[Probe]:
    """For each other field, one of its values that the pattern allows (an email for
    ``username``): a lookup that also tries that column returns the record; an exact filter
    returns none."""
    own = set(known.values)
    probes = []
    for values in known.others.values():
        value = next((v for v in values if v not in own and known.allowed(v)), None)
        if value is not None:
            probes.append(Probe("other-key", name, value, ""))
    return probes


def _repeated(name: str, known: Known) -> list[Probe]:
    """``name=<decoy>&name=<v>``: the spec answers a repeated filter 400; a framework that
    keeps the last (or first) value answers 200 with one of them."""
    if not known.values:
        return []
    value = known.values[0]
    decoy = next((v for v in known.values if v != value), other_case(value))
    return [Probe("repeated", name, value, value, decoy=decoy)]


FILTER_CLASSES: dict[str, Callable[[str, Known], list[Probe]]] = {
    "other-case": _other_case,
    "accent-folded": _accent_folded,
    "unicode-form": _unicode_form,
    "padded": _padded,
    "prefix": _prefix,
    "extension": _extension,
    "blank": _blank,
    "plus": _plus,
    "metacharacter": _metacharacter,
    "other-key": _other_key,
    "repeated": _repeated,
}
"""Each near-miss class of a filter value: derives its probes from what the instance returned."""


def filter_probes(klass: str, name: str, known: Known | Sequence[str]) -> list[Probe]:
    """The probes of ``klass`` for the filter ``name``, from the values the instance returned.

    Every class but ``plus`` starts from a value without ``+`` when the instance returned
    one, so each class shows one bug: a server that decodes ``%2B`` wrongly breaks ``plus``
    alone, not every probe that happens to carry a ``+``.
    """
    if not isinstance(known, Known):
        known = Known(known)
    if klass != "plus":
        plain = [v for v in known.values if "+" not in v]
        known = Known(plain or known.values, known.others, known.allowed)
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
