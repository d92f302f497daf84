"""Deterministic, schema-valid, realistic synthetic records (``--generate``, ``Prefer: dynamic``).

Speed comes from building each record out of pre-serialised JSON fragments: one per learner
(username, email), one per course (course_id, display_name), one drawn from a seeded pool of
grade outcomes (percent, letter, timestamps), and one constant fragment for any property the
generator does not know, filled with a minimal value derived from that property's schema, so a
field added to the spec needs no edit here. Group sizes are bounded and independent of N: a
course has about :data:`COURSE_SIZE` learners, a learner 1 to 7 courses.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import orjson

from grades_kit.contract.loader import Contract
from grades_kit.contract.schema_errors import schema_problem
from grades_kit.mock_server.store import RecordStore, StoreBuilder

COURSE_SIZE = 250
COURSES_PER_LEARNER = (1, 1, 2, 2, 3, 4, 5, 7)
"""Drawn uniformly: most learners take one to three courses, a few take up to seven."""
POOL_BITS = 12
"""2**12 distinct grade outcomes, drawn per record with one ``getrandbits`` call."""
FIRST = (
    "john", "jane", "maria", "ahmed", "wei", "olga", "lucas", "amara", "kenji", "sofia",
    "zoë", "josé", "łukasz", "ελένη", "иван", "さくら", "李娜", "chloé", "noah", "fatima",
)  # fmt: skip
LAST = (
    "doe", "garcia", "smith", "müller", "nguyen", "rossi", "kowalski", "okafor", "tanaka",
    "dubois", "silva", "novak", "papadopoulos", "petrov", "kim", "haddad", "núñez", "berg",
)  # fmt: skip
ORGS = ("edX", "MITx", "HarvardX", "MOOCit", "UQx", "DelftX", "TUMx", "UBCx")
SUBJECTS = (
    ("CS", "Introduction to Computer Science"), ("DS", "Data Science Foundations"),
    ("PHY", "Classical Mechanics"), ("BIO", "Principles of Biochemistry"),
    ("ECO", "Microeconomics"), ("HIS", "World History since 1500"),
    ("MAT", "Linear Algebra"), ("LIT", "Reading Poetry"), ("ART", "Art of the Renaissance"),
)  # fmt: skip
RUNS = ("2019_T1", "2020_T2", "2021_Fall", "2022_Spring", "3T2023", "2024_T1")
LETTERS = ((0.9, "A"), (0.8, "B"), (0.7, "C"), (0.5, "Pass"))
FIRST_DAY = date(2019, 1, 1).toordinal()
LAST_DAY = date(2025, 6, 30).toordinal()


class GeneratorError(Exception):
    """The spec has a property the generator cannot fill with a valid value."""


class RecordGenerator:
    """Makes N records for a seed; the same seed always gives the same bytes."""

    def __init__(self, contract: Contract, seed: int) -> None:
        self._schema = contract.schema("GradeRecord")
        self._props: dict[str, Any] = self._schema.get("properties", {})
        self._seed = seed
        self._constant = _fragment(self._unknown_values())
        self._check(contract)

    def store(
        self, n: int, course_id: str | None = None, username: str | None = None
    ) -> RecordStore:
        """``n`` records; a ``course_id``/``username`` makes every record that course/learner."""
        if course_id and username:
            n = min(n, 1)  # one learner in one course: at most one record
        rng = random.Random(self._seed)
        pool_bits = min(POOL_BITS, max(n - 1, 0).bit_length())
        pool = [self._grade(rng) for _ in range(2**pool_bits)]
        n_courses = (
            max(n, 1) if username else 1 if course_id else max(1, math.ceil(n / COURSE_SIZE))
        )
        courses = [self._course(c, rng, course_id) for c in range(n_courses)]
        builder = StoreBuilder()
        course_ids = [builder.course(cid) for cid, _ in courses]
        made, learner, constant, bits = 0, 0, self._constant, rng.getrandbits
        while made < n:
            k = n if username else min(COURSES_PER_LEARNER[bits(3)], n_courses, n - made)
            name, head = self._learner(learner, rng, username)
            ordinal = builder.learner(name)
            for c in _distinct(rng, k, n_courses):
                body = head + courses[c][1] + pool[bits(pool_bits)] + constant
                builder.add(ordinal, course_ids[c], b"{" + body[:-1] + b"}")
            made, learner = made + k, learner + 1
        return builder.build()

    def _known(self, values: dict[str, Any]) -> bytes:
        return _fragment({k: v for k, v in values.items() if k in self._props})

    def _learner(self, n: int, rng: random.Random, fixed: str | None) -> tuple[str, bytes]:
        draw = rng.random
        first, last = FIRST[int(draw() * len(FIRST))], LAST[int(draw() * len(LAST))]
        username = fixed or f"{first}.{last}{n}"[-30:]
        email = f"learner{n}.{rng.getrandbits(20)}@example.com"
        return username, self._known({"username": username, "email": email})

    def _course(self, n: int, rng: random.Random, fixed: str | None) -> tuple[str, bytes]:
        code, title = SUBJECTS[rng.randrange(len(SUBJECTS))]
        org, run = ORGS[rng.randrange(len(ORGS))], RUNS[rng.randrange(len(RUNS))]
        course_id = fixed or f"course-v1:{org}+{code}{100 + n}+{run}"
        display = f"{title} ({run.replace('_', ' ')})"
        return course_id, self._known({"course_id": course_id, "display_name": display})

    def _grade(self, rng: random.Random) -> bytes:
        percent = rng.choice((0, 100)) if rng.random() < 0.05 else rng.randint(0, 100)
        letter = next((name for cut, name in LETTERS if percent >= cut * 100), "")
        last = date.fromordinal(rng.randint(FIRST_DAY, LAST_DAY))
        passed = None
        if letter:
            day = last - timedelta(days=rng.randint(0, 120))
            clock = f"{rng.randrange(24):02}:{rng.randrange(60):02}:{rng.randrange(60):02}"
            passed = f"{day.isoformat()} {clock}.{rng.randrange(10**6):06}"
        pct = "1.00" if percent == 100 else f"0.{percent:02}"
        return self._known(
            {
                "percent_grade": pct,
                "letter_grade": letter,
                "passed_timestamp": passed,
                "last_date": last.isoformat(),
            }
        )

    def _unknown_values(self) -> dict[str, Any]:
        return {
            name: minimal_value(name, s) for name, s in self._props.items() if name not in KNOWN
        }

    def _check(self, contract: Contract) -> None:
        """Fail at start-up, not in a test run, if the spec and the generator disagree."""
        for record in orjson.loads(self.store(20).render(list(range(20)))):
            problem = schema_problem(contract.validator("GradeRecord").iter_errors(record))
            if problem is not None:
                field = problem.field or "record"
                raise GeneratorError(f"generated {field} is invalid: {problem.message}")


def _distinct(rng: random.Random, k: int, n: int) -> list[int]:
    """``k`` distinct course numbers below ``n`` (k is small: faster than ``rng.sample``)."""
    if k >= n:
        return list(range(n))
    chosen: dict[int, None] = {}
    draw = rng.random
    while len(chosen) < k:
        chosen[int(draw() * n)] = None
    return list(chosen)


KNOWN = frozenset(
    ("username", "email", "course_id", "display_name")
    + ("percent_grade", "letter_grade", "passed_timestamp", "last_date")
)
"""The properties the generator has realistic values for; any other gets :func:`minimal_value`."""

_BY_FORMAT: dict[str, Any] = {
    "date": "2020-01-01",
    "date-time": "2020-01-01T00:00:00Z",
    "email": "someone@example.com",
    "uri": "https://example.com/",
}
_BY_TYPE: dict[str, Callable[[dict[str, Any]], Any]] = {
    "null": lambda s: None,
    "string": lambda s: _BY_FORMAT.get(s.get("format", ""), "x" * max(1, s.get("minLength", 1))),
    "integer": lambda s: s.get("minimum", 0),
    "number": lambda s: s.get("minimum", 0),
    "boolean": lambda s: False,
    "array": lambda s: [],
    "object": lambda s: {},
}


def minimal_value(name: str, schema: dict[str, Any]) -> Any:
    """A value for a property the generator does not know, from its schema alone."""
    if "const" in schema:
        return schema["const"]
    for key in ("default", "enum", "examples"):
        if schema.get(key):
            return schema[key] if key == "default" else schema[key][0]
    if "example" in schema:
        return schema["example"]
    types = schema.get("type", "string")
    kind = types if isinstance(types, str) else ("null" if "null" in types else types[0])
    if kind not in _BY_TYPE or (kind == "string" and "pattern" in schema):
        raise GeneratorError(f"property {name!r}: add an example to the spec to generate it")
    return _BY_TYPE[kind](schema)


def _fragment(values: dict[str, Any]) -> bytes:
    """``{"a":1,"b":2}`` → ``"a":1,"b":2,`` (the trailing comma joins fragments cheaply)."""
    return orjson.dumps(values)[1:-1] + b"," if values else b""
