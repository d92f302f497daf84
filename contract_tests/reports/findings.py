"""The one interface every report reads: a rule that failed, where the spec states it, how
often, how to reproduce it, and what the baseline says about it.

Severity, title and the spec line come from the rule registry
(:mod:`grades_kit.contract.registry`), looked up by the rule's id.
"""

from __future__ import annotations

import hashlib
import re
import shlex
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlsplit

from grades_kit.contract.registry import registry, rule

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
    def file(self) -> str:
        return spec_place(self.rule)[0]

    @property
    def line(self) -> int:
        return spec_place(self.rule)[1]

    @property
    def fails(self) -> bool:
        return self.status != "known"


def severity(rule_id: str) -> str:
    """error for a rule that fails a run, warning for an advisory one (GitHub's levels)."""
    return "error" if rule(rule_id).severity.fails else "warning"


def title(rule_id: str) -> str:
    return rule(rule_id).title


def spec_place(rule_id: str) -> tuple[str, int]:
    """The file of ``spec/`` and the line that state what the rule enforces (the first line of
    ``spec/openapi.yaml`` for a rule that cites a standard instead)."""
    rules = registry()
    found = rules.location(rule(rule_id))
    if found is None:
        return SPEC_FILE, 1
    path, line = found
    return f"spec/{path.relative_to(rules.source.spec_dir).as_posix()}", line


def fingerprint(rule: str, reproduction: str) -> str:
    """A stable id of a finding without personal data: the rule and the request's shape.

    The shape is the method, the path and each query parameter's name with its value
    replaced by its class (``course_id=<course_id>``), so the same defect met with other
    values, or another learner, is the same finding.
    """
    return request_fingerprint(rule, *_method_and_url(reproduction))


def request_fingerprint(rule: str, method: str, url: str) -> str:
    """:func:`fingerprint` of a request given as its method and URL (or path and query)."""
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
