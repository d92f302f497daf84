"""When the instance, not the contract, is the problem: no verdict (exit 2), never a pass.

Every request of the run (the preflight, the suite's own client, Schemathesis' generated
ones) goes through :func:`call_patiently` with the run's :class:`Budget`, so all of them get
the same per-request timeout, the same remaining-time cap, the same ``Retry-After`` handling
and the same one-line description of what went wrong.

Which answers mean "unhealthy" rather than "violated", and why:

- no HTTP answer at all (timeout, reset, refused, closed, bytes that are not HTTP): nothing
  was said about the contract, so there is nothing to judge;
- ``502``/``504``: by RFC 9110 a gateway's words about the origin it could not reach, not the
  origin's answer; ``503`` (documented by the spec as "temporarily unavailable"): the platform
  itself says it cannot answer now. Judging the contract on them would blame the API for a
  deployment problem;
- ``429`` (documented by the spec) that persists after ``Retry-After`` was honoured
  :data:`MAX_RETRIES` times: the instance would not let the run test anything.

A ``500`` stays a contract violation (the origin answered, and the contract forbids a
server error for any request), and so does a ``200`` with an HTML page.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from typing import TypeVar
from urllib.parse import urlsplit

import requests

GATEWAY_STATUSES = frozenset({502, 503, 504})
RETRY_STATUSES = frozenset({429, 503})
"""Statuses worth waiting for when they carry ``Retry-After`` (RFC 9110 section 10.2.3)."""
MAX_RETRIES = 3
MAX_WAIT_S = 60.0
"""No single ``Retry-After`` wait is longer than this (nor than the run's remaining time)."""
DEFAULT_WAIT_S = 1.0
"""The wait before retrying a ``429`` that says nothing about when to come back."""
LINE_LIMIT = 120
WAITED_MS = "waited_ms"
_GATEWAY_WORDS = {
    502: "a gateway could not get an answer from the instance",
    503: "the instance says it is unavailable",
    504: "a gateway timed out waiting for the instance",
}

ResponseT = TypeVar("ResponseT")


class NoVerdict(BaseException):
    """The run cannot judge the instance: it stops at once and exits 2.

    A ``BaseException`` on purpose: Hypothesis treats an ``Exception`` as a failing example
    and would replay and shrink it, hitting a dead host again and again; this one stops the
    test at once, and the plugin records it and stops the session.
    """

    category = "no verdict"

    def __init__(self, reason: str, request: str = "") -> None:
        self.reason = reason
        self.request = request
        super().__init__(f"{self.category}: {request} {reason}" if request else reason)


class InstanceUnhealthy(NoVerdict):
    """The instance could not be asked (refused, reset, timed out, not HTTP, gateway error)."""

    category = "instance unhealthy"


class GatewayError(InstanceUnhealthy):
    """An HTTP answer that speaks for an instance that could not answer (502, 503, 504)."""


class InstanceRateLimited(InstanceUnhealthy):
    """``429`` (or ``503``) went on after ``Retry-After`` was honoured :data:`MAX_RETRIES` times."""

    category = "instance rate-limited"


class Cut(BaseException):
    """``--max-time`` is spent: this request is not sent, and what needed it is reported cut.

    Not a :class:`NoVerdict`: what ran before still has a verdict, but a run with a cut is
    partial, which is no verdict unless ``--allow-partial`` (see the plugin).
    """

    def __init__(self, max_time_s: float) -> None:
        super().__init__(f"--max-time of {max_time_s:g} s reached: not sent")


class OutOfTime(NoVerdict):
    """``--max-duration`` was reached before the run could finish."""

    category = "out of time"


@dataclass(frozen=True)
class Budget:
    """The run's time limits: per request, and (with ``--max-duration``) for the whole run."""

    request_timeout_s: float
    deadline: float | None = None
    """``time.monotonic()`` value after which nothing more is sent."""
    max_duration_s: float | None = None
    cut_at: float | None = None
    """``time.monotonic()`` value of the ``--max-time`` budget: no request starts after it."""
    max_time_s: float | None = None
    incidents: list[NoVerdict] = field(default_factory=list)
    """Every no-verdict raised in this process, so none can be lost in an ``except``."""
    sent: Counter[str] = field(default_factory=Counter)
    """Every request sent under this budget, by method (each attempt counts; the summary
    prints the total, so a run's cost to the instance is never a guess)."""
    throttled: Counter[str] = field(default_factory=Counter)
    """Answers waited out (``429``/``503`` with ``Retry-After``) by status, and under
    :data:`WAITED_MS` the milliseconds spent waiting: a slow run says why."""

    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)
    """Requests are sent from several threads at once (a concurrency burst): a counter's
    ``+=`` is a read and a write, so two threads can lose one of their counts."""

    def count_sent(self, method: str) -> None:
        with self._lock:
            self.sent[method] += 1

    def note_wait(self, status: int, seconds: float) -> None:
        with self._lock:
            self.throttled[str(status)] += 1
            self.throttled[WAITED_MS] += round(seconds * 1000)

    def fail(self, exc: NoVerdict) -> NoVerdict:
        """Remember ``exc`` (the plugin ends the run with exit 2) and return it to raise."""
        self.incidents.append(exc)
        return exc

    def remaining(self) -> float:
        return float("inf") if self.deadline is None else self.deadline - time.monotonic()

    def spent(self) -> bool:
        """``--max-time`` is over: nothing more may be sent."""
        return self.cut_at is not None and time.monotonic() >= self.cut_at

    def timeout(self, request: str = "") -> float:
        """The timeout of the next request: never past the deadline (then :class:`OutOfTime`);
        none at all once ``--max-time`` is spent (then :class:`Cut`)."""
        if self.spent():
            raise Cut(self.max_time_s or 0.0)
        left = self.remaining()
        if left <= 0:
            raise self.fail(OutOfTime(self.out_of_time_reason(), request))
        return min(self.request_timeout_s, left)

    def out_of_time_reason(self) -> str:
        return f"--max-duration of {self.max_duration_s:g} s reached before the run finished"

    def sleep(self, seconds: float, request: str = "") -> None:
        """Wait ``seconds`` unless that would overrun the deadline (then :class:`OutOfTime`) or
        the ``--max-time`` budget (then :class:`Cut`: the retry could not start anyway)."""
        if self.cut_at is not None and time.monotonic() + seconds >= self.cut_at:
            raise Cut(self.max_time_s or 0.0)
        if seconds >= self.remaining():
            raise self.fail(OutOfTime(self.out_of_time_reason(), request))
        time.sleep(seconds)


def call_patiently(
    send: Callable[[float], ResponseT],
    status_and_retry_after: Callable[[ResponseT], tuple[int, str | None]],
    budget: Budget,
    request: str,
) -> ResponseT:
    """``send(timeout)``, waiting out ``429``/``503`` + ``Retry-After`` up to MAX_RETRIES times.

    Raises :class:`InstanceUnhealthy` for a transport failure, a gateway status, or a rate
    limit that outlasts the retries; any other answer is returned for the contract to judge.
    """
    for attempt in range(MAX_RETRIES + 1):
        timeout = budget.timeout(request)
        try:
            response = send(timeout)
        except requests.Timeout:
            if timeout < budget.request_timeout_s:  # cut short by --max-duration, not slow
                raise budget.fail(OutOfTime(budget.out_of_time_reason(), request)) from None
            raise budget.fail(
                InstanceUnhealthy(f"timed out after {timeout:g} s", request)
            ) from None
        except requests.RequestException as exc:
            problem = transport_problem(exc, timeout)
            raise budget.fail(InstanceUnhealthy(problem, request)) from None
        status, retry_after = status_and_retry_after(response)
        wait = retry_wait_s(status, retry_after, budget)
        if wait is None:
            break
        if attempt == MAX_RETRIES:
            raise budget.fail(InstanceRateLimited(_still_refusing(status, retry_after), request))
        budget.note_wait(status, wait)
        budget.sleep(wait, request)
    if status in GATEWAY_STATUSES:
        problem = f"got HTTP {status} ({_GATEWAY_WORDS[status]})"
        raise budget.fail(GatewayError(problem, request))
    return response


def retry_wait_s(status: int, retry_after: str | None, budget: Budget) -> float | None:
    """Seconds to wait before asking again, or ``None`` when this answer is final."""
    if status not in RETRY_STATUSES:
        return None
    seconds = parse_retry_after(retry_after) if retry_after else None
    if seconds is None:
        if status != 429:
            return None  # a 503 without Retry-After: unhealthy at once
        seconds = DEFAULT_WAIT_S
    return min(seconds, MAX_WAIT_S, max(budget.remaining(), 0.0))


def parse_retry_after(value: str) -> float | None:
    """``Retry-After`` as seconds from now: delay-seconds or an HTTP-date; ``None`` if neither."""
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        return None
    return max(0.0, when.timestamp() - time.time())


def transport_problem(exc: requests.RequestException, timeout_s: float) -> str:
    """What the network did, in words a person on call understands at once."""
    chain = _causes(exc)
    names = {type(e).__name__ for e in chain}
    if isinstance(exc, requests.Timeout):
        return f"timed out after {timeout_s:g} s"
    if any(isinstance(e, ConnectionResetError) for e in chain):
        return "got a connection reset"
    if any(isinstance(e, ConnectionRefusedError) for e in chain) or "NewConnectionError" in names:
        return "got a refused connection (nothing listening: the instance is down)"
    if "BadStatusLine" in names or "LineTooLong" in names:
        return "got an answer that is not HTTP"
    if "RemoteDisconnected" in names or isinstance(exc, requests.exceptions.ChunkedEncodingError):
        return "got the connection closed without a complete answer"
    return f"failed ({type(exc).__name__})"


def request_line(method: str, url: str) -> str:
    """``GET /path?query`` (no host: the run's base URL is printed once), at most one line."""
    parts = urlsplit(url)
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    line = f"{method.upper()} {target}"
    printable = "".join(c if c.isprintable() else "?" for c in line)
    return printable if len(printable) <= LINE_LIMIT else printable[: LINE_LIMIT - 3] + "..."


def _still_refusing(status: int, retry_after: str | None) -> str:
    return (
        f"got HTTP {status} {MAX_RETRIES + 1} times in a row, waiting as "
        f"Retry-After: {retry_after or '(none)'} asked each time"
    )


def _causes(exc: BaseException) -> list[BaseException]:
    """``exc`` and everything it wraps (requests -> urllib3 -> http.client / OSError)."""
    seen: list[BaseException] = []
    pending: list[BaseException] = [exc]
    while pending and len(seen) < 20:
        current = pending.pop()
        seen.append(current)
        pending += [e for e in (current.__cause__, current.__context__) if e is not None]
        pending += [a for a in current.args if isinstance(a, BaseException)]
        reason = getattr(current, "reason", None)
        if isinstance(reason, BaseException):
            pending.append(reason)
    return seen


def as_record(exc: NoVerdict) -> tuple[str, str, str]:
    """``(category, reason, request)``: plain strings, so they survive pytest-xdist."""
    return exc.category, exc.reason, exc.request


def summary(records: Sequence[tuple[str, str, str]]) -> str:
    """The run's one-line reason for exit 2, from the no-verdicts it met (the first decides).

    E.g. ``instance unhealthy: 2 requests timed out after 2 s (first: GET /api/...)``.
    """
    category, reason, request = records[0]
    if category == OutOfTime.category or not request:
        return f"{category}: {reason}" + (f" (at {request})" if request else "")
    count = sum(1 for r in records if r[:2] == (category, reason))
    plural = "s" if count > 1 else ""
    return f"{category}: {count} request{plural} {reason} (first: {request})"
