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
    sections = (_generator, _encoders, _compare, _generators, _slow, _engines, _scaling, _suite)
    parts = [section(results) for section in sections]
    parts.append(table(["target", "value", "limit", "status"],
                       [(v.target, v.value, v.limit, v.status) for v in verdicts]))  # fmt: skip
    return "\n\n".join(p for p in parts if p)


def _generator(results: dict[str, Any]) -> str:
    g = results.get("generator")
    if not g:
        return ""
    return (
        f"Python load generator ceiling (trivial server, {g['body_bytes_per_request']} B "
        f"answers): {g['rps']:,.0f} req/s, {g['client_cpu_us_per_request']} us CPU per request"
    )


def _latency(row: dict[str, Any] | None) -> tuple[Any, ...]:
    if not row:
        return (None, None, None, None)
    return (row["rps"], row["p50_ms"], row["p99_ms"], row["p999_ms"])


def _compare(results: dict[str, Any]) -> str:
    rows = []
    for w in results.get("compare", {}).get("workloads", []):
        rows.append((
            w["connections"], w["name"], w["mock_path"], w["bytes"], *_latency(w["mock"]),
            *_latency(w.get("prism")), w.get("rps_ratio"), w.get("p99_ratio"), _same(w),
        ))  # fmt: skip
    headers = ["c", "workload", "mock path", "bytes", "mock req/s", "p50 ms", "p99 ms",
               "p99.9 ms", "Prism req/s", "p50 ms", "p99 ms", "p99.9 ms", "x req/s", "x p99",
               "same bytes"]  # fmt: skip
    return table(headers, rows) if rows else ""


def _generators(results: dict[str, Any]) -> str:
    rows = [(r["generator"], r["connections"], r["workload"], *_latency(r))
            for r in results.get("compare", {}).get("generators", [])]  # fmt: skip
    headers = ["generator (same mock)", "c", "workload", "req/s", "p50 ms", "p99 ms", "p99.9 ms"]
    return table(headers, rows) if rows else ""


def _slow(results: dict[str, Any]) -> str:
    s = results.get("slow")
    if not s:
        return ""
    rows = [
        ("varied filtered queries, alone", s["connections"], *_latency(s["alone"]),
         s["alone"]["errors"]),
        (f"the same, beside {s['in_flight']} x delay={s['delay_ms']}", s["connections"],
         *_latency(s["beside_slow"]), s["beside_slow"]["errors"]),
        (f"the {s['in_flight']} delayed requests", s["in_flight"], *_latency(s["slow"]),
         s["slow"]["errors"]),
    ]  # fmt: skip
    headers = ["slow answers in flight", "c", "req/s", "p50 ms", "p99 ms", "p99.9 ms", "errors"]
    return table(headers, rows)


def _same(row: dict[str, Any]) -> str:
    return "-" if "same_bytes" not in row else "yes" if row["same_bytes"] else "NO"


def _encoders(results: dict[str, Any]) -> str:
    rows = [(r["payload"], r["bytes"], r["orjson_us"], r["json_us"], r["speedup"])
            for r in results.get("encoders", [])]  # fmt: skip
    return table(["payload", "bytes", "orjson us", "json us", "x"], rows) if rows else ""


def _engines(results: dict[str, Any]) -> str:
    rows = [(r["mock"], r["workload"], r["connections"], *_latency(r))
            for r in results.get("engines", [])]  # fmt: skip
    headers = ["mock", "workload", "c", "req/s", "p50 ms", "p99 ms", "p99.9 ms"]
    return table(headers, rows) if rows else ""


def _scaling(results: dict[str, Any]) -> str:
    rows = [
        (f"{r['n']:,}", r["startup_s"], r["pss_mb"], *_latency(r["filtered"]), r["dump"]["mb"],
         r["dump"]["seconds"], r["dump"]["mb_per_s"], r["dump"]["peak_growth_mb"])
        for r in results.get("scaling", [])
    ]  # fmt: skip
    headers = ["records", "start s", "PSS MB", "filtered req/s", "p50 ms", "p99 ms", "p99.9 ms",
               "dump MB", "dump s", "MB/s", "dump +MB"]  # fmt: skip
    return table(headers, rows) if rows else ""


def _suite(results: dict[str, Any]) -> str:
    s = results.get("suite")
    if not s:
        return ""
    ci = s["ci"]
    rows = [("grades-contract --profile ci", ci["seconds"], ci["requests"], ci["exit_code"])]
    return table(["suite", "wall s", "requests", "exit"], rows)
