"""The frontend flags: env vars and checks, and the real server (forked worker)."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
import requests

from grades_kit.mock_server import Settings, SettingsError
from grades_kit.mock_server.mock_cli import build_parser, settings_from
from tests.frontend.conftest import API
from tests.mock_server.test_real_server import running

FIXTURE = Path(__file__).resolve().parents[2] / "fixtures" / "grades.json"


def test_flags_and_env_vars() -> None:
    args = build_parser().parse_args(["--admin-token", "adm", "--watch"])
    settings = settings_from(args, {"GRADES_MOCK_JOURNAL_SIZE": "7"})
    assert (settings.admin_token, settings.watch, settings.journal_size) == ("adm", True, 7)
    from_env = settings_from(
        build_parser().parse_args([]),
        {"GRADES_MOCK_ADMIN_TOKEN": "adm", "GRADES_MOCK_WATCH": "true"},
    )
    assert (from_env.admin_token, from_env.watch) == ("adm", True)


@pytest.mark.parametrize(
    ("overrides", "problem"),
    [
        ({"admin_token": " x"}, "admin-token: give a non-empty"),
        ({"admin_token": "local-dev-token"}, "must differ from the API tokens"),
        ({"admin_token": "adm", "workers": 2}, "needs --workers 1"),
        ({"journal_size": 0}, "journal-size"),
    ],
)
def test_bad_settings_are_one_line(overrides: dict[str, object], problem: str) -> None:
    with pytest.raises(SettingsError, match=problem):
        Settings(**overrides)  # type: ignore[arg-type]


@pytest.mark.slow
def test_admin_and_watch_work_in_the_forked_server_worker(tmp_path: Path) -> None:
    fixture = tmp_path / "grades.json"
    records = json.loads(FIXTURE.read_text())
    fixture.write_text(json.dumps(records[:2]))
    admin = {"Authorization": "Bearer adm"}
    with running("--fixtures", str(fixture), "--admin-token", "adm", "--watch") as mock:
        grades = f"{mock.base}/api/so2/v1/grades"
        assert len(requests.get(grades, headers=API, timeout=10).json()) == 2
        put = requests.put(f"{mock.base}/__mock/records", json=records[:1], headers=admin,
                           timeout=10)  # fmt: skip
        assert put.json() == {"count": 1}
        assert requests.get(grades, headers=API, timeout=10).json() == records[:1]
        journal = requests.get(f"{mock.base}/__mock/journal", headers=admin, timeout=10).json()
        assert [e["status"] for e in journal["entries"] if e["path"] == "/api/so2/v1/grades"] == [
            200, 200,
        ]  # fmt: skip
        fixture.write_text(json.dumps(records[:3]))
        for _ in range(50):  # bounded: 5 s
            if len(requests.get(grades, headers=API, timeout=10).json()) == 3:
                break
            time.sleep(0.1)
        assert requests.get(grades, headers=API, timeout=10).json() == records[:3]
