"""Machine-readable reports: ``--verdict-json`` (its JSON Schema ships beside this module),
``--sarif`` (SARIF 2.1.0, the spec lines as locations, for GitHub code scanning) and
``--junit-xml`` (one test case per rule)."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from grades_kit.contract_tests.reports.outcome import Outcome

VERDICT_SCHEMA_PATH = Path(__file__).with_name("verdict.schema.json")
VERDICT_FORMAT = "grades-contract-verdict/1"
SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
SARIF_LEVELS = {"error": "error", "warning": "warning"}
BASELINE_STATES = {"new": "new", "known": "unchanged", "expired": "updated"}


def verdict_document(outcome: Outcome) -> dict[str, Any]:
    return {
        "format": VERDICT_FORMAT,
        "verdict": outcome.verdict,
        "exit_code": outcome.exit_code,
        "reason": outcome.reason,
        "profile": outcome.profile,
        "seed": outcome.seed,
        "requests_sent": outcome.requests_sent,
        "throttled": {"answers": outcome.throttled, "waited_s": round(outcome.waited_s, 1)},
        "tests": dict(outcome.tests),
        "rules": [
            {
                "id": f.rule,
                "severity": f.severity,
                "title": f.title,
                "count": f.count,
                "status": f.status,
                "fingerprint": f.fingerprint,
                "reason": f.reason,
                "reproduction": f.reproduction,
                "spec": {"file": f.file, "line": f.line},
            }
            for f in outcome.findings
        ],
        "remove_from_baseline": [
            {"rule": e.rule, "fingerprint": e.fingerprint, "owner": e.owner} for e in outcome.stale
        ],
    }


def sarif_document(outcome: Outcome) -> dict[str, Any]:
    rules = {f.rule: f for f in outcome.findings}
    return {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "grades-contract",
                        "version": _version(),
                        "rules": [
                            {
                                "id": f.rule,
                                "shortDescription": {"text": f.title},
                                "defaultConfiguration": {"level": SARIF_LEVELS[f.severity]},
                            }
                            for f in rules.values()
                        ],
                    }
                },
                "results": [_sarif_result(f) for f in outcome.findings],
            }
        ],
    }


def _sarif_result(f: Any) -> dict[str, Any]:
    return {
        "ruleId": f.rule,
        "level": SARIF_LEVELS[f.severity] if f.fails else "note",
        "message": {"text": f"{f.reason} ({f.count}x). Reproduce: {f.reproduction}"},
        "locations": [
            {
                "physicalLocation": {
                    "artifactLocation": {"uri": f.file},
                    "region": {"startLine": f.line},
                }
            }
        ],
        "partialFingerprints": {"grades-contract/v1": f.fingerprint},
        "baselineState": BASELINE_STATES[f.status],
    }


def junit_document(outcome: Outcome) -> ET.ElementTree[ET.Element]:
    """One test case per rule: failing rules fail (known ones are skipped, with the reason)."""
    failures = sum(f.fails for f in outcome.findings)
    suite = ET.Element(
        "testsuite",
        name="grades-contract",
        tests=str(max(len(outcome.findings), 1)),
        failures=str(failures),
        errors=str(int(outcome.exit_code == 2)),
    )
    for f in outcome.findings:
        case = ET.SubElement(suite, "testcase", classname="grades-contract", name=f.rule)
        kind = "failure" if f.fails else "skipped"
        detail = ET.SubElement(case, kind, message=f"[{f.rule}] {f.reason}")
        detail.text = f"{f.count}x, {f.status}; spec {f.file}:{f.line}\n{f.reproduction}"
    if not outcome.findings:
        case = ET.SubElement(suite, "testcase", classname="grades-contract", name="contract")
        if outcome.exit_code == 2:
            ET.SubElement(case, "error", message=f"no verdict: {outcome.reason}")
    return ET.ElementTree(suite)


def write_json(path: Path, document: dict[str, Any]) -> None:
    path.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", "utf-8")


def _version() -> str:
    try:
        return version("grades-contract-kit")
    except PackageNotFoundError:
        return "unknown"
