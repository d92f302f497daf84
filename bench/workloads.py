"""The requests both servers can answer with the same bytes, derived from the contract.

Prism does not filter: for a query it answers the spec's example for the status it picks (the
first one, or the one named by ``Prefer: example=``). So every named 200 example of the spec
becomes a workload: Prism gets the example's query plus ``Prefer: example=<name>``; the mock
gets the same query alone when its real filtering over the bundled fixtures gives the same
bytes (checked at run time, not assumed), else ``Prefer: example=<name>`` too. The 401 path is
the same request (no credentials) for both. :func:`same_bytes` confirms each pair before any
timing, and the result says which path the mock took.
"""

from __future__ import annotations

import http.client
from dataclasses import dataclass
from itertools import zip_longest
from urllib.parse import urlencode

import orjson

from bench.loadgen import Request
from bench.servers import HOST
from grades_kit.contract.loader import GRADES_PATH, Contract


@dataclass(frozen=True)
class Pair:
    """One workload: the mock's request and Prism's request for the same answer."""

    name: str
    mock: Request
    prism: Request
    mock_path: str
    """How the mock produces it: ``filtering`` (real work) or ``Prefer example``."""


def bearer(token: str) -> tuple[str, str]:
    return ("Authorization", f"Bearer {token}")


def target(query: dict[str, str]) -> str:
    return f"{GRADES_PATH}?{urlencode(query)}" if query else GRADES_PATH


def ready_request(contract: Contract, token: str) -> Request:
    """A cheap request that answers 200 once a server serves records: one learner's list."""
    username = next(q["username"] for q in contract.example_queries().values() if "username" in q)
    return Request(target({"username": username}), (bearer(token),))


def build_pairs(contract: Contract, token: str, mock_port: int, prism_port: int) -> list[Pair]:
    """Every comparable workload, each checked to give the same status and bytes on both."""
    pairs = []
    auth = bearer(token)
    for name, query in contract.example_queries().items():
        prefer = ("Prefer", f"example={name}")
        prism = Request(target(query), (auth, prefer))
        expected = fetch(prism_port, prism)
        mock = Request(target(query), (auth,))
        path = "filtering"
        if fetch(mock_port, mock) != expected:
            mock, path = Request(target(query), (auth, prefer)), "Prefer example"
        pairs.append(Pair(f"example {name}", mock, prism, path))
    unauthorized = Request(GRADES_PATH, (), expect_status=401)
    pairs.append(Pair("401 no token", unauthorized, unauthorized, "auth check"))
    return pairs


def fetch(port: int, request: Request) -> tuple[int, bytes]:
    """Status and body of one request (the comparison key of a pair)."""
    connection = http.client.HTTPConnection(HOST, port, timeout=10)
    try:
        connection.request("GET", request.target, headers=dict(request.headers))
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def varied(port: int, token: str) -> list[Request]:
    """A query per course and per learner of the records served, interleaved: every answer
    differs from the one before, so no cache (the CPU's included) serves it twice in a row."""
    status, body = fetch(port, Request(GRADES_PATH, (bearer(token),)))
    if status != 200:
        raise ValueError(f"the unfiltered list answered {status}")
    records = orjson.loads(body)
    courses = list(dict.fromkeys(r["course_id"] for r in records))
    learners = list(dict.fromkeys(r["username"] for r in records))
    by_course = [{"course_id": c} for c in courses]
    by_learner = [{"username": u} for u in learners]
    queries = [q for pair in zip_longest(by_course, by_learner) for q in pair if q]
    return [Request(target(q), (bearer(token),)) for q in queries]
