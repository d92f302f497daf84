"""Which WSGI server should ``grades-mock`` use? gunicorn (gthread) vs waitress, measured.

    .venv/bin/pip install waitress          # for this measurement only
    .venv/bin/python bench/wsgi_servers.py  # ~70 s, loopback only

All serve the same app (``create_app()``, bundled fixtures) with 16 threads per process;
gunicorn also with 2 worker processes (waitress has no multi-process mode). Rounds
alternate A B A B so machine drift cancels out; each round runs a fixed
time with CONCURRENCY keep-alive client threads on two requests: a filtered list (small
body) and the full list (43 KB). Prints req/s, p50 and p99 per server and request, as the
median over rounds. Compare the ratios within one run, not the absolute numbers.
"""

from __future__ import annotations

import http.client
import os
import signal
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.servers import free_port  # noqa: E402

SERVERS = ("gunicorn", "waitress", "gunicorn x2")
"""gunicorn with 1 worker (the default) and 2 workers (one per CPU here); waitress: 1 process."""
ROUNDS = 3
ROUND_S = 3.0
CONCURRENCY = 8
AUTH = {"Authorization": "Bearer local-dev-token"}
REQUESTS = {
    "filtered": "/api/so2/v1/grades?username=johndoe",
    "full list": "/api/so2/v1/grades",
}
WAITRESS = (
    "import sys, waitress; from mock_server import create_app;"
    "waitress.serve(create_app(), host='127.0.0.1', port=int(sys.argv[1]), threads=16,"
    " _quiet=True)"
)


def start(server: str, port: int) -> subprocess.Popen[bytes]:
    if server.startswith("gunicorn"):
        workers = "2" if server.endswith("x2") else "1"
        cli = str(Path(sys.executable).with_name("grades-mock"))
        command = [cli, "--port", str(port), "--workers", workers]
    else:
        command = [sys.executable, "-c", WAITRESS, str(port)]
    quiet = subprocess.DEVNULL
    process = subprocess.Popen(command, stdout=quiet, stderr=quiet, cwd=ROOT)
    for _ in range(100):
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
            connection.request("GET", "/healthz")
            connection.getresponse().read()
            return process
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise SystemExit(f"{server} did not start")


def load(port: int, path: str, seconds: float) -> tuple[float, list[float]]:
    """Requests per second and every latency (s), from CONCURRENCY keep-alive clients."""
    latencies: list[float] = []
    lock = threading.Lock()
    deadline = time.perf_counter() + seconds

    def client() -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        mine: list[float] = []
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            connection.request("GET", path, headers=AUTH)
            response = connection.getresponse()
            response.read()
            assert response.status == 200, response.status
            mine.append(time.perf_counter() - started)
        connection.close()
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=client) for _ in range(CONCURRENCY)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return len(latencies) / seconds, latencies


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def measure(server: str, results: dict[tuple[str, str], list[tuple[float, float, float]]]) -> None:
    port = free_port()
    process = start(server, port)
    try:
        for name, path in REQUESTS.items():
            load(port, path, 0.5)  # warm-up
            rate, latencies = load(port, path, ROUND_S)
            row = (rate, percentile(latencies, 0.5) * 1000, percentile(latencies, 0.99) * 1000)
            results.setdefault((server, name), []).append(row)
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)


def main() -> int:
    results: dict[tuple[str, str], list[tuple[float, float, float]]] = {}
    order: list[str] = []
    for round_number in range(ROUNDS):
        order = list(SERVERS) if round_number % 2 == 0 else list(reversed(SERVERS))
        for server in order:
            measure(server, results)
    median: Callable[[list[float]], float] = statistics.median
    print(f"{ROUNDS} alternating rounds x {ROUND_S:.0f} s, {CONCURRENCY} keep-alive clients, "
          f"{os.cpu_count()} CPUs, loopback; medians over rounds")  # fmt: skip
    print(f"| {'server':11} | {'request':9} | {'req/s':>7} | {'p50 ms':>6} | {'p99 ms':>6} |")
    print("|-------------|-----------|---------|--------|--------|")
    for (server, name), rows in sorted(results.items(), key=lambda item: item[0][::-1]):
        rate, p50, p99 = (median([row[i] for row in rows]) for i in range(3))
        print(f"| {server:11} | {name:9} | {rate:7.0f} | {p50:6.2f} | {p99:6.2f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
