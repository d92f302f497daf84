"""Before the load: is the instance there, does it take the token, and what data it holds.

:func:`preflight` runs in the console script before Locust starts, so an unreachable
instance or a refused token is one line and exit 2, not a minute of failed requests.
:func:`fetch_plan` runs once per run, in the master (or the only process) when the test
starts: the unfiltered list, reduced to the :class:`~.mix.Plan` the request kinds draw from.
Both speak of trouble as the suite does (:mod:`grades_kit.contract_tests.health`).
"""

from __future__ import annotations

from typing import Any

import orjson
import requests

from grades_kit.contract.loader import GRADES_PATH
from grades_kit.contract_tests.health import (
    GATEWAY_STATUSES,
    InstanceUnhealthy,
    NoVerdict,
    request_line,
    transport_problem,
)
from grades_kit.contract_tests.load.mix import UNKNOWN_LEARNER, Plan

__all__ = ["TokenRefused", "fetch_plan", "preflight"]


class TokenRefused(NoVerdict):
    """The instance answered ``401`` to the run's token: nothing it says could be judged."""

    category = "token refused"


def preflight(base_url: str, token: str, timeout_s: float) -> None:
    """One cheap request (a learner no instance has); raises :class:`NoVerdict` if unusable."""
    _get(base_url, token, timeout_s, {"username": UNKNOWN_LEARNER.format(n=0)})


def fetch_plan(base_url: str, token: str, timeout_s: float) -> Plan:
    """The unfiltered list, once, as a plan; raises :class:`NoVerdict` if it cannot be had."""
    response = _get(base_url, token, timeout_s, {})
    try:
        records: Any = orjson.loads(response.content)
    except orjson.JSONDecodeError:
        records = None
    if not isinstance(records, list):
        line = request_line("GET", response.url)
        raise InstanceUnhealthy("answered HTTP 200 without a JSON array to plan from", line)
    return Plan.from_records(records)


def _get(base_url: str, token: str, timeout_s: float, params: dict[str, str]) -> requests.Response:
    url = base_url.rstrip("/") + GRADES_PATH
    line = request_line("GET", url)
    try:
        response = requests.get(
            url, params=params, headers={"Authorization": f"Bearer {token}"}, timeout=timeout_s
        )
    except requests.RequestException as exc:
        raise InstanceUnhealthy(transport_problem(exc, timeout_s), line) from None
    if response.status_code == 401:
        raise TokenRefused("answered HTTP 401: check $GRADES_TOKEN", line)
    if response.status_code in GATEWAY_STATUSES or response.status_code == 429:
        raise InstanceUnhealthy(f"answered HTTP {response.status_code}", line)
    if response.status_code != 200:
        raise InstanceUnhealthy(f"answered HTTP {response.status_code}, not 200", line)
    return response
