"""What the suite makes of the spec's ``x-invariants``: strict ones fail, advisory ones warn.

The rules themselves are implemented once, in :mod:`grades_kit.contract.invariants` (the mock
and the validating proxy run the same code); this module holds only the suite's side of
severity.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator, Sequence
from typing import Any

from grades_kit.contract import invariants
from grades_kit.contract.loader import Invariant, load_contract
from grades_kit.contract_tests.advisories import AdvisoryWarning


class AdvisoryInvariantWarning(AdvisoryWarning):
    """An advisory invariant of the spec does not hold: reported, never a failure."""


def violations(invariant: Invariant, records: Sequence[Any]) -> Iterator[str]:
    """Every place in ``records`` where ``invariant`` does not hold, as readable lines."""
    return invariants.violations(load_contract(), invariant, records)


def verdict(invariant: Invariant, found: Sequence[str]) -> str | None:
    """The failure detail when a strict invariant is broken; a broken advisory one warns.

    The one place the suite turns a severity into an outcome (the invariant tests and the
    Schemathesis check both ask here).
    """
    if not found:
        return None
    more = f" (and {len(found) - 1} more)" if len(found) > 1 else ""
    detail = f"{found[0]}{more}. The spec: {invariant.rule}"
    if invariant.severity == "strict":
        return detail
    message = f"invariant/{invariant.id}: {detail} (advisory)"
    warnings.warn(AdvisoryInvariantWarning(message), stacklevel=2)
    return None
