"""One GET before anything else: is there a Grades API that accepts our token?

Without it a wrong URL or an expired token shows up as dozens of identical failures; with it
the run stops with one line and exit 2 ("fix your setup"), which CI can tell apart from
exit 1 ("the instance breaks the contract").
"""

from __future__ import annotations

import requests

from contract_tests.options import RunOptions
from spec.loader import GRADES_PATH

PREFLIGHT_TIMEOUT_S = 10.0


def preflight_problem(options: RunOptions) -> str | None:
    """Why the run cannot judge the instance, or ``None`` to go ahead.

    Exit-2 cases only: transport failure, token rejected (401/403), nothing there (3xx, 404,
    405), instance unhealthy (429, 5xx). Any other answer is judged by the suite itself.
    """
    url = options.base_url + GRADES_PATH
    try:
        response = requests.get(
            url,
            headers={"Authorization": f"Bearer {options.token}", "Accept": "application/json"},
            timeout=min(options.request_timeout_s, PREFLIGHT_TIMEOUT_S),
            allow_redirects=False,
        )
    except requests.Timeout:
        return f"instance unreachable: GET {url} timed out"
    except requests.RequestException as exc:
        return f"instance unreachable: GET {url} failed ({type(exc).__name__})"
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
    if status == 429 or status >= 500:
        return f"instance unhealthy: GET {url} answered HTTP {status}; try again later"
    return None  # any other answer is the contract's business: the suite reports it (exit 1)
