"""``--watch``: edit fixture files while a live mock serves them."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from grades_kit.mock_server import Settings, SettingsError, create_app
from grades_kit.mock_server.app import WATCH_EXTENSION
from tests.serve_in_thread import eventually, serve_in_thread

pytestmark = pytest.mark.slow

AUTH = {"Authorization": "Bearer local-dev-token"}
ALL = json.loads(Path("fixtures/grades.json").read_text())


def served(base: str) -> list[dict[str, Any]]:
    response = requests.get(base + "/api/so2/v1/grades", headers=AUTH, timeout=10)
    assert response.status_code == 200
    records: list[dict[str, Any]] = response.json()
    return records


@pytest.fixture
def watched(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    folder = tmp_path / "fixtures"
    folder.mkdir()
    (folder / "a.json").write_text(json.dumps(ALL[:3]))
    app = create_app(Settings(fixtures=(folder,), watch=True))
    with serve_in_thread(app) as base:
        assert served(base) == ALL[:3]  # the first request starts the watcher
        yield base, folder
        app.extensions[WATCH_EXTENSION].stop()


def test_an_edit_is_served_without_restart(watched: tuple[str, Path]) -> None:
    base, folder = watched
    (folder / "a.json").write_text(json.dumps(ALL[:5]))
    assert eventually(lambda: served(base) == ALL[:5])
    (folder / "b.json").write_text(json.dumps(ALL[5:7]))  # a new file in the folder
    assert eventually(lambda: served(base) == ALL[:7])


def test_an_invalid_edit_keeps_the_previous_data(
    watched: tuple[str, Path], caplog: pytest.LogCaptureFixture
) -> None:
    base, folder = watched
    caplog.set_level(logging.WARNING, logger="grades_mock.watch")
    broken = [*ALL[:2], dict(ALL[2], percent_grade="2.00")]
    (folder / "a.json").write_text(json.dumps(broken))
    assert eventually(lambda: "still serving the previous data" in caplog.text)
    assert "record 2, field 'percent_grade'" in caplog.text
    assert served(base) == ALL[:3]
    (folder / "a.json").write_text('[{"username": ')  # half-saved file
    assert eventually(lambda: "not valid JSON" in caplog.text)
    assert served(base) == ALL[:3]
    (folder / "a.json").write_text(json.dumps(ALL[:4]))  # fixed: served again
    assert eventually(lambda: served(base) == ALL[:4])


def test_watch_needs_fixture_files() -> None:
    with pytest.raises(SettingsError, match="watch"):
        Settings(watch=True, generate=10)


def test_watch_serves_from_one_process_so_no_two_requests_disagree() -> None:
    assert Settings(watch=True).worker_count == 1
    assert Settings().worker_count > 1
    with pytest.raises(SettingsError, match="watch: --watch needs --workers 1"):
        Settings(watch=True, workers=2)
