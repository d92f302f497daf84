"""The printed tables of a run (the JSON file holds every number; the table the headline ones)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bench.targets import Verdict


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A plain-text table, numbers right-aligned (pastes into Markdown as a code block)."""
    cells = [[_cell(v) for v in row] for row in rows]
    widths = [max(len(h), *(len(r[i]) for r in cells)) for i, h in enumerate(headers)]

    def line(values: Sequence[str]) -> str:
        return "  ".join(
            v.rjust(w) if i else v.ljust(w)
            for i, (v, w) in enumerate(zip(values, widths, strict=True))
        )

    rule = ["-" * w for w in widths]
    return "\n".join([line(headers), line(rule), *(line(r) for r in cells)])


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:.2f}"
    return str(value)


def render(results: dict[str, Any], verdicts: list[Verdict]) -> str:
    sections = (_generator, _encoders, _compare, _engines, _scaling, _suite)
    parts = [section(results) for section in sections]
    parts.append(table(["target", "value", "limit", "status"],
                       [(v.target, v.value, v.limit, v.status) for v in verdicts]))  # fmt: skip
    return "\n\n".join(p for p in parts if p)


def _generator(results: dict[str, Any]) -> str:
    g = results.get("generator")
    if not g:
        return ""
    return (
        f"Load generator ceiling (trivial server, {g['body_bytes_per_request']} B answers): "
        f"{g['rps']:,.0f} req/s, {g['client_cpu_us_per_request']} us CPU per request"
    )


def _compare(results: dict[str, Any]) -> str:
    rows = []
    for w in results.get("compare", {}).get("workloads", []):
        m, p = w["mock"], w.get("prism")
        rows.append((
            w["name"], w["mock_path"], m["body_bytes_per_request"], m["rps"], m["p50_ms"],
            m["p99_ms"], p and p["rps"], p and p["p50_ms"], p and p["p99_ms"],
            w.get("rps_ratio"), w.get("p99_ratio"), _same(w),
        ))  # fmt: skip
    headers = ["workload", "mock path", "bytes", "mock req/s", "p50 ms", "p99 ms",
               "Prism req/s", "p50 ms", "p99 ms", "x req/s", "x p99", "same bytes"]  # fmt: skip
    return table(headers, rows) if rows else ""


def _same(row: dict[str, Any]) -> str:
    return "-" if "same_bytes" not in row else "yes" if row["same_bytes"] else "NO"


def _encoders(results: dict[str, Any]) -> str:
    rows = [(r["payload"], r["bytes"], r["orjson_us"], r["json_us"], r["speedup"])
            for r in results.get("encoders", [])]  # fmt: skip
    return table(["payload", "bytes", "orjson us", "json us", "x"], rows) if rows else ""


def _engines(results: dict[str, Any]) -> str:
    rows = [(r["mock"], r["workload"], r["rps"], r["p50_ms"], r["p99_ms"])
            for r in results.get("engines", [])]  # fmt: skip
    return table(["mock", "workload", "req/s", "p50 ms", "p99 ms"], rows) if rows else ""


def _scaling(results: dict[str, Any]) -> str:
    rows = [
        (f"{r['n']:,}", r["startup_s"], r["pss_mb"], r["filtered"]["rps"], r["filtered"]["p50_ms"],
         r["filtered"]["p99_ms"], r["dump"]["mb"], r["dump"]["seconds"], r["dump"]["mb_per_s"],
         r["dump"]["peak_growth_mb"])
        for r in results.get("scaling", [])
    ]  # fmt: skip
    headers = ["records", "start s", "PSS MB", "filtered req/s", "p50 ms", "p99 ms",
               "dump MB", "dump s", "MB/s", "dump +MB"]  # fmt: skip
    return table(headers, rows) if rows else ""


def _suite(results: dict[str, Any]) -> str:
    s = results.get("suite")
    if not s:
        return ""
    rows = [
        ("grades-contract --profile ci", s["ci"]["seconds"], s["ci"]["requests"], None,
         s["ci"]["exit_code"]),
        ("grades-contract --profile fuzz", s["fuzz"]["seconds"], s["fuzz"]["requests"],
         s["fuzz"]["requests_per_s"], s["fuzz"]["exit_codes"]),
        ("st run", s["st_run"]["seconds"], s["st_run"]["requests"], s["st_run"]["requests_per_s"],
         s["st_run"]["exit_codes"]),
    ]  # fmt: skip
    return table(["suite", "wall s", "requests", "req/s", "exit"], rows)
