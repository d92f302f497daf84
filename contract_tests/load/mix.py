"""The load run's request mix: request kinds built from the instance's own data, weighted.

The unfiltered list is fetched once (by the master, or the only process) and reduced to a
:class:`Plan`: the courses, the learners and the pairs the instance holds, sampled to a
bounded size so the plan travels to the workers in one small message. Each kind of request
draws its values from the plan, and each request says how to show itself without a learner
datum: a course or learner is named by its index in the plan (``course-3``, ``learner-17``),
so a verdict, a log line or Locust's statistics never carry a value of the instance.

Pure: no HTTP, no Locust. The Locust user (:mod:`.user`) sends what :func:`draw` returns.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from grades_kit.contract_tests.near_miss import FILTER_CLASSES, filter_probes, token_probes

__all__ = [
    "DEFAULT_WEIGHTS",
    "KINDS",
    "Plan",
    "Request",
    "draw",
    "parse_mix",
]

PLAN_LIMIT = 1000
"""The most courses, learners and pairs a plan keeps (a deterministic sample beyond)."""
UNKNOWN_COURSE = "course-v1:GradesKitLoad+Unknown+{n}"
UNKNOWN_LEARNER = "grades-kit-load-unknown-{n}"
ORIGIN = "https://grades-kit-load.example"
"""The ``Origin`` of the cross-origin kinds: any origin a browser page could have."""

DEFAULT_WEIGHTS: dict[str, int] = {
    "all": 1,
    "by-course": 10,
    "by-learner": 10,
    "by-course-and-learner": 5,
    "unknown-course": 2,
    "unknown-learner": 2,
    "near-miss": 3,
    "no-token": 1,
    "invalid-token": 1,
    "cross-origin": 2,
    "preflight": 1,
}
"""Requests of each kind per 38: mostly the filtered reads real traffic makes."""


@dataclass(frozen=True)
class Plan:
    """What the request kinds draw from: the instance's values, each list sorted."""

    courses: tuple[str, ...]
    learners: tuple[str, ...]
    pairs: tuple[tuple[int, int], ...]
    """(course index, learner index) of records the instance holds."""

    @classmethod
    def from_records(cls, records: Sequence[Any]) -> Plan:
        rows = [r for r in records if isinstance(r, Mapping)]
        courses = _sample(sorted({str(r.get("course_id")) for r in rows if r.get("course_id")}))
        learners = _sample(sorted({str(r.get("username")) for r in rows if r.get("username")}))
        course_at = {c: i for i, c in enumerate(courses)}
        learner_at = {u: i for i, u in enumerate(learners)}
        pairs = {
            (course_at[str(r["course_id"])], learner_at[str(r["username"])])
            for r in rows
            if str(r.get("course_id")) in course_at and str(r.get("username")) in learner_at
        }
        return cls(tuple(courses), tuple(learners), tuple(_sample(sorted(pairs))))

    def to_wire(self) -> dict[str, Any]:
        """Plain lists (what Locust's messages between master and workers can carry)."""
        return {"courses": self.courses, "learners": self.learners, "pairs": self.pairs}

    @classmethod
    def from_wire(cls, data: Mapping[str, Any]) -> Plan:
        pairs = tuple((int(c), int(u)) for c, u in data["pairs"])
        return cls(tuple(data["courses"]), tuple(data["learners"]), pairs)


@dataclass(frozen=True)
class Request:
    """One request to send, and how to name it in anything a person or a file will see."""

    kind: str
    query: str
    """The encoded query string, exactly as sent (empty for none)."""
    shown: str
    """The same query with every value of the instance replaced by its plan index."""
    method: str = "GET"
    headers: Mapping[str, str] = field(default_factory=dict)
    """Besides ``Authorization``: ``Origin`` and the preflight's ``Access-Control-*``."""
    token: str | None = "valid"
    """``valid``, ``None`` (no ``Authorization`` at all) or the header value to send instead."""


def parse_mix(text: str) -> dict[str, int]:
    """``by-course=5,no-token=0`` over the defaults, or ``by-course,preflight``: those kinds
    alone, equally; raises ValueError naming the bad part."""
    parts = [p.strip() for p in text.split(",") if p.strip()]
    if parts and not any("=" in p for p in parts):
        unknown = [p for p in parts if p not in KINDS]
        if unknown:
            raise ValueError(f"--mix: unknown kind {unknown[0]!r} (kinds: {', '.join(KINDS)})")
        return {k: int(k in parts) for k in DEFAULT_WEIGHTS}
    weights = dict(DEFAULT_WEIGHTS)
    for part in parts:
        name, eq, value = part.partition("=")
        if name not in weights or not eq or not value.isdigit():
            raise ValueError(f"--mix: {part!r} is not KIND=WEIGHT (kinds: {', '.join(KINDS)})")
        weights[name] = int(value)
    if not any(weights.values()):
        raise ValueError("--mix: every weight is 0, nothing to send")
    return weights


def draw(plan: Plan, weights: Mapping[str, int], token: str, rng: random.Random) -> Request:
    """One request: a kind by weight, then its values from the plan (``rng`` decides both)."""
    names = [k for k, w in weights.items() if w > 0]
    kind = rng.choices(names, [weights[k] for k in names])[0]
    return KINDS[kind](plan, token, rng)


def _all(plan: Plan, token: str, rng: random.Random) -> Request:
    return Request("all", "", "")


def _by_course(plan: Plan, token: str, rng: random.Random) -> Request:
    if not plan.courses:
        return _unknown_course(plan, token, rng)
    index = rng.randrange(len(plan.courses))
    return _filtered("by-course", [("course_id", plan.courses[index], f"course-{index}")])


def _by_learner(plan: Plan, token: str, rng: random.Random) -> Request:
    if not plan.learners:
        return _unknown_learner(plan, token, rng)
    index = rng.randrange(len(plan.learners))
    return _filtered("by-learner", [("username", plan.learners[index], f"learner-{index}")])


def _by_both(plan: Plan, token: str, rng: random.Random) -> Request:
    if not plan.pairs:
        return _unknown_course(plan, token, rng)
    course, learner = rng.choice(plan.pairs)
    return _filtered(
        "by-course-and-learner",
        [
            ("course_id", plan.courses[course], f"course-{course}"),
            ("username", plan.learners[learner], f"learner-{learner}"),
        ],
    )


def _unknown_course(plan: Plan, token: str, rng: random.Random) -> Request:
    value = UNKNOWN_COURSE.format(n=rng.randrange(10**6))
    return _filtered("unknown-course", [("course_id", value, value)])


def _unknown_learner(plan: Plan, token: str, rng: random.Random) -> Request:
    value = UNKNOWN_LEARNER.format(n=rng.randrange(10**6))
    return _filtered("unknown-learner", [("username", value, value)])


def _near_miss(plan: Plan, token: str, rng: random.Random) -> Request:
    """A value one comparison bug away from one the instance holds (``near_miss.py``)."""
    name, known, label = rng.choice(
        [("course_id", plan.courses, "course"), ("username", plan.learners, "learner")]
    )
    klass = rng.choice(sorted(FILTER_CLASSES))
    probes = filter_probes(klass, name, list(known))
    if not probes:
        return _unknown_learner(plan, token, rng)
    probe = rng.choice(probes)
    source = f"{label}-{known.index(probe.source)}" if probe.source in known else "''"
    shown = f"{name}=<{klass} of {source}>"
    if probe.raw_query is not None:
        return Request("near-miss", probe.raw_query, shown)
    return Request("near-miss", f"{name}={quote(probe.value, safe='')}", shown)


def _no_token(plan: Plan, token: str, rng: random.Random) -> Request:
    return Request("no-token", "", "", token=None)


def _invalid_token(plan: Plan, token: str, rng: random.Random) -> Request:
    """A token near miss (a prefix, another case...) or, without a token, a made-up one."""
    headers = [
        p.authorization
        for klass in ("token-prefix", "token-extension", "token-other-case")
        for p in token_probes(klass, token)
    ]
    return Request("invalid-token", "", "", token=rng.choice(headers or ["Bearer not-a-token"]))


def _cross_origin(plan: Plan, token: str, rng: random.Random) -> Request:
    base = _by_course(plan, token, rng)
    return Request("cross-origin", base.query, base.shown, headers={"Origin": ORIGIN})


def _preflight(plan: Plan, token: str, rng: random.Random) -> Request:
    headers = {
        "Origin": ORIGIN,
        "Access-Control-Request-Method": "GET",
        "Access-Control-Request-Headers": "authorization",
    }
    return Request("preflight", "", "", method="OPTIONS", headers=headers, token=None)


def _filtered(kind: str, params: Sequence[tuple[str, str, str]]) -> Request:
    query = "&".join(f"{name}={quote(value, safe='')}" for name, value, _ in params)
    shown = "&".join(f"{name}={label}" for name, _, label in params)
    return Request(kind, query, shown)


def _sample(values: list[Any]) -> list[Any]:
    """At most :data:`PLAN_LIMIT` values, evenly spread, the same ones for the same data."""
    if len(values) <= PLAN_LIMIT:
        return values
    step = len(values) / PLAN_LIMIT
    return [values[int(i * step)] for i in range(PLAN_LIMIT)]


KINDS: dict[str, Callable[[Plan, str, random.Random], Request]] = {
    "all": _all,
    "by-course": _by_course,
    "by-learner": _by_learner,
    "by-course-and-learner": _by_both,
    "unknown-course": _unknown_course,
    "unknown-learner": _unknown_learner,
    "near-miss": _near_miss,
    "no-token": _no_token,
    "invalid-token": _invalid_token,
    "cross-origin": _cross_origin,
    "preflight": _preflight,
}
"""Every request kind: the name Locust's statistics use, and how to build one."""
