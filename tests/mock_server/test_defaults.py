"""The engine defaults picked by measurement (docs/benchmarks.md): two worker processes,
except with the admin API, whose state lives in one process."""

from __future__ import annotations

import pytest

from grades_kit.mock_server.settings import DEFAULT_WORKERS, Settings, SettingsError


def test_two_workers_by_default_one_with_the_admin_api() -> None:
    assert DEFAULT_WORKERS == 2
    assert Settings().worker_count == 2
    assert Settings(admin_token="adm").worker_count == 1
    assert Settings(workers=3).worker_count == 3
    assert Settings(admin_token="adm", workers=1).worker_count == 1


def test_the_admin_api_still_refuses_several_workers_when_asked_for() -> None:
    with pytest.raises(SettingsError, match="needs --workers 1"):
        Settings(admin_token="adm", workers=2)
