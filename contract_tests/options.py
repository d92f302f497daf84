"""The run's settings: flags and environment, validated once into one frozen object.

Every part of the suite (fixtures, checks, the CLI's preflight) reads this object, never the
environment or the pytest config directly, so a value cannot mean two things in two places.
"""

from __future__ import annotations

import os
import random
import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from contract_tests.profiles import PROFILES, Profile

ENV_BASE_URL = "GRADES_BASE_URL"
ENV_TOKEN = "GRADES_TOKEN"
DEFAULT_REQUEST_TIMEOUT_S = 10.0
RATE_LIMIT_PATTERN = re.compile(r"^([1-9][0-9]*)/([smhd])$")


class UsageProblem(ValueError):
    """A flag or environment value the suite cannot run with (exit 2, one line)."""


@dataclass(frozen=True)
class RunOptions:
    """What to test, how hard, and where to write reports. The token never appears in repr."""

    base_url: str
    token: str = field(repr=False)
    profile: Profile
    seed: int
    max_examples: int
    """Schemathesis fuzzing examples per operation."""
    property_examples: int
    """Hypothesis examples per domain property."""
    max_time_s: float | None
    rate_limit: str | None
    max_response_ms: float | None
    report_dir: Path | None
    request_timeout_s: float

    max_duration_s: float | None = None
    """The whole run's budget: past it, nothing more is sent and the run ends with exit 2."""


def build_options(
    *,
    base_url: str | None,
    token: str | None,
    profile: str | None,
    seed: int | None,
    max_examples: int | None,
    max_time_s: float | None,
    rate_limit: str | None,
    max_response_ms: float | None,
    report_dir: str | None,
    request_timeout_s: float | None,
    max_duration_s: float | None = None,
) -> RunOptions:
    """Validate raw values (flags first, then the environment) into :class:`RunOptions`."""
    chosen = PROFILES.get(profile or "ci")
    if chosen is None:
        raise UsageProblem(f"--profile must be one of {', '.join(PROFILES)}, not {profile!r}")
    url = _base_url(base_url or os.environ.get(ENV_BASE_URL, ""))
    secret = token if token is not None else os.environ.get(ENV_TOKEN, "")
    if not secret.strip():
        raise UsageProblem(f"no token: pass --token or set {ENV_TOKEN}")
    if rate_limit is not None and not RATE_LIMIT_PATTERN.match(rate_limit):
        raise UsageProblem(f"--rate-limit must look like 10/s, 600/m or 1000/h, not {rate_limit!r}")
    _positive("--max-examples", max_examples)
    _positive("--max-time", max_time_s)
    _positive("--max-response-ms", max_response_ms)
    _positive("--request-timeout", request_timeout_s)
    _positive("--max-duration", max_duration_s)
    return RunOptions(
        base_url=url,
        token=secret.strip(),
        profile=chosen,
        seed=_seed(seed, chosen),
        max_examples=max_examples or chosen.max_examples,
        property_examples=max_examples or chosen.property_examples,
        max_time_s=max_time_s if max_time_s is not None else chosen.max_time_s,
        rate_limit=rate_limit,
        max_response_ms=max_response_ms,
        report_dir=Path(report_dir) if report_dir else chosen.default_report_dir,
        request_timeout_s=request_timeout_s or DEFAULT_REQUEST_TIMEOUT_S,
        max_duration_s=max_duration_s,
    )


def _base_url(raw: str) -> str:
    url = raw.strip().rstrip("/")
    if not url:
        raise UsageProblem(f"no base URL: pass --base-url or set {ENV_BASE_URL}")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise UsageProblem(f"--base-url must be an http(s) URL like https://host, not {raw!r}")
    if parts.query or parts.fragment:
        raise UsageProblem(f"--base-url must not carry a query or fragment: {raw!r}")
    return url


def _positive(flag: str, value: float | None) -> None:
    if value is not None and value <= 0:
        raise UsageProblem(f"{flag} must be positive, not {value}")


def _seed(seed: int | None, profile: Profile) -> int:
    """An explicit seed wins; ci pins one; otherwise a fresh one, printed so it can be replayed."""
    if seed is not None:
        if seed < 0:
            raise UsageProblem(f"--seed must be a non-negative integer, not {seed}")
        return seed
    if profile.fixed_seed is not None:
        return profile.fixed_seed
    return random.SystemRandom().randrange(2**32)


def rate_limit_per_worker(rate_limit: str, workers: int) -> str:
    """``--rate-limit`` split over pytest-xdist workers, each of which paces itself.

    Rounded down, so the workers together never exceed the limit; a limit lower than the
    number of workers cannot be split and is a usage problem, not a silent overrun.
    """
    match = RATE_LIMIT_PATTERN.match(rate_limit)
    if match is None:
        raise UsageProblem(f"--rate-limit must look like 10/s, 600/m or 1000/h, not {rate_limit!r}")
    count, unit = int(match.group(1)), match.group(2)
    if count < workers:
        raise UsageProblem(
            f"--rate-limit {rate_limit} cannot be shared by {workers} workers (each paces "
            f"itself): give at least {workers}/{unit} or use fewer --workers"
        )
    return f"{count // workers}/{unit}"
