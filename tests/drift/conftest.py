"""The drift tests read the same vendored page as the contract's own tests."""

from __future__ import annotations

from tests.contract.conftest import page, spec_copy  # noqa: F401  (pytest finds fixtures by name)
