"""The suite's own HTTP client for the domain rules: GET and OPTIONS only, token masked.

Schemathesis sends the schema-driven requests; this client sends the ones only the domain
rules know how to choose (values drawn from the unfiltered list, auth variants, a browser
preflight). Its requests go through the run's session (:mod:`contract_tests.transport`), which
turns a transport failure, a gateway error or a lasting 429 into :class:`InstanceUnhealthy`
(exit 2, "the instance is sick", never "the contract is broken"); a bad answer becomes a
:class:`ContractViolation` carrying its findings and how to reproduce them with curl.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any
from urllib.parse import urlencode

import requests

from grades_kit.contract.loader import GRADES_PATH
from grades_kit.contract.registry import Finding, Rule, rule
from grades_kit.contract_tests.health import Budget, InstanceUnhealthy
from grades_kit.contract_tests.options import RunOptions
from grades_kit.contract_tests.redact import MASK, curl, mask_token
from grades_kit.contract_tests.transport import last_attempt_ms, polite_session
from grades_kit.contract_tests.violation import ContractViolation

__all__ = [
    "MASK",
    "ContractViolation",
    "GradesClient",
    "InstanceUnhealthy",
    "json_body",
    "query_string",
]

SAFE_METHODS = frozenset({"GET", "OPTIONS"})
"""The only methods the suite sends: it is safe against staging and production."""


class GradesClient:
    """Requests to the grades path of one instance, through the run's polite session."""

    def __init__(self, options: RunOptions, session: requests.Session | None = None) -> None:
        self.options = options
        self._session = session or polite_session(Budget(options.request_timeout_s), options.token)
        """Pacing, timeouts, ``Retry-After`` and the traffic record: see :mod:`transport`."""

    @property
    def url(self) -> str:
        return self.options.base_url + GRADES_PATH

    def bearer(self) -> str:
        return f"Bearer {self.options.token}"

    def get(
        self,
        params: Mapping[str, str] | str | None = None,
        *,
        authorization: str | None = "",
        headers: Mapping[str, str] | None = None,
    ) -> requests.Response:
        """GET the grades; ``authorization`` "" means the run's token, ``None`` means none.

        ``params`` as a string is sent as the query string exactly as written (a raw ``+``).
        """
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
        self, method: str, params: Mapping[str, str] | str, headers: Mapping[str, str]
    ) -> requests.Response:
        if method not in SAFE_METHODS:
            raise ValueError(f"the contract suite never sends {method}: only GET and OPTIONS")
        response = self._session.request(
            method,
            self.url,
            params=params if isinstance(params, str) else dict(params),
            headers=dict(headers),
            allow_redirects=False,
        )
        self._check_latency(response, last_attempt_ms(response))
        return response

    def violation(
        self, broken: Rule, detail: str, response: requests.Response | None = None
    ) -> ContractViolation:
        """A failure of the rule ``broken``, with a masked curl line and the replay seed."""
        return self.violations([Finding(broken, detail)], response)

    def violations(
        self, findings: Sequence[Finding], response: requests.Response | None = None
    ) -> ContractViolation:
        """A failure carrying ``findings``, with a masked curl line and the replay seed."""
        lines, command = [], ""
        if response is not None:
            command = self.curl(response.request)
            lines.append(f"Reproduce with:\n    {command}")
            lines.append(
                f"Response: HTTP {response.status_code} {self.mask(_snippet(response.text))}"
            )
        lines.append(f"Seed: {self.options.seed} (rerun with --seed {self.options.seed})")
        return ContractViolation(findings, "\n" + "\n".join(lines), command)

    def enforce(self, findings: Iterable[Finding], response: requests.Response) -> None:
        """Raise the findings as one violation, if there are any."""
        found = list(findings)
        if found:
            raise self.violations(found, response)

    def curl(self, request: requests.PreparedRequest) -> str:
        """A curl command for ``request`` with the run's token replaced by ``***``."""
        return curl(str(request.method), str(request.url), request.headers, self.options.token)

    def mask(self, text: str) -> str:
        """``text`` with every occurrence of the run's token replaced by ``***``."""
        return mask_token(text, self.options.token)

    def _check_latency(self, response: requests.Response, elapsed_ms: float) -> None:
        budget = self.options.max_response_ms
        if budget is not None and elapsed_ms > budget:
            raise self.violation(
                rule("latency-budget"),
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


def query_string(params: Mapping[str, Any] | str) -> str:
    """``?a=b`` for messages (empty when there are no parameters); a string is kept as is."""
    if isinstance(params, str):
        return "?" + params if params else ""
    return "?" + urlencode(params) if params else ""


def _snippet(text: str, limit: int = 300) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[:limit] + "..."
