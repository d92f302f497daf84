"""Loads the suite's pytest plugin (flags, fixtures, preflight, exit codes)."""

from __future__ import annotations

from grades_kit.contract_tests.live import live_data  # noqa: F401  (the fixture of the live-data judge)
from grades_kit.contract_tests.plugin import (  # noqa: F401  (pytest finds hooks and fixtures by name)
    all_grades,
    client,
    contract,
    generated_requests_session,
    grades_data,
    grades_schema,
    pytest_addoption,
    pytest_cmdline_main,
    pytest_configure,
    pytest_report_header,
    pytest_runtest_setup,
    pytest_sessionstart,
    run_options,
    run_state,
    traffic,
    unfiltered_response,
)
