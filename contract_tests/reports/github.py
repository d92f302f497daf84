"""What a GitHub Actions page shows natively: the job summary and one annotation per rule.

With ``GITHUB_STEP_SUMMARY`` set, a Markdown summary is appended to that file (kept under
:data:`SUMMARY_LIMIT`, far below GitHub's 1 MiB); with ``GITHUB_ACTIONS=true``, each rule
prints one ``::error``/``::warning`` workflow command pointing at the spec line it enforces.
"""

from __future__ import annotations

from pathlib import Path

from grades_kit.contract_tests.reports.outcome import Outcome

SUMMARY_LIMIT = 64 * 1024
"""Bytes of Markdown at most (GitHub takes up to 1 MiB per step)."""
ICONS = {"pass": "✅", "fail": "❌", "no verdict": "⚠️"}


def summary_markdown(outcome: Outcome) -> str:
    lines = [
        f"## {ICONS[outcome.verdict]} grades-contract: {outcome.verdict}",
        "",
        f"Profile `{outcome.profile}`, seed `{outcome.seed}` "
        f"(replay with `--seed {outcome.seed}`).",
        "",
        f"Coverage: {outcome.coverage_line()}.",
    ]
    if outcome.reason:
        lines += ["", f"No verdict: {outcome.reason}"]
    if outcome.findings:
        lines += [
            "",
            "| Rule | Severity | Count | Baseline | Reproduction |",
            "|---|---|---|---|---|",
        ]
        lines += [
            f"| `{f.rule}` ([spec]({f.file}#L{f.line})) | {f.severity} | {f.count} | "
            f"{f.status} | `{_cell(f.reproduction)}` |"
            for f in outcome.findings
        ]
    if outcome.stale:
        lines += ["", "Remove from baseline (not seen in this run):", ""]
        lines += [f"- `{e.rule}` `{e.fingerprint}` (owner {e.owner})" for e in outcome.stale]
    text = "\n".join(lines) + "\n"
    if len(text.encode()) > SUMMARY_LIMIT:
        text = text.encode()[: SUMMARY_LIMIT - 100].decode("utf-8", "ignore")
        text += "\n\n… (cut: the verdict JSON has every rule)\n"
    return text


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("`", "'")


def append_summary(path: Path, outcome: Outcome) -> None:
    with path.open("a", encoding="utf-8") as out:
        out.write(summary_markdown(outcome))


def workflow_commands(outcome: Outcome) -> list[str]:
    """One workflow command per rule that fails the run (known ones are notices)."""
    commands = []
    for f in outcome.findings:
        level = "notice" if not f.fails else f.severity
        message = f"[{f.rule}] {f.count}x ({f.status}): {f.reason}"
        commands.append(
            f"::{level} file={f.file},line={f.line},title={_property(f.title)}::{_data(message)}"
        )
    return commands


def _data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _property(text: str) -> str:
    return _data(text).replace(":", "%3A").replace(",", "%2C")
