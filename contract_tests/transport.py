"""The one road every request of a run takes: a ``requests`` Session with a polite adapter.

The preflight, the suite's own client and every request Schemathesis generates
(``case.call(session=...)``, and the probes its checks send on their own) use a session
from :func:`polite_session`, so each one gets the same ``--rate-limit`` pacing, the same
per-request timeout capped by ``--max-duration``, the same ``Retry-After`` handling and the
same words for a sick instance (:func:`contract_tests.health.call_patiently`), and lands in
the same traffic record.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from schemathesis.core.rate_limit import build_limiter, ratelimit
from schemathesis.schemas import BaseSchema
from schemathesis.transport.requests import RequestsTransport

from grades_kit.contract.redaction import Pseudonyms
from grades_kit.contract_tests.health import Budget, call_patiently, request_line
from grades_kit.contract_tests.options import AUTO
from grades_kit.contract_tests.redact import mask_token
from grades_kit.contract_tests.traffic import TrafficLog

Pace = Callable[[], None]
LAST_ATTEMPT_MS = "grades_contract_last_attempt_ms"
"""The attribute of a response holding its last attempt's duration (not the Retry-After waits)."""
CASE_ID_HEADER = "X-Schemathesis-TestCaseId"
REMEMBERED_CASES = 256
"""Requests kept by case id, so a failure names the request that failed (a check's probe)."""


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
        people: Pseudonyms | None = None,
    ) -> None:
        super().__init__()
        self.budget, self.token, self.pace = budget, token, pace
        self.traffic, self.source, self.people = traffic, source, people
        self._by_case: OrderedDict[str, requests.PreparedRequest] = OrderedDict()
        self._lock = threading.Lock()

    def sent_for_case(self, case_id: str) -> requests.PreparedRequest | None:
        """The last request sent for a Schemathesis case (its checks' probes included)."""
        with self._lock:
            return self._by_case.get(case_id)

    def send(  # type: ignore[override]
        self, request: requests.PreparedRequest, **kwargs: Any
    ) -> requests.Response:
        ended: list[float] = []
        self._remember(request)

        def attempt(timeout: float) -> requests.Response:
            if self.pace is not None:
                self.pace()
            started = time.perf_counter()
            blocked_ms = (started - ended[-1]) * 1000 if ended else 0.0
            self.budget.count_sent(str(request.method))
            answer = super(PoliteAdapter, self).send(request, **{**kwargs, "timeout": timeout})
            ended.append(time.perf_counter())
            setattr(answer, LAST_ATTEMPT_MS, (ended[-1] - started) * 1000)
            self._observe(request, answer, blocked_ms)
            return answer

        line = mask_token(request_line(str(request.method), str(request.url)), self.token)
        return call_patiently(attempt, _status_and_retry_after, self.budget, line)

    def _remember(self, request: requests.PreparedRequest) -> None:
        case_id = request.headers.get(CASE_ID_HEADER)
        if case_id:
            with self._lock:
                self._by_case[str(case_id)] = request
                while len(self._by_case) > REMEMBERED_CASES:
                    self._by_case.popitem(last=False)

    def _observe(
        self, request: requests.PreparedRequest, response: requests.Response, blocked_ms: float
    ) -> None:
        """Every answered attempt: its people learned (to mask them), then recorded."""
        if self.people is not None:
            self.people.learn(response.content)
        if self.traffic is not None:
            ms = float(getattr(response, LAST_ATTEMPT_MS))
            self.traffic.record(self.source, request, response, ms, blocked_ms)


def polite_session(
    budget: Budget,
    token: str,
    pace: Pace | None = None,
    traffic: TrafficLog | None = None,
    source: str = "",
    people: Pseudonyms | None = None,
) -> requests.Session:
    """A session whose every request goes through one :class:`PoliteAdapter`."""
    session = requests.Session()
    adapter = PoliteAdapter(budget, token, pace, traffic, source, people)
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
