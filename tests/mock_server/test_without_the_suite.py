"""The mock and the proxy need none of the contract suite's packages, so an install without
them (``make run``, once the suite's dependencies are an extra) serves."""

from __future__ import annotations

import subprocess
import sys

SUITE_ONLY = ("schemathesis", "hypothesis", "pytest", "xdist", "_pytest")

SCRIPT = f"""
import importlib.abc, sys

class Refuse(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in {SUITE_ONLY!r}:
            raise ImportError(f"{{name}} is the contract suite's, not the mock's")
        return None

sys.meta_path.insert(0, Refuse())
from grades_kit.mock_server import create_app
from grades_kit.mock_server.mock_cli import build_parser
from grades_kit.proxy.proxy_cli import build_parser as proxy_parser
from grades_kit.proxy.forwarding import ValidatingProxy, ProxyConfig
ValidatingProxy(ProxyConfig("http://127.0.0.1:9"))
client = create_app().test_client()
answer = client.get("/api/so2/v1/grades", headers={{"Authorization": "Bearer local-dev-token"}})
print(answer.status_code, len(answer.get_json()))
"""


def test_the_mock_and_the_proxy_import_and_serve_without_the_suite() -> None:
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split() == ["200", "166"]
