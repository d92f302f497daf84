"""Loads the suite's pytest plugin: setup (flags, preflight, budget), the report and fixtures."""

from __future__ import annotations

from grades_kit.contract_tests.live import live_data  # noqa: F401  (the fixture of the live-data judge)
from grades_kit.contract_tests.run_setup import (  # noqa: F401  (pytest finds hooks by name)
    pytest_addoption,
    pytest_cmdline_main,
    pytest_configure,
    pytest_report_header,
    pytest_runtest_setup,
    pytest_sessionstart,
)
from grades_kit.contract_tests.session_fixtures import (  # noqa: F401  (pytest finds fixtures by name)
    all_grades,
    client,
    contract,
    generated_requests_session,
    grades_data,
    grades_schema,
    run_options,
    run_state,
    traffic,
    unfiltered_response,
)
