"""The one road every request of a run takes: a ``requests`` Session with a polite adapter.

The preflight, the suite's own client and every request Schemathesis generates
(``case.call(session=...)``, and the probes its checks send on their own) use a session
from :func:`polite_session`, so each one gets the same ``--rate-limit`` pacing, the same
per-request timeout capped by ``--max-duration``, the same ``Retry-After`` handling and the
same words for a sick instance (:func:`contract_tests.health.call_patiently`), and lands in
the same traffic record.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from schemathesis.core.rate_limit import build_limiter, ratelimit
from schemathesis.schemas import BaseSchema
from schemathesis.transport.requests import RequestsTransport

from grades_kit.contract_tests.health import Budget, call_patiently, request_line
from grades_kit.contract_tests.options import AUTO
from grades_kit.contract_tests.redact import mask_token
from grades_kit.contract_tests.traffic import TrafficLog

Pace = Callable[[], None]
LAST_ATTEMPT_MS = "grades_contract_last_attempt_ms"
"""The attribute of a response holding its last attempt's duration (not the Retry-After waits)."""


def pacer(rate_limit: str | None, base_url: str) -> Pace | None:
    """One limiter for every request of this process (``--rate-limit``, this worker's share).

    ``auto`` paces nothing: the server's ``Retry-After`` alone slows the run, as it does in
    every mode (:func:`contract_tests.health.call_patiently`).
    """
    if rate_limit is None or rate_limit == AUTO:
        return None
    limiter = build_limiter(rate_limit)

    def wait() -> None:
        with ratelimit(limiter, base_url):
            pass

    return wait


class PoliteAdapter(HTTPAdapter):
    """Pacing, the run's timeout, ``Retry-After`` and the traffic record, around each send."""

    def __init__(
        self,
        budget: Budget,
        token: str,
        pace: Pace | None = None,
        traffic: TrafficLog | None = None,
        source: str = "",
    ) -> None:
        super().__init__()
        self.budget, self.token, self.pace = budget, token, pace
        self.traffic, self.source = traffic, source

    def send(  # type: ignore[override]
        self, request: requests.PreparedRequest, **kwargs: Any
    ) -> requests.Response:
        started = [0.0]

        def attempt(timeout: float) -> requests.Response:
            if self.pace is not None:
                self.pace()
            started[0] = time.perf_counter()
            self.budget.sent[str(request.method)] += 1
            return super(PoliteAdapter, self).send(request, **{**kwargs, "timeout": timeout})

        line = mask_token(request_line(str(request.method), str(request.url)), self.token)
        response = call_patiently(attempt, _status_and_retry_after, self.budget, line)
        elapsed_ms = (time.perf_counter() - started[0]) * 1000
        setattr(response, LAST_ATTEMPT_MS, elapsed_ms)
        if self.traffic is not None:
            self.traffic.record(self.source, request, response, elapsed_ms)
        return response


def polite_session(
    budget: Budget,
    token: str,
    pace: Pace | None = None,
    traffic: TrafficLog | None = None,
    source: str = "",
) -> requests.Session:
    """A session whose every request goes through one :class:`PoliteAdapter`."""
    session = requests.Session()
    adapter = PoliteAdapter(budget, token, pace, traffic, source)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


def last_attempt_ms(response: requests.Response) -> float:
    """How long the instance took to answer (the last attempt only, without waits)."""
    return float(getattr(response, LAST_ATTEMPT_MS, response.elapsed.total_seconds() * 1000))


def _status_and_retry_after(response: requests.Response) -> tuple[int, str | None]:
    headers: Mapping[str, str] = response.headers
    return response.status_code, headers.get("Retry-After")


class _SessionTransport(RequestsTransport):
    """Schemathesis' requests transport, with ``session`` whenever a caller gives none."""

    def __init__(self, session: requests.Session) -> None:
        super().__init__()
        self.session = session

    def send(self, case: Any, *, session: requests.Session | None = None, **kwargs: Any) -> Any:
        return super().send(case, session=session or self.session, **kwargs)


def route_through(schema: BaseSchema, session: requests.Session) -> BaseSchema:
    """Make every request ``schema`` sends use ``session``, its checks' own probes included.

    ``ignored_auth`` re-sends a request without credentials through ``schema.transport`` and
    drops the caller's session on purpose (Schemathesis 4.32.5, ``_auth_retry.py``), so a
    session given to ``case.call`` alone would let those probes bypass the run's pacing and
    time budget. ``transport`` is a read-only property, hence the one-off subclass.
    """
    transport = _SessionTransport(session)
    kind = type(schema)
    schema.__class__ = type(kind.__name__, (kind,), {"transport": property(lambda _: transport)})
    return schema
