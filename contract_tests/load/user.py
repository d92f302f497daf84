"""The Locust user of a load run: draw a request from the mix, send it, judge the answer.

Locust's statistics name each request by its kind (``by-course``, ``no-token``...), never by
its URL, so no learner datum reaches Locust's tables, CSV, HTML report or logs. A broken
answer is a Locust failure whose error is the list of rule ids it broke, so Locust's UI and
CSV show the rules; an answer that says nothing about the contract (no answer, a gateway
status) is a failure named ``no answer: ...`` and counts toward ``--max-error-rate``.
"""

from __future__ import annotations

import random
import time
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from locust import task
from locust.contrib.fasthttp import FastHttpUser
from locust.exception import StopUser
from requests.structures import CaseInsensitiveDict

from grades_kit.contract.loader import GRADES_PATH
from grades_kit.contract.registry import Finding
from grades_kit.contract_tests.load.judging import judge_answer, no_answer
from grades_kit.contract_tests.load.load_tally import UNKNOWN_LEVEL, Example
from grades_kit.contract_tests.load.mix import Plan, Request, draw
from grades_kit.contract_tests.load.run import PLAN_WAIT_S, LoadRun, run_of

__all__ = ["GradesUser", "NoAnswer", "RulesBroken"]

TOKEN_REFUSED = "token refused (HTTP 401 to the run's token)"


class RulesBroken(Exception):
    """A Locust failure whose error text is the rule ids (Locust shows ``repr(error)``)."""

    def __repr__(self) -> str:
        return ", ".join(self.args)


class NoAnswer(Exception):
    def __repr__(self) -> str:
        return f"no answer: {self.args[0]}"


class GradesUser(FastHttpUser):
    """One simulated client; all the run's users share their process's :class:`LoadRun`."""

    def __init__(self, environment: Any) -> None:
        self.load: LoadRun = run_of(environment)
        self.network_timeout = self.connection_timeout = self.load.option("request_timeout")
        super().__init__(environment)
        self._rng = random.Random()
        self._started = time.monotonic()

    def wait_time(self) -> float:
        """No pause, or the pace that keeps all users under ``--rate-limit`` together."""
        rate = self.load.rate
        if rate is None:
            return 0.0
        return max(0.0, 1.0 / rate - (time.monotonic() - self._started))

    @task
    def one_request(self) -> None:
        self._started = time.monotonic()
        request = draw(self._plan(), self.load.weights, self.load.token, self._rng)
        sent = self._headers(request)
        target = GRADES_PATH + (f"?{request.query}" if request.query else "")
        self.load.tally.request(request.kind)
        ticket = self.load.in_flight.start()
        try:
            with self.client.request(
                request.method, target, name=request.kind, headers=sent, catch_response=True
            ) as answer:
                level = self.load.in_flight.end(ticket)
                ticket = 0
                self._judge(request, sent, answer, level)
        finally:
            if ticket:
                self.load.in_flight.end(ticket)  # a stopped user's request: never answered

    def _plan(self) -> Plan:
        if self.load.plan is None:
            self.load.plan_ready.wait(PLAN_WAIT_S)
        if self.load.plan is None or self.load.stopped is not None:
            raise StopUser()
        return self.load.plan

    def _headers(self, request: Request) -> dict[str, str]:
        sent = {"Accept-Encoding": "identity", **request.headers}
        if request.token == "valid":
            sent["Authorization"] = f"Bearer {self.load.token}"
        elif request.token is not None:
            sent["Authorization"] = request.token
        return sent

    def _judge(self, request: Request, sent: Mapping[str, str], answer: Any, level: int) -> None:
        status = int(answer.status_code or 0)
        error = _transport_error(answer.error) if status == 0 else None
        reason = no_answer(status, error)
        if reason is None and status == 401 and request.token == "valid":
            reason = TOKEN_REFUSED
        example = Example(request.kind, request.method, request.shown, status)
        level = UNKNOWN_LEVEL if self.load.stopping else level
        self.load.tally.ended(level)
        if reason is not None:
            self.load.tally.unanswered(reason, example, level)
            answer.failure(NoAnswer(reason))
            return
        if self.load.option("no_judge"):
            answer.success()
            return
        headers = CaseInsensitiveDict(answer.headers or {})
        body = answer.content or b""
        broken = judge_answer(self.load.judge, request, sent, status, headers, body)
        if broken:
            answer.failure(RulesBroken(*self._count(broken, example, level)))
        else:
            answer.success()

    def _count(self, broken: list[Finding], example: Example, level: int) -> list[str]:
        """Count each rule once per answer; its detail (record values) only if asked for."""
        show = bool(self.load.option("show_details"))
        firsts = {f.rule.id: f.detail for f in reversed(broken)}
        for rule, detail in sorted(firsts.items()):
            kept = replace(example, detail=detail) if show else example
            self.load.tally.broken(rule, kept, level)
        return sorted(firsts)


def _transport_error(error: BaseException | None) -> str:
    """What the network did, in a few words. The client's message quotes the URL, so it is
    searched, never shown (geventhttpclient wraps a timeout in ``RetriesExceeded``)."""
    if error is None:
        return "no HTTP answer"
    text = f"{type(error).__name__} {error} {error.__context__!r}".lower()
    for words, reason in TRANSPORT_WORDS:
        if any(word in text for word in words):
            return reason
    return f"failed ({type(error).__name__})"


TRANSPORT_WORDS = (
    (("timeout", "timed out"), "timed out"),
    (("refused",), "connection refused"),
    (("reset",), "connection reset"),
    (("closed", "empty response"), "connection closed without an answer"),
)
