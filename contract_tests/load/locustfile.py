"""The locustfile ``grades-contract load`` hands to Locust: the kit's user and listeners.

Locust imports it by path (``-f``) before it forks ``--processes`` workers and before a worker
connects to its master: the contract is loaded here, once, for the same reasons.
"""

from __future__ import annotations

from locust import events

from grades_kit.contract.loader import load_contract
from grades_kit.contract.passive import Judge
from grades_kit.contract_tests.load.run import install
from grades_kit.contract_tests.load.user import GradesUser

__all__ = ["GradesUser"]

install(events, Judge(load_contract()))
