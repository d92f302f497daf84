"""The Schemathesis schema of the run: the shared loader's resolved spec plus the run's config.

The spec is never read here from a file of its own: ``spec.load_contract().document`` is the
one source, deep-copied because Schemathesis normalises the dict it is given.

Checks: every built-in check is on, except the one switched off below with its reason.
"""

from __future__ import annotations

import copy
from typing import Any

import schemathesis
from schemathesis.config import SchemathesisConfig
from schemathesis.schemas import BaseSchema

from grades_kit.contract.loader import load_contract
from grades_kit.contract_tests import schemathesis_checks as _domain_checks  # noqa: F401  (registers the checks)
from grades_kit.contract_tests.options import RunOptions
from grades_kit.contract_tests.redact import MASK

SECURITY_SCHEME = "bearerAuth"

DISABLED_CHECKS: dict[str, str] = {
    "unsupported_method": (
        "it sends PUT/POST/DELETE/PATCH/TRACE to test the 405 answer, and the suite promises "
        "to send only GET and OPTIONS so it is safe against production; the coverage phase's "
        "unexpected-methods list is emptied too, and the mock's own tests cover the 405."
    ),
}
"""Built-in checks that are off, each with the reason (printed in the run's header)."""


def build_schema(options: RunOptions) -> BaseSchema:
    """The schema every schema-driven test of the run is generated from."""
    config = SchemathesisConfig.from_dict(config_dict(options))
    document = copy.deepcopy(dict(load_contract().document))
    return schemathesis.openapi.from_dict(document, config=config)


def config_dict(options: RunOptions) -> dict[str, Any]:
    """The run as a ``schemathesis.toml``-shaped dict (one readable place for every knob)."""
    profile = options.profile
    generation: dict[str, Any] = {
        "mode": "all" if set(profile.modes) == {"positive", "negative"} else profile.modes[0],
        "max-examples": options.max_examples,
        # No example database: a run replays nothing from earlier runs, so a seed is the
        # whole story of which requests were sent (reproducible, and nothing written to disk).
        "database": "none",
        "no-shrink": not profile.shrink,
    }
    config: dict[str, Any] = {
        "seed": options.seed,
        "base-url": options.base_url,
        "request-timeout": options.request_timeout_s,
        "auth": {"openapi": {SECURITY_SCHEME: {"bearer": options.token}}},
        "generation": generation,
        "phases": _phases(profile.phases),
        "checks": {name: {"enabled": False} for name in DISABLED_CHECKS},
        "output": {"sanitization": {"replacement": f"Bearer {MASK}"}},
        # A live instance over a network is slower than Hypothesis' in-process expectations.
        "suppress-health-check": ["too_slow"],
    }
    # No "rate-limit" here: every request goes through the run's session, which paces it
    # (contract_tests.transport), so Schemathesis' own limiter would count requests twice.
    if options.max_response_ms is not None:
        config["checks"]["max_response_time"] = options.max_response_ms / 1000
    return config


def _phases(enabled: tuple[str, ...]) -> dict[str, Any]:
    phases: dict[str, Any] = {
        name: {"enabled": name in enabled} for name in ("examples", "coverage", "fuzzing")
    }
    # Only GET and OPTIONS are sent (see DISABLED_CHECKS); a repeated filter is a 400 in the
    # spec, so duplicated query parameters are worth generating.
    phases["coverage"]["unexpected-methods"] = []
    phases["coverage"]["generate-duplicate-query-parameters"] = True
    phases["stateful"] = {"enabled": False}  # one read-only operation: no links to follow
    return phases
