"""The ``Prefer`` request header (RFC 7240, with Stoplight Prism's vocabulary), parsed.

``Prefer: code=503, delay=200`` or ``Prefer: example=by_course`` or
``Prefer: dynamic=true; seed=7``: preferences separated by ``,`` or ``;``, values optionally
quoted. As RFC 7240 asks, a preference the mock does not support (``return=minimal``,
``respond-async``, ...) is ignored, so a library's default cannot break a request; a
supported one with an unusable value or combination is checked against the contract and is
a 400 that says why. What was applied is echoed in ``Preference-Applied`` (``routes.py``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from grades_kit.contract.loader import SUCCESS, Contract
from grades_kit.mock_server.errors import BadRequest

_TOKEN = re.compile(r"^\s*([!#$%&'*+.^_`|~0-9A-Za-z-]+)\s*(=?)")
_VALUE = re.compile(r'^\s*"?([^"]*)"?\s*$')
KEYS = ("code", "example", "dynamic", "seed", "delay")


@dataclass(frozen=True)
class Preferences:
    """The scenario a request asked for; the defaults mean "behave like the real API"."""

    code: int | None = None
    example: str | None = None
    dynamic: bool = False
    seed: int | None = None
    delay_ms: int | None = None


NO_PREFERENCES = Preferences()
"""No ``Prefer`` header: the real API's behaviour (immutable, so requests share it)."""


def parse_prefer(values: list[str], contract: Contract, max_delay_ms: int) -> Preferences:
    """Read every ``Prefer`` header value; raise :class:`BadRequest` on anything unusable."""
    raw = _pairs(values)
    code = _integer(raw, "code")
    if code is not None and code not in contract.statuses():
        declared = ", ".join(str(s) for s in contract.statuses())
        raise BadRequest(f"Prefer: code={code} is not declared by the spec (declared: {declared}).")
    prefs = Preferences(
        code=code,
        example=raw.get("example"),
        dynamic=_boolean(raw, "dynamic"),
        seed=_integer(raw, "seed"),
        delay_ms=_integer(raw, "delay"),
    )
    _check_combination(prefs, contract, max_delay_ms)
    return prefs


def _pairs(values: list[str]) -> dict[str, str]:
    found: dict[str, str] = {}
    for item in (part for value in values for part in re.split(r"[,;]", value)):
        if not item.strip():
            continue
        token = _TOKEN.match(item)
        if token is None or token.group(1).lower() not in KEYS:
            continue  # RFC 7240: a preference the server does not support is ignored
        key = token.group(1).lower()
        value = _VALUE.match(item[token.end() :]) if token.group(2) else None
        if value is None:
            raise BadRequest(f"Prefer: {item.strip()!r} is not of the form key=value.")
        if key in found:
            raise BadRequest(f"Prefer: {key} given more than once.")
        found[key] = value.group(1).strip()
    return found


def _integer(raw: dict[str, str], key: str) -> int | None:
    if key not in raw:
        return None
    if not re.fullmatch(r"[0-9]{1,9}", raw[key]):
        raise BadRequest(f"Prefer: {key}={raw[key]!r} is not a non-negative integer.")
    return int(raw[key])


def _boolean(raw: dict[str, str], key: str) -> bool:
    value = raw.get(key, "false").lower()
    if value not in ("true", "false"):
        raise BadRequest(f"Prefer: {key}={raw[key]!r} must be true or false.")
    return value == "true"


def _check_combination(prefs: Preferences, contract: Contract, max_delay_ms: int) -> None:
    success = int(SUCCESS)
    if prefs.delay_ms is not None and prefs.delay_ms > max_delay_ms:
        raise BadRequest(f"Prefer: delay={prefs.delay_ms} is over the maximum {max_delay_ms} ms.")
    if prefs.example is not None:
        names = contract.response_examples()
        if prefs.code not in (None, success):
            raise BadRequest(f"Prefer: example= names a {success} example; code={prefs.code}.")
        if prefs.example not in names:
            known = ", ".join(names)
            raise BadRequest(f"Prefer: unknown example {prefs.example!r} (known: {known}).")
        if prefs.dynamic:
            raise BadRequest("Prefer: example= and dynamic=true exclude each other.")
    if prefs.dynamic and prefs.code not in (None, success):
        raise BadRequest(f"Prefer: dynamic=true makes {success} records; code={prefs.code}.")
    if prefs.seed is not None and not prefs.dynamic:
        raise BadRequest("Prefer: seed= only applies together with dynamic=true.")
