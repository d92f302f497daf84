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

from bench import in_process
from bench.cli import main
from bench.compare import ENGINE_CONFIGS, TRIVIAL_WSGI, engines
from bench.loadgen import Request, percentile_ms, run_load
from bench.plan import QUICK
from bench.servers import PRISM, ROOT
from bench.targets import judge
from bench.wrk import WRK, lua_script, run_wrk
from grades_kit.contract.loader import GRADES_PATH, load_contract
from tests.serve_in_thread import serve_in_thread

pytestmark = pytest.mark.xdist_group("bench")  # two measurements never compete for a core

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
    from tests.serve_in_thread import free_port

    with pytest.raises(OSError):
        run_load("127.0.0.1", free_port(), [Request("/")], connections=1, seconds=0.1)


def _results(rps_ratio: float, p99_small: float, p99_large: float) -> dict[str, Any]:
    def pair(c: int, p99_ms: float) -> dict[str, Any]:
        return {"name": "example all", "connections": c, "rps_ratio": rps_ratio,
                "p99_ratio": 0.5, "same_bytes": True, "mock": {"p99_ms": p99_ms}}  # fmt: skip

    varied = {"name": "varied filtered queries", "connections": 8, "mock": {"p99_ms": 3.0}}
    slow = {"in_flight": 10, "beside_slow": {"p99_ms": 12.0, "errors": 0}, "slow": {"errors": 0}}
    scaled = {"startup_s": 9.0, "pss_mb": 700.0, "dump": {"peak_growth_mb": 1.0}}
    return {
        "compare": {"workloads": [pair(8, 2.0), pair(32, 6.0), varied]},
        "slow": slow,
        "scaling": [
            {"n": 1_000, "filtered": {"p99_ms": p99_small}},
            {"n": 1_000_000, "filtered": {"p99_ms": p99_large}, **scaled},
        ],
    }


def test_verdicts_follow_the_issue_targets() -> None:
    verdicts = {v.target: v.status for v in judge(_results(3.5, 10.0, 14.0))}
    expected = {
        "c8: mock/Prism req/s, worst workload": "PASS",
        "c32: mock/Prism req/s, worst workload": "PASS",
        "c8: mock p99 ms, worst workload": "PASS",
        "c32: mock p99 ms, worst workload": "MISS",
        "c8: mock p99 / Prism p99, worst workload": "PASS",
        "c8: varied filtered queries, p99 ms": "PASS",
        "pairs whose bodies differ": "PASS",
        "beside 10 slow answers: others' p99 ms": "MISS",
        "beside 10 slow answers: errors": "PASS",
        "filtered p99 at 1M / at 1k": "PASS",
        "1M start-up to first 200 (s)": "PASS",
        "1M memory, PSS of all processes (MB)": "MISS",
    }
    assert {target: verdicts[target] for target in expected} == expected
    missed = {v.target for v in judge(_results(2.5, 10.0, 16.0)) if v.status == "MISS"}
    assert {"c8: mock/Prism req/s, worst workload", "filtered p99 at 1M / at 1k"} <= missed


def test_wrk_script_cycles_every_request_and_checks_a_non_200_status() -> None:
    requests = [Request("/a", (("Authorization", "Bearer t"),)), Request("/b")]
    script = lua_script(requests)
    assert script.count("wrk.format(") == 2 and "response = function" not in script
    assert '["Authorization"] = "Bearer t"' in script
    assert "status ~= 401" in lua_script([Request("/", (), expect_status=401)])


def test_wrk_measures_statuses_and_percentiles() -> None:
    if not Path(WRK).exists():
        pytest.skip("wrk not installed (apt-get install wrk)")
    with serve_in_thread(tiny_app) as url:
        port = int(url.rsplit(":", 1)[1])
        ok = run_wrk("127.0.0.1", port, [Request("/")], connections=2, seconds=1)
        denied = run_wrk("127.0.0.1", port, [Request("/denied", (), 401)], 2, 1)
        wrong = run_wrk("127.0.0.1", port, [Request("/", (), 401)], 2, 1)
    assert ok.requests > 10 and ok.errors == 0 and denied.errors == 0
    assert wrong.errors == wrong.requests
    p = ok.percentiles_ms
    assert 0 < p["p50_ms"] <= p["p99_ms"] <= p["p999_ms"] <= p["max_ms"]
    assert ok.summary()["p999_ms"] == round(p["p999_ms"], 3)
    worst = {k: max(v, wrong.percentiles_ms[k]) for k, v in ok.percentiles_ms.items()}
    ok.merge(wrong)
    assert ok.errors == wrong.requests and ok.percentiles_ms == worst  # the worst round's


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
    assert {r["name"] for r in results["compare"]["workloads"]} == {
        "varied filtered queries", "bundled list, unfiltered"}  # fmt: skip
    for row in results["compare"]["workloads"]:
        assert row["mock"]["rps"] > 0 and row["mock"]["errors"] == 0, row
    slow = results["slow"]
    assert slow["beside_slow"]["requests"] > 0 and slow["beside_slow"]["errors"] == 0
    assert slow["slow"]["errors"] == 0 and slow["slow"]["p50_ms"] >= QUICK.slow_delay_ms
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
    assert statuses["c4: mock/Prism req/s, worst workload"] in {"PASS", "MISS"}
    assert statuses["pairs whose bodies differ"] == "PASS"


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


@pytest.mark.slow
def test_in_process_measures_the_rsgi_front_of_this_checkout(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """``python -m bench.in_process``: a row per workload, in microseconds per request (its
    child also checks that every answer was the 200 or 401 the workload expects)."""
    assert in_process.main(["--requests", "300", "--repeats", "1"]) == 0
    rows = [line for line in capsys.readouterr().out.splitlines() if line.startswith("| ")]
    assert len(rows) == 1 + len(in_process.workloads(GRADES_PATH))
    assert all(float(row.split("|")[2]) > 0 for row in rows[1:])


def test_a_commit_git_cannot_check_out_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert in_process.main(["--rev", "no-such-commit", "--repeats", "1"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("bench.in_process: cannot check out 'no-such-commit'")
    assert len(err.strip().splitlines()) == 1
