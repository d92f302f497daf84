"""One GET before anything else: is there a Grades API that accepts our token?

Without it a wrong URL or an expired token shows up as dozens of identical failures; with it
the run stops with one line and exit 2 ("fix your setup"), which CI can tell apart from
exit 1 ("the instance breaks the contract"). It goes through the run's session like every
other request (:mod:`contract_tests.transport`): the run's timeout and pacing, and
``Retry-After`` honoured on a 429 before giving up.
"""

from __future__ import annotations

import requests

from grades_kit.contract.loader import GRADES_PATH
from grades_kit.contract_tests.health import InstanceUnhealthy, NoVerdict
from grades_kit.contract_tests.options import RunOptions


def preflight_problem(options: RunOptions, session: requests.Session) -> str | None:
    """Why the run cannot judge the instance, or ``None`` to go ahead.

    Exit-2 cases only: transport failure, token rejected (401/403), nothing there (3xx, 404,
    405), instance unhealthy (5xx, a 429 that outlasts the retries). Any other answer is
    judged by the suite itself.
    """
    url = options.base_url + GRADES_PATH
    headers = {"Authorization": f"Bearer {options.token}", "Accept": "application/json"}
    try:
        response = session.get(url, headers=headers, allow_redirects=False)
    except NoVerdict as exc:
        unreachable = type(exc) is InstanceUnhealthy  # no HTTP answer at all
        return f"{'instance unreachable' if unreachable else exc.category}: GET {url} {exc.reason}"
    return _judge(url, response.status_code)


def _judge(url: str, status: int) -> str | None:
    if status == 200:
        return None
    if status in (401, 403):
        return (
            f"token rejected: GET {url} with the given token answered HTTP {status}; "
            "check --token / GRADES_TOKEN"
        )
    if status in (404, 405) or 300 <= status < 400:
        return f"no Grades API at this base URL: GET {url} answered HTTP {status}; check --base-url"
    if status >= 500:
        return f"instance unhealthy: GET {url} answered HTTP {status}; try again later"
    return None  # any other answer is the contract's business: the suite reports it (exit 1)
