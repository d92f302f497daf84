"""The benchmark harness keeps working: its generator counts right, its verdicts are right,
and its quick mode measures a real mock (and Prism, where installed) end to end."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from werkzeug.wrappers import Request as WsgiRequest
from werkzeug.wrappers import Response as WsgiResponse

from bench.cli import main
from bench.compare import ENGINE_CONFIGS, TRIVIAL_WSGI, engines
from bench.loadgen import Request, percentile_ms, run_load
from bench.plan import QUICK
from bench.servers import PRISM, ROOT
from bench.targets import judge
from spec.loader import load_contract
from tests.servers import serve_in_thread

STATUSES = {"PASS", "MISS", "n/a"}


@WsgiRequest.application
def tiny_app(request: WsgiRequest) -> WsgiResponse:
    status = 401 if request.path == "/denied" else 200
    return WsgiResponse(b"x" * 100, status=status, content_type="application/json")


def test_percentile_is_nearest_rank() -> None:
    latencies = [n * 1_000_000 for n in range(1, 101)]  # 1..100 ms
    assert percentile_ms(latencies, 0.5) == 50.0
    assert percentile_ms(latencies, 0.99) == 99.0
    assert percentile_ms(latencies, 1.0) == 100.0


def test_generator_counts_requests_bytes_and_unexpected_statuses() -> None:
    with serve_in_thread(tiny_app) as url:
        port = int(url.rsplit(":", 1)[1])
        ok = run_load("127.0.0.1", port, [Request("/")], connections=2, seconds=0.3)
        denied = run_load("127.0.0.1", port, [Request("/denied")], connections=2, seconds=0.3)
    assert ok.requests > 10 and ok.errors == 0
    assert ok.body_bytes == 100 * ok.requests
    assert denied.requests > 10 and denied.errors == denied.requests
    assert denied.first_error == "status 401, expected 200"


def test_generator_reports_a_refused_connection() -> None:
    from tests.servers import free_port

    with pytest.raises(OSError):
        run_load("127.0.0.1", free_port(), [Request("/")], connections=1, seconds=0.1)


def _results(rps_ratio: float, p99_small: float, p99_large: float) -> dict[str, Any]:
    row = {"rps_ratio": rps_ratio, "p99_ratio": 0.5}
    scaled = {"startup_s": 9.0, "pss_mb": 700.0, "dump": {"peak_growth_mb": 1.0}}
    return {
        "compare": {"workloads": [row]},
        "scaling": [
            {"n": 1_000, "filtered": {"p99_ms": p99_small}},
            {"n": 1_000_000, "filtered": {"p99_ms": p99_large}, **scaled},
        ],
    }


def test_verdicts_follow_the_issue_targets() -> None:
    verdicts = {v.target: v.status for v in judge(_results(2.5, 10.0, 14.0))}
    assert verdicts["mock/Prism req/s, worst workload"] == "PASS"
    assert verdicts["mock/Prism p99, worst workload"] == "PASS"
    assert verdicts["filtered p99 at 1M / at 1k"] == "PASS"
    assert verdicts["1M start-up to first 200 (s)"] == "PASS"
    assert verdicts["1M memory, PSS of all processes (MB)"] == "MISS"
    assert verdicts["fuzz profile / st run, requests/s"] == "n/a"
    missed = {v.target for v in judge(_results(1.5, 10.0, 16.0)) if v.status == "MISS"}
    assert {"mock/Prism req/s, worst workload", "filtered p99 at 1M / at 1k"} <= missed


def test_bad_flag_is_one_line_and_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--quick", "--skip", "everything"]) == 2
    err = capsys.readouterr().err.strip()
    assert err == "bench: error: --skip: unknown section(s) everything"


def _quick(tmp_path: Path, *flags: str) -> dict[str, Any]:
    output = tmp_path / "results.json"
    done = subprocess.run(
        [sys.executable, "-m", "bench", "--quick", "--output", str(output), *flags],
        cwd=ROOT, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    assert "status" in done.stdout  # the targets table was printed
    results: dict[str, Any] = json.loads(output.read_text(encoding="utf-8"))
    assert {t["status"] for t in results["targets"]} <= STATUSES
    return results


@pytest.mark.slow
def test_quick_mode_measures_the_mock(tmp_path: Path) -> None:
    results = _quick(tmp_path, "--no-prism")
    assert results["generator"]["rps"] > 1000 and results["generator"]["errors"] == 0
    assert {r["payload"] for r in results["encoders"]} and all(
        r["orjson_us"] > 0 for r in results["encoders"]
    )
    (listing,) = results["compare"]["workloads"]
    assert listing["mock"]["rps"] > 0 and listing["mock"]["errors"] == 0
    (size,) = results["scaling"]
    assert size["n"] == 1000 and size["startup_s"] > 0 and size["pss_mb"] > 0
    assert size["filtered"]["requests"] > 0 and size["filtered"]["errors"] == 0
    assert size["dump"]["mb"] > 0


@pytest.mark.slow
def test_quick_mode_compares_with_prism(tmp_path: Path) -> None:
    if not PRISM.exists():
        pytest.skip("Prism not installed (run `make bench` once; CI installs it via npm ci)")
    results = _quick(tmp_path, "--prism", "--skip", "generator,encoders,scaling")
    pairs = [r for r in results["compare"]["workloads"] if "prism" in r]
    assert len(pairs) >= 4  # every named 200 example, and the 401 path
    for row in pairs:
        assert row["same_bytes"], row["name"]
        assert row["mock"]["errors"] == 0 and row["prism"]["errors"] == 0, row["name"]
        assert row["rps_ratio"] > 0
    statuses = {t["target"]: t["status"] for t in results["targets"]}
    assert statuses["mock/Prism req/s, worst workload"] in {"PASS", "MISS"}


@pytest.mark.slow
def test_engines_section_measures_every_configuration_and_ceiling() -> None:
    """Quick mode skips it (eight servers); run it here with the quick plan's short loads."""
    rows = engines(QUICK, load_contract())
    assert [r["mock"] for r in rows] == [*ENGINE_CONFIGS, *TRIVIAL_WSGI]
    for row in rows:
        assert row["requests"] > 0 and row["errors"] == 0, row


@pytest.mark.slow
def test_store_layout_script_compares_the_three_layouts() -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "store_layout.py"), "3000"],
        capture_output=True, text=True, timeout=120, check=True,
    )  # fmt: skip
    rows = {line[:18].strip(): line[18:].split() for line in done.stdout.splitlines()[2:]}
    assert set(rows) == {"dicts + lists", "bytes per record", "buffer + arrays"}
    held = {name: float(values[0]) for name, values in rows.items()}
    assert held["buffer + arrays"] < held["dicts + lists"]  # the reason for the layout
