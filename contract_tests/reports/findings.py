"""The one interface every report reads: a rule that failed, where the spec states it, how
often, how to reproduce it, and what the baseline says about it.

Rule ids are strings until the rule registry lands; :func:`severity`, :func:`title` and
:func:`spec_location` are the three places it will replace (each a lookup by rule id).
"""

from __future__ import annotations

import hashlib
import re
import shlex
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

from grades_kit.contract.loader import load_contract

SPEC_FILE = "spec/openapi.yaml"
"""The spec's path in this repository, as annotations and SARIF name it."""
STATUSES = ("new", "known", "expired")
"""new fails; known (in the baseline, not expired) passes, listed; expired fails."""


@dataclass(frozen=True)
class RuleFinding:
    """One rule the run saw broken, as every report shows it (no learner's data in it)."""

    rule: str
    count: int
    reason: str
    reproduction: str
    fingerprint: str
    status: str = "new"

    @property
    def severity(self) -> str:
        return severity(self.rule)

    @property
    def title(self) -> str:
        return title(self.rule)

    @property
    def line(self) -> int:
        return spec_location(self.rule)

    @property
    def fails(self) -> bool:
        return self.status != "known"


def severity(rule: str) -> str:
    """error: access control, server errors and wrong data; warning: shape and hygiene."""
    if rule.startswith(("auth/", "server-error", "filter-", "unknown-filter", "near-miss/")):
        return "error"
    if rule.startswith(("happy-path", "invariant/", "schemathesis/")):
        return "error"
    return "warning"


def title(rule: str) -> str:
    return rule.replace("/", ": ").replace("-", " ").capitalize()


def spec_location(rule: str) -> int:
    """The line of ``spec/openapi.yaml`` that states what ``rule`` enforces (best match)."""
    lines = _spec_lines()
    family, _, detail = rule.partition("/")
    wanted = {
        "invariant": f"- id: {detail}",
        "auth": "bearerAuth:",
        "filter-soundness": f"name: {detail}",
        "filter-completeness": f"name: {detail}",
        "near-miss": "name: username",
        "cors": "Access-Control",
    }.get(family, "/api/so2/v1/grades:")
    for number, text in enumerate(lines, start=1):
        if wanted in text:
            return number
    return next((n for n, t in enumerate(lines, 1) if "/api/so2/v1/grades:" in t), 1)


@cache
def _spec_lines() -> tuple[str, ...]:
    return tuple(Path(load_contract().path).read_text("utf-8").splitlines())


def fingerprint(rule: str, reproduction: str) -> str:
    """A stable id of a finding without personal data: the rule and the request's shape.

    The shape is the method, the path and each query parameter's name with its value
    replaced by its class (``course_id=<course_id>``), so the same defect met with other
    values, or another learner, is the same finding.
    """
    method, url = _method_and_url(reproduction)
    parts = urlsplit(url)
    shape = "&".join(sorted(f"{k}=<{k}>" for k, _ in parse_qsl(parts.query, True)))
    digest = hashlib.sha256(f"{rule}|{method} {parts.path}?{shape}".encode())
    return digest.hexdigest()[:16]


def _method_and_url(reproduction: str) -> tuple[str, str]:
    try:
        words = shlex.split(reproduction)
    except ValueError:
        words = reproduction.split()
    method = words[words.index("-X") + 1] if "-X" in words[:-1] else "GET"
    urls = [w for w in words if re.match(r"https?://", w)]
    return method, urls[-1] if urls else ""
