"""The Grades API contract (``openapi.yaml``) and the one loader every other package uses."""

from __future__ import annotations

from grades_kit.contract.loader import GRADES_PATH, SPEC_PATH, Contract, SpecError, load_contract

__all__ = ["GRADES_PATH", "SPEC_PATH", "Contract", "SpecError", "load_contract"]
