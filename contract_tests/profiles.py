"""The three ways to run the suite: how many requests, which kinds, how reproducible.

A profile only sizes and orders the work; every profile runs every rule. ``smoke`` answers
"is it basically right?" in seconds, ``ci`` is the deploy gate (fixed seed, no example
database: the same command sends the same requests), ``fuzz`` is QA's long hunt.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

CI_SEED = 20240601
"""The ci profile's pinned seed: two ci runs against the same data send the same requests."""


@dataclass(frozen=True)
class Profile:
    """Sizes of one run; flags such as ``--max-examples`` override the matching field."""

    name: str
    max_examples: int
    """Schemathesis fuzzing examples per operation (GET and OPTIONS)."""
    property_examples: int
    """Hypothesis examples per domain property (filters, unknown values)."""
    phases: tuple[str, ...]
    """Schemathesis phases: examples (the spec's), coverage (boundaries), fuzzing (random)."""
    modes: tuple[str, ...]
    """positive (valid requests) and/or negative (requests the spec forbids)."""
    shrink: bool
    """Minimise a failing example (many more requests): worth it only for QA's fuzz runs."""
    fixed_seed: int | None
    max_time_s: float | None
    default_report_dir: Path | None
    """Where traffic is recorded when ``--report-dir`` is not given (fuzz always records)."""


PROFILES: dict[str, Profile] = {
    "smoke": Profile(
        name="smoke",
        max_examples=5,
        property_examples=5,
        phases=("examples", "fuzzing"),
        modes=("positive", "negative"),
        shrink=False,
        fixed_seed=None,
        max_time_s=None,
        default_report_dir=None,
    ),
    "ci": Profile(
        name="ci",
        max_examples=60,
        property_examples=20,
        phases=("examples", "coverage", "fuzzing"),
        modes=("positive", "negative"),
        shrink=False,
        fixed_seed=CI_SEED,
        max_time_s=None,
        default_report_dir=None,
    ),
    "fuzz": Profile(
        name="fuzz",
        max_examples=2000,
        property_examples=200,
        phases=("examples", "coverage", "fuzzing"),
        modes=("positive", "negative"),
        shrink=True,
        fixed_seed=None,
        max_time_s=None,
        default_report_dir=Path("grades-contract-report"),
    ),
}
