"""Known violations with an expiry: ``--baseline FILE`` and ``--write-baseline FILE``.

The file is a small YAML document checked against ``baseline.schema.json`` (shipped here)::

    version: 1
    accepted:
      - rule: filter-soundness/username
        fingerprint: 3f2a9c0d1e4b5a6f      # from --write-baseline or the summary
        reason: upstream bug LMS-1234, fixed in the next release
        owner: "@grades-team"
        expires: 2026-12-31                  # after this day the finding fails again

A finding whose fingerprint is accepted and not expired is *known* (passes, listed); one
past its date is *expired* (fails); any other is *new* (fails). Accepted entries the run did
not see are listed as "remove from baseline".
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import jsonschema
import yaml

from grades_kit.contract_tests.reports.findings import RuleFinding

SCHEMA_PATH = Path(__file__).with_name("baseline.schema.json")
DEFAULT_DAYS = 30
"""How long ``--write-baseline`` accepts a finding: a known violation is a debt with a date."""


class BaselineProblem(ValueError):
    """The baseline file cannot be used (exit 2, one line)."""


@dataclass(frozen=True)
class Accepted:
    rule: str
    fingerprint: str
    reason: str
    owner: str
    expires: dt.date


def load(path: Path) -> list[Accepted]:
    """The accepted entries of ``path``, or :class:`BaselineProblem` saying what is wrong."""
    try:
        document = yaml.safe_load(path.read_text("utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise BaselineProblem(f"--baseline {path}: cannot read it ({exc})") from None
    if isinstance(document, dict):  # YAML reads an unquoted date as a date
        for entry in document.get("accepted") or []:
            if isinstance(entry, dict) and isinstance(entry.get("expires"), dt.date):
                entry["expires"] = entry["expires"].isoformat()
    problem = next(_validator().iter_errors(document), None)
    if problem is not None:
        where = "/".join(str(p) for p in problem.absolute_path) or "the document"
        raise BaselineProblem(f"--baseline {path}: {where}: {problem.message}")
    return [
        Accepted(e["rule"], e["fingerprint"], e["reason"], e["owner"], _date(e["expires"], path))
        for e in document["accepted"]
    ]


def _validator() -> jsonschema.protocols.Validator:
    schema = json.loads(SCHEMA_PATH.read_text("utf-8"))
    return jsonschema.Draft202012Validator(schema)


def _date(text: str, path: Path) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise BaselineProblem(f"--baseline {path}: {text!r} is not a date (YYYY-MM-DD)") from None


def classify(
    findings: Sequence[RuleFinding], accepted: Sequence[Accepted], today: dt.date
) -> tuple[list[RuleFinding], list[Accepted]]:
    """Each finding marked new, known or expired; and the entries no finding matched."""
    by_print = {entry.fingerprint: entry for entry in accepted}
    marked = []
    for finding in findings:
        entry = by_print.get(finding.fingerprint)
        status = "new" if entry is None else ("expired" if entry.expires < today else "known")
        marked.append(replace(finding, status=status))
    seen = {finding.fingerprint for finding in findings}
    return marked, [entry for entry in accepted if entry.fingerprint not in seen]


def write(path: Path, findings: Sequence[RuleFinding], today: dt.date) -> None:
    """The run's findings as a starting baseline: fill in each reason and owner."""
    expires = (today + dt.timedelta(days=DEFAULT_DAYS)).isoformat()
    entries = [
        {
            "rule": f.rule,
            "fingerprint": f.fingerprint,
            "reason": "TODO: why this violation is accepted (a ticket)",
            "owner": "TODO: who fixes it",
            "expires": expires,
        }
        for f in findings
    ]
    header = "# grades-contract baseline: known violations (see docs/contract-suite.md)\n"
    path.write_text(header + yaml.safe_dump({"version": 1, "accepted": entries}, sort_keys=False))
