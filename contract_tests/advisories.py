"""Advisories: what an instance should do beyond the letter of the spec, reported, not failed.

An advisory is a finding of a rule whose severity is advisory: the spec's advisory
``x-invariants``, and the HTTP and CORS semantics the spec does not state but a deployment
should honour (RFC 9111 shared caching of authenticated answers, ``Vary: Origin`` on an
echoed origin). It is printed in the run's summary and never changes the exit code, unless
``--strict-http`` makes the HTTP ones violations.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable

from grades_kit.contract.registry import Finding


class AdvisoryWarning(UserWarning):
    """A finding reported in the summary, never a failure (pytest.ini keeps it a warning)."""


def advise(findings: Iterable[Finding], stacklevel: int = 2) -> None:
    """Report each finding as an advisory of its rule."""
    for finding in findings:
        warnings.warn(
            AdvisoryWarning(f"{finding.rule.id}: {finding.detail} (advisory)"),
            stacklevel=stacklevel + 1,
        )
