"""The run's traffic record: HAR 1.2 (``traffic.har``), which browsers' devtools and HTTP
tools open, safe to upload as a CI artifact.

Every request of the run passes through :class:`contract_tests.transport.PoliteAdapter`,
which records every attempt here, the ``429``/``503`` answers it waited out included (their
``Retry-After`` is in the response headers, the wait in the next attempt's
``timings.blocked``). The token is always masked; emails and usernames become the run's
pseudonyms (:class:`grades_kit.contract.redaction.Pseudonyms`), in URLs, headers and bodies
alike, unless ``--record-bodies`` asks for real values: that file replays a failure exactly,
and is for the local machine only.

Schemathesis' own VCR/HAR writers are unusable from its pytest ``from_fixture`` integration
in 4.32.5 (they import ``allure_commons`` unconditionally), hence this writer.
"""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, timedelta
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import requests

from grades_kit.contract.redaction import Pseudonyms
from grades_kit.contract_tests.redact import mask_token

BODY_LIMIT = 4096
FORMAT = "HAR 1.2"


class TrafficLog:
    """Collects exchanges and writes ``<report_dir>/traffic[-<worker>].har`` on :meth:`close`."""

    def __init__(
        self,
        report_dir: Path,
        token: str,
        people: Pseudonyms | None,
        worker: str | None = None,
    ) -> None:
        self.path = report_dir / (f"traffic-{worker}.har" if worker else "traffic.har")
        self._token = token
        self._people = people
        """``None``: real values (``--record-bodies``)."""
        self._entries: list[dict[str, Any]] = []
        self._lock = threading.Lock()

    def record(
        self,
        source: str,
        request: requests.PreparedRequest,
        response: requests.Response,
        elapsed_ms: float,
        blocked_ms: float = 0.0,
    ) -> None:
        """One HAR entry for one attempt (``blocked_ms``: the Retry-After wait before it)."""
        url = self._text(str(request.url), url=True)
        body = response.content.decode("utf-8", "replace")
        if self._people is not None:  # the whole body: a cut JSON document would not parse
            body = self._people.body(body)
        started = datetime.now(UTC) - timedelta(milliseconds=elapsed_ms)
        entry = {
            "startedDateTime": started.isoformat(),
            "time": round(blocked_ms + elapsed_ms, 1),
            "request": {
                "method": str(request.method),
                "url": url,
                "httpVersion": "HTTP/1.1",
                "cookies": [],
                "headers": self._headers(request.headers.items()),
                "queryString": [
                    {"name": k, "value": v} for k, v in parse_qsl(urlsplit(url).query, True)
                ],
                "headersSize": -1,
                "bodySize": 0,
            },
            "response": {
                "status": response.status_code,
                "statusText": str(response.reason or ""),
                "httpVersion": "HTTP/1.1",
                "cookies": [],
                "headers": self._headers(response.headers.items()),
                "content": {
                    "size": len(response.content),
                    "mimeType": response.headers.get("Content-Type", ""),
                    "text": mask_token(body[:BODY_LIMIT], self._token),
                },
                "redirectURL": "",
                "headersSize": -1,
                "bodySize": len(response.content),
            },
            "cache": {},
            "timings": {"blocked": round(blocked_ms, 1), "send": 0, "wait": round(elapsed_ms, 1)},
            "comment": source,
        }
        with self._lock:
            self._entries.append(entry)

    def close(self) -> None:
        """Write the HAR document (entries in the order they were sent)."""
        with self._lock:
            entries = sorted(self._entries, key=lambda e: str(e["startedDateTime"]))
        document = {
            "log": {
                "version": "1.2",
                "creator": {"name": "grades-contract", "version": _version()},
                "entries": entries,
            }
        }
        self.path.write_text(json.dumps(document, ensure_ascii=False, indent=1), "utf-8")

    def _headers(self, items: Any) -> list[dict[str, str]]:
        return [{"name": str(k), "value": self._text(str(v))} for k, v in items]

    def _text(self, text: str, url: bool = False) -> str:
        masked = mask_token(text, self._token)
        if self._people is None:
            return masked
        return self._people.url(masked) if url else self._people.text(masked)


def _version() -> str:
    try:
        return version("grades-contract-kit")
    except PackageNotFoundError:
        return "unknown"
