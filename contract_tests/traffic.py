"""The run's traffic record: JSON Lines, one exchange a line, safe to upload as a CI artifact.

Every request of the run passes through :class:`contract_tests.transport.PoliteAdapter`,
which records it here: method, URL, request headers, status, body, time and a curl command
that replays it. The token is always masked; emails and usernames are replaced by stable
pseudonyms (``learner-N``, the same person the same ``N`` within a file, in URLs and bodies
alike), unless ``--record-bodies`` asks for raw bodies for local debugging.

Schemathesis' own VCR/HAR writers are unusable from its pytest ``from_fixture`` integration
in 4.32.5 (they import ``allure_commons`` unconditionally), hence this plain format: it is
JSON Lines, not a VCR cassette, and says so in ``--help`` and in the run's output.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

import requests

from grades_kit.contract_tests.redact import Pseudonyms, curl, mask_token

BODY_LIMIT = 4096
FORMAT = "JSON Lines"


class TrafficLog:
    """Appends exchanges to ``<report_dir>/traffic[-<worker>].jsonl``."""

    def __init__(
        self, report_dir: Path, token: str, worker: str | None = None, raw_bodies: bool = False
    ) -> None:
        self.path = report_dir / (f"traffic-{worker}.jsonl" if worker else "traffic.jsonl")
        self._token = token
        self._people = None if raw_bodies else Pseudonyms()
        self._lock = threading.Lock()

    @property
    def masking(self) -> str:
        return "token masked" if self._people is None else "token, emails and usernames masked"

    def record(
        self,
        source: str,
        request: requests.PreparedRequest,
        response: requests.Response,
        elapsed_ms: float,
    ) -> None:
        url = self._url(str(request.url))
        headers = {k: mask_token(str(v), self._token) for k, v in request.headers.items()}
        body = response.content.decode("utf-8", "replace")
        if self._people is not None:  # the whole body: a cut JSON document would not parse
            body = self._people.body(body)
        entry: dict[str, Any] = {
            "source": source,
            "method": request.method,
            "url": url,
            "request_headers": headers,
            "status": response.status_code,
            "body": mask_token(body[:BODY_LIMIT], self._token),
            "elapsed_ms": round(elapsed_ms, 1),
            "curl": curl(str(request.method), url, headers, self._token),
        }
        line = json.dumps(entry, ensure_ascii=False)
        with self._lock, self.path.open("a", encoding="utf-8") as out:
            out.write(line + "\n")

    def _url(self, url: str) -> str:
        masked = mask_token(url, self._token)
        return masked if self._people is None else self._people.url(masked)
