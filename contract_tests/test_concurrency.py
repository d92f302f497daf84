"""Concurrency: bursts of requests with different filters, every answer judged on its own.

A server that is right one request at a time can still be wrong under concurrency: request
state kept in a module-level variable or on a shared object, a thread-unsafe cache, a
connection pool handing one request's rows to another. Each burst releases its requests
together (a barrier), so they overlap at the server, and each asks for something different;
every answer must still match its own request's filters, and a valid request is never
refused because others are in flight. Deterministic: the run's seed orders the queries.
A failure names the rule the answer broke (``filter-soundness/...``, or ``server-error``)
and says it happened under concurrency.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import requests

from grades_kit.contract import checks as rules
from grades_kit.contract.registry import Finding, registry, rule
from grades_kit.contract_tests.client import GradesClient, json_body
from grades_kit.contract_tests.coverage import no_data
from grades_kit.contract_tests.options import RunOptions

BURST_HEADER = "X-Grades-Contract-Burst"
"""Numbers each burst, so a server's log (and the kit's own determinism test) can tell the
requests released together: their arrival order is the server's, not the seed's."""
IN_FLIGHT = 16
"""Requests released together in one burst."""
REQUESTS_PER_PROPERTY_EXAMPLE = 10
"""The bursts' size follows the profile: ci (20 examples per property) sends 200 requests."""

Query = dict[str, str]


def burst_queries(records: Sequence[Mapping[str, Any]], count: int, seed: int) -> list[Query]:
    """``count`` filtered queries, cycling through every course, learner and pair the instance
    returned, shuffled by ``seed`` so that neighbours in a burst ask different things."""
    pairs = sorted(
        {(r["course_id"], r["username"]) for r in records if _is_text(r, "course_id", "username")}
    )
    kinds: list[Query] = [{"course_id": c} for c in sorted({c for c, _ in pairs})]
    kinds += [{"username": u} for u in sorted({u for _, u in pairs})]
    kinds += [{"course_id": c, "username": u} for c, u in pairs]
    if not kinds:
        return []
    random.Random(seed).shuffle(kinds)
    return [kinds[i % len(kinds)] for i in range(count)]


def _is_text(record: Mapping[str, Any], *names: str) -> bool:
    return all(isinstance(record.get(name), str) for name in names)


def judge(params: Query, response: requests.Response) -> list[Finding]:
    """The answer to ``params`` matches ``params``; a valid request is answered 200."""
    body = json_body(response)
    note = f" (under {IN_FLIGHT} concurrent requests with other filters)"
    if response.status_code != 200 or not isinstance(body, list):
        broken = rules.SERVER_ERROR if response.status_code >= 500 else rule("filter-answer")
        detail = f"a valid filtered request got HTTP {response.status_code}{note}"
        return [Finding(broken, detail)]
    return [Finding(f.rule, f.detail + note) for f in rules.filter_soundness(params, body)]


def test_concurrent_answers_match_their_own_requests(
    client: GradesClient, run_options: RunOptions, all_grades: list[dict[str, Any]]
) -> None:
    """Bursts of concurrent filtered requests: each answer is sound for its own filters."""
    bursts = -(-REQUESTS_PER_PROPERTY_EXAMPLE * run_options.property_examples // IN_FLIGHT)
    queries = burst_queries(all_grades, bursts * IN_FLIGHT, run_options.seed)
    if not queries:
        soundness = [rule(f"filter-soundness/{name}") for name in ("course_id", "username")]
        no_data(soundness, "the instance returned no record to filter on")
    barrier = threading.Barrier(IN_FLIGHT)

    def send(index: int, params: Query) -> tuple[Query, requests.Response]:
        try:
            barrier.wait(timeout=run_options.request_timeout_s)
        except threading.BrokenBarrierError:
            pass  # a request of the burst failed to go: the others are sent all the same
        return params, client.get(params, headers={BURST_HEADER: str(index // IN_FLIGHT)})

    with ThreadPoolExecutor(IN_FLIGHT, thread_name_prefix="grades-contract-burst") as pool:
        answers = list(pool.map(send, range(len(queries)), queries))
    judged = [
        (finding, response) for params, response in answers for finding in judge(params, response)
    ]
    if judged:  # every answer judged, the most severe finding first: a race has no say in it
        judged.sort(key=lambda pair: registry().rank(pair[0].rule))
        client.enforce([finding for finding, _ in judged], judged[0][1])
