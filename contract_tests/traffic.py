"""A replayable record of the run's traffic: one JSON line per exchange, token masked.

Schemathesis' own VCR/HAR writers are unusable from its pytest ``from_fixture`` integration
in 4.32.5 (they import ``allure_commons`` unconditionally), so the suite writes its own
record: every request Schemathesis generated and every request of the domain rules, each
with a curl command that replays it.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

import requests

MASK = "***"
BODY_LIMIT = 4096


class TrafficLog:
    """Appends exchanges to ``<report_dir>/traffic[-<worker>].jsonl``."""

    def __init__(self, report_dir: Path, token: str, worker: str | None = None) -> None:
        self.path = report_dir / (f"traffic-{worker}.jsonl" if worker else "traffic.jsonl")
        self._token = token
        self._lock = threading.Lock()

    def record(
        self,
        source: str,
        request: requests.PreparedRequest,
        status: int,
        body: bytes,
        elapsed_ms: float,
        curl: str,
    ) -> None:
        entry: dict[str, Any] = {
            "source": source,
            "method": request.method,
            "url": self._mask(str(request.url)),
            "request_headers": {k: self._mask(str(v)) for k, v in request.headers.items()},
            "status": status,
            "body": self._mask(body[:BODY_LIMIT].decode("utf-8", "replace")),
            "elapsed_ms": round(elapsed_ms, 1),
            "curl": curl,
        }
        line = json.dumps(entry, ensure_ascii=False)
        with self._lock, self.path.open("a", encoding="utf-8") as out:
            out.write(line + "\n")

    def _mask(self, text: str) -> str:
        return text.replace(self._token, MASK)
