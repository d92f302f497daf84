"""The locustfile ``grades-contract load`` hands to Locust: the kit's user and listeners.

Locust imports it by path (``-f``), in every process it starts, before any fork.
"""

from __future__ import annotations

from locust import events

from grades_kit.contract_tests.load.run import install
from grades_kit.contract_tests.load.user import GradesUser

__all__ = ["GradesUser"]

install(events)
