"""The suite's own HTTP client for the domain rules: GET and OPTIONS only, token masked.

Schemathesis sends the schema-driven requests; this client sends the ones only the domain
rules know how to choose (values drawn from the unfiltered list, auth variants, a browser
preflight). Its requests go through :func:`contract_tests.health.call_patiently`, which
turns a transport failure, a gateway error or a lasting 429 into :class:`InstanceUnhealthy`
(exit 2, "the instance is sick", never "the contract is broken"); a bad answer becomes a
:class:`ContractViolation` that names the rule and says how to reproduce it with curl.
"""

from __future__ import annotations

import shlex
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any
from urllib.parse import urlencode

import requests

from contract_tests.health import Budget, InstanceUnhealthy, call_patiently, request_line
from contract_tests.options import RunOptions
from contract_tests.traffic import TrafficLog
from spec.loader import GRADES_PATH
from spec.rules import Finding

__all__ = ["ContractViolation", "GradesClient", "InstanceUnhealthy", "json_body", "query_string"]

MASK = "***"
SAFE_METHODS = frozenset({"GET", "OPTIONS"})
"""The only methods the suite sends: it is safe against staging and production."""


class ContractViolation(AssertionError):
    """A response broke a named rule of the contract (exit 1)."""

    def __init__(self, rule: str, detail: str, reproduction: str = "") -> None:
        self.rule = rule
        self.detail = detail
        super().__init__(f"[{rule}] {detail}{reproduction}")


class GradesClient:
    """Requests to the grades path of one instance, with the run's timeout and rate limit."""

    def __init__(
        self,
        options: RunOptions,
        traffic: TrafficLog | None = None,
        *,
        budget: Budget | None = None,
        pace: Callable[[], None] | None = None,
    ) -> None:
        self.options = options
        self.traffic = traffic
        self.budget = budget or Budget(options.request_timeout_s)
        self._pace = pace
        """Waits for a slot under ``--rate-limit``: the limiter Schemathesis' requests share."""
        self._session = requests.Session()

    @property
    def url(self) -> str:
        return self.options.base_url + GRADES_PATH

    def bearer(self) -> str:
        return f"Bearer {self.options.token}"

    def get(
        self,
        params: Mapping[str, str] | None = None,
        *,
        authorization: str | None = "",
        headers: Mapping[str, str] | None = None,
    ) -> requests.Response:
        """GET the grades; ``authorization`` "" means the run's token, ``None`` means none."""
        headers = {"Accept": "application/json", **(headers or {})}
        value = self.bearer() if authorization == "" else authorization
        if value is not None:
            headers["Authorization"] = value
        return self.send("GET", params or {}, headers)

    def preflight(self, origin: str, method: str, request_headers: str) -> requests.Response:
        """What a browser sends before a cross-origin GET with an Authorization header."""
        headers = {
            "Origin": origin,
            "Access-Control-Request-Method": method,
            "Access-Control-Request-Headers": request_headers,
        }
        return self.send("OPTIONS", {}, headers)

    def send(
        self, method: str, params: Mapping[str, str], headers: Mapping[str, str]
    ) -> requests.Response:
        if method not in SAFE_METHODS:
            raise ValueError(f"the contract suite never sends {method}: only GET and OPTIONS")
        url = self.url + query_string(params)
        started = [0.0]  # of the last attempt: Retry-After waits are not the instance's latency

        def attempt(timeout: float) -> requests.Response:
            if self._pace is not None:
                self._pace()
            started[0] = time.perf_counter()
            return self._session.request(
                method,
                self.url,
                params=dict(params),
                headers=dict(headers),
                timeout=timeout,
                allow_redirects=False,
            )

        response = call_patiently(
            attempt, _status_and_retry_after, self.budget, self.mask(request_line(method, url))
        )
        elapsed_ms = (time.perf_counter() - started[0]) * 1000
        if self.traffic is not None:
            self.traffic.record(
                "domain",
                response.request,
                response.status_code,
                response.content,
                elapsed_ms,
                self.curl(response.request),
            )
        self._check_latency(response, elapsed_ms)
        return response

    def violation(
        self, rule: str, detail: str, response: requests.Response | None = None
    ) -> ContractViolation:
        """A failure naming ``rule``, with a masked curl line and the seed to replay the run."""
        lines = []
        if response is not None:
            lines.append(f"Reproduce with:\n    {self.curl(response.request)}")
            lines.append(
                f"Response: HTTP {response.status_code} {self.mask(_snippet(response.text))}"
            )
        lines.append(f"Seed: {self.options.seed} (rerun with --seed {self.options.seed})")
        return ContractViolation(rule, detail, "\n" + "\n".join(lines))

    def enforce(self, findings: Iterable[Finding], response: requests.Response) -> None:
        """Raise the first finding as a violation (counting the others), if there is any."""
        found = list(findings)
        if found:
            more = f" (and {len(found) - 1} more)" if len(found) > 1 else ""
            raise self.violation(found[0].rule, found[0].detail + more, response)

    def curl(self, request: requests.PreparedRequest) -> str:
        """A curl command for ``request`` with the run's token replaced by ``***``."""
        parts = ["curl", "-X", str(request.method)]
        for name, value in request.headers.items():
            if name.lower() in ("accept-encoding", "connection", "user-agent", "accept"):
                continue
            parts += ["-H", f"{name}: {self.mask(str(value))}"]
        parts.append(self.mask(str(request.url)))
        return " ".join(shlex.quote(part) for part in parts)

    def mask(self, text: str) -> str:
        """``text`` with every occurrence of the run's token replaced by ``***``."""
        return text.replace(self.options.token, MASK)

    def _check_latency(self, response: requests.Response, elapsed_ms: float) -> None:
        budget = self.options.max_response_ms
        if budget is not None and elapsed_ms > budget:
            raise self.violation(
                "latency-budget",
                f"the answer took {elapsed_ms:.0f} ms, over the --max-response-ms "
                f"budget of {budget:.0f} ms",
                response,
            )


def json_body(response: requests.Response) -> Any:
    """The decoded JSON body, or ``None`` when it is not JSON (the rules then say so)."""
    try:
        return response.json()
    except ValueError:
        return None


def query_string(params: Mapping[str, Any]) -> str:
    """``?a=b`` for messages (empty when there are no parameters)."""
    return "?" + urlencode(params) if params else ""


def _status_and_retry_after(response: requests.Response) -> tuple[int, str | None]:
    return response.status_code, response.headers.get("Retry-After")


def _snippet(text: str, limit: int = 300) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[:limit] + "..."
