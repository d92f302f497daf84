"""The run's settings: one table of flags, validated once into one frozen object.

:data:`FLAGS` declares every flag once; ``grades-contract``'s argparse parser and the pytest
plugin's options are both generated from it, so the two cannot drift apart. Every part of the
suite (fixtures, checks, the preflight) reads :class:`RunOptions`, never the environment or
the pytest config directly, so a value cannot mean two things in two places.
"""

from __future__ import annotations

import argparse
import os
import random
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from grades_kit.contract_tests.profiles import PROFILES, Profile
from grades_kit.contract_tests.reports.baseline import BaselineProblem, load

ENV_BASE_URL = "GRADES_BASE_URL"
ENV_TOKEN = "GRADES_TOKEN"
ENV_STEP_SUMMARY = "GITHUB_STEP_SUMMARY"
ENV_ACTIONS = "GITHUB_ACTIONS"
PLUGIN_PREFIX = "--grades-"
"""Plugin options whose CLI name pytest already owns are declared under this prefix."""
DEFAULT_REQUEST_TIMEOUT_S = 10.0
RATE_LIMIT_PATTERN = re.compile(r"^([1-9][0-9]*)/([smhd])$")
AUTO = "auto"
"""``--workers auto``: one per CPU this process may use; ``--rate-limit auto``: no fixed pace,
only the server's ``Retry-After`` (both as Schemathesis means them)."""


class UsageProblem(ValueError):
    """A flag or environment value the suite cannot run with (exit 2, one line)."""


def workers(raw: str) -> int:
    """``--workers N`` or ``auto``: the CPUs this process may run on, as Schemathesis counts."""
    if raw == AUTO:
        usable = os.sched_getaffinity(0) if hasattr(os, "sched_getaffinity") else None
        return len(usable) if usable else os.cpu_count() or 1
    try:
        count = int(raw)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number or auto, not {raw!r}") from None
    if count < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {count}")
    return count


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
    record_bodies: bool = False
    """Keep raw response bodies in the traffic record (personal data included): local only."""
    allow_partial: bool = False
    """Judge a partial run on what ran: some rules had no data, or ``--max-time`` cut it
    (by default: exit 2, no verdict)."""
    strict_http: bool = False
    """HTTP and CORS advisories beyond the spec (shared caching, ``Vary: Origin``) fail the run."""
    reports: ReportPaths = field(default_factory=lambda: ReportPaths())


@dataclass(frozen=True)
class ReportPaths:
    """Where the deploy gate's reports go (:mod:`contract_tests.reports`); ``None``: not wanted."""

    baseline: Path | None = None
    write_baseline: Path | None = None
    verdict_json: Path | None = None
    sarif: Path | None = None
    junit_xml: Path | None = None
    step_summary: Path | None = None
    """``$GITHUB_STEP_SUMMARY``: the Markdown summary is appended there."""
    annotations: bool = False
    """``GITHUB_ACTIONS=true``: one ``::error``/``::warning`` line per rule."""


@dataclass(frozen=True)
class Flag:
    """One flag of the suite, as both the console script and the pytest plugin offer it."""

    name: str
    help: str
    keyword: str | None
    """The :func:`build_options` keyword it feeds; ``None`` for a flag pytest itself owns."""
    type: Callable[[str], Any] | None = None
    metavar: str | None = None
    choices: tuple[str, ...] | None = None
    pytest_name: str | None = None
    """The pytest (or plugin) option the console script hands the value to, if not ``name``."""
    switch: bool = False
    """A flag without a value (``store_true``)."""
    hidden: bool = False
    """Plumbing between the console script and the plugin: not in ``--help``."""
    secret: bool = False
    """Never forwarded as an argument (``ps`` shows arguments): the environment carries it."""
    cli_only: bool = False
    """Answered by the console script itself, before any run (pytest never sees it)."""

    def add_to(self, add: Callable[..., Any], name: str | None = None) -> None:
        """Declare the flag with argparse's ``add_argument`` or pytest's ``addoption``."""
        kwargs: dict[str, Any] = {
            "help": argparse.SUPPRESS if self.hidden else self.help,
            "dest": self.dest,
        }
        if self.switch:
            kwargs["action"] = "store_true"
        else:
            kwargs.update(type=self.type, metavar=self.metavar, choices=self.choices)
        add(name or self.name, **{k: v for k, v in kwargs.items() if v is not None})

    @property
    def dest(self) -> str:
        return self.name.lstrip("-").replace("-", "_")


FLAGS: tuple[Flag, ...] = (
    Flag(
        "--base-url",
        f"the instance, e.g. https://staging.example.com (${ENV_BASE_URL})",
        "base_url",
        metavar="URL",
    ),
    Flag(
        "--token",
        f"a bearer token the instance accepts; prefer ${ENV_TOKEN}: a flag's value "
        "shows in ps and shell history",
        "token",
        metavar="TOKEN",
        secret=True,
    ),
    Flag("--profile", "smoke | ci (default) | fuzz", "profile", choices=tuple(PROFILES)),
    Flag("--seed", "replay a run with the seed its output printed", "seed", type=int),
    Flag(
        "--max-examples",
        "generated examples per operation and property",
        "max_examples",
        type=int,
        metavar="N",
    ),
    Flag(
        "--max-time",
        "the run's budget: no request starts after S seconds (a cut run is no verdict, exit 2, "
        "unless --allow-partial)",
        "max_time_s",
        type=float,
        metavar="S",
    ),
    Flag(
        "--rate-limit",
        "at most N requests per s/m/h/d, e.g. 10/s, 600/m; auto: no fixed pace, only the "
        "server's Retry-After (honoured in every mode)",
        "rate_limit",
        metavar="N/UNIT",
    ),
    Flag(
        "--workers",
        "run test items in N processes (pytest-xdist); auto: one per usable CPU",
        None,
        type=workers,
        metavar="N",
        pytest_name="-n",
    ),
    Flag(
        "--junit-xml",
        "write a JUnit XML report, one test case per rule (for CI)",
        "junit_xml",
        metavar="PATH",
        pytest_name=f"{PLUGIN_PREFIX}junit-xml",  # pytest's own --junit-xml names test ids
    ),
    Flag(
        "--baseline",
        "known violations (YAML: rule, fingerprint, reason, owner, expires): they pass until "
        "they expire; new ones fail",
        "baseline",
        metavar="FILE",
    ),
    Flag(
        "--write-baseline",
        "write this run's findings as a starting baseline (fill in reason and owner)",
        "write_baseline",
        metavar="FILE",
    ),
    Flag(
        "--verdict-json",
        "write the verdict as JSON (schema: contract_tests/reports/verdict.schema.json)",
        "verdict_json",
        metavar="FILE",
    ),
    Flag(
        "--sarif",
        "write SARIF 2.1.0 (spec lines as locations) for GitHub code scanning",
        "sarif",
        metavar="FILE",
    ),
    Flag(
        "--report-dir",
        "record every exchange as HAR 1.2 in DIR/traffic.har (token masked, emails and "
        "usernames pseudonymised)",
        "report_dir",
        metavar="DIR",
    ),
    Flag(
        "--record-bodies",
        "keep real values in the traffic record, to replay a failure exactly (local "
        "debugging only: personal data, never upload it)",
        "record_bodies",
        switch=True,
    ),
    Flag(
        "--allow-partial",
        "judge a partial run on what ran (some rules had no data, or --max-time cut it), "
        "instead of no verdict",
        "allow_partial",
        switch=True,
    ),
    Flag(
        "--strict-http",
        "fail on the HTTP/CORS advisories beyond the spec (RFC 9111 caching, Vary: Origin)",
        "strict_http",
        switch=True,
    ),
    Flag(
        "--max-response-ms",
        "latency budget per response",
        "max_response_ms",
        type=float,
        metavar="MS",
    ),
    Flag(
        "--request-timeout",
        "seconds per request (default 10)",
        "request_timeout_s",
        type=float,
        metavar="S",
    ),
    Flag(
        "--max-duration",
        "stop the whole run after S seconds (exit 2)",
        "max_duration_s",
        type=float,
        metavar="S",
    ),
    Flag(
        "--list-rules",
        "print every rule (id, severity, the spec statement it enforces) and exit",
        None,
        switch=True,
        cli_only=True,
    ),
    Flag(
        "--run-started-at",
        "epoch seconds the console script started at",
        None,
        type=float,
        hidden=True,
    ),
)
"""Every flag of the suite, once (``-v`` is pytest's own, forwarded as it is)."""


def plugin_flags() -> Iterator[Flag]:
    """The flags the pytest plugin declares (the rest are pytest's or pytest-xdist's own)."""
    return (
        flag
        for flag in FLAGS
        if not flag.cli_only
        and (flag.pytest_name is None or flag.pytest_name.startswith(PLUGIN_PREFIX))
    )


def option_values(get: Callable[[str], Any]) -> dict[str, Any]:
    """The :func:`build_options` keywords, read by ``get(dest)`` for every flag that has one."""
    return {flag.keyword: get(flag.dest) for flag in FLAGS if flag.keyword is not None}


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
    record_bodies: bool = False,
    allow_partial: bool = False,
    strict_http: bool = False,
    junit_xml: str | None = None,
    baseline: str | None = None,
    write_baseline: str | None = None,
    verdict_json: str | None = None,
    sarif: str | None = None,
) -> RunOptions:
    """Validate raw values (flags first, then the environment) into :class:`RunOptions`."""
    chosen = PROFILES.get(profile or "ci")
    if chosen is None:
        raise UsageProblem(f"--profile must be one of {', '.join(PROFILES)}, not {profile!r}")
    url = _base_url(base_url or os.environ.get(ENV_BASE_URL, ""))
    secret = token if token is not None else os.environ.get(ENV_TOKEN, "")
    if not secret.strip():
        raise UsageProblem(f"no token: pass --token or set {ENV_TOKEN}")
    if rate_limit not in (None, AUTO) and not RATE_LIMIT_PATTERN.match(rate_limit):
        raise UsageProblem(
            f"--rate-limit must look like 10/s, 600/m or 1000/h, or be auto, not {rate_limit!r}"
        )
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
        record_bodies=bool(record_bodies),
        allow_partial=bool(allow_partial),
        strict_http=bool(strict_http),
        reports=ReportPaths(
            baseline=_baseline(baseline),
            write_baseline=_path(write_baseline),
            verdict_json=_path(verdict_json),
            sarif=_path(sarif),
            junit_xml=_path(junit_xml),
            step_summary=_path(os.environ.get(ENV_STEP_SUMMARY)),
            annotations=os.environ.get(ENV_ACTIONS) == "true",
        ),
    )


def _path(raw: str | None) -> Path | None:
    return Path(raw) if raw else None


def _baseline(raw: str | None) -> Path | None:
    """The ``--baseline`` file, checked against its schema now: a bad one is exit 2 at once."""
    if not raw:
        return None
    try:
        load(Path(raw))
    except BaselineProblem as exc:
        raise UsageProblem(str(exc)) from None
    return Path(raw)


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
    if rate_limit == AUTO:
        return AUTO
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
