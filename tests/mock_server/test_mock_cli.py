"""``grades-mock``: settings from flags and env vars, and every way a start can fail."""

from __future__ import annotations

import re
import socket
from pathlib import Path

import pytest

from grades_kit.mock_server import Settings
from grades_kit.mock_server.mock_cli import build_parser, main, network_warning, settings_from


def _settings(argv, env=None):
    return settings_from(build_parser().parse_args(argv), env or {})


def test_defaults():
    assert _settings([]) == Settings()


def test_env_vars_fill_every_setting():
    env = {
        "GRADES_MOCK_HOST": "127.0.0.2",
        "GRADES_MOCK_PORT": "9001",
        "GRADES_MOCK_FIXTURES": "a.json:b",
        "GRADES_MOCK_TOKENS": "one, two",
        "GRADES_MOCK_FORBIDDEN_TOKENS": "three",
        "GRADES_MOCK_SEED": "4",
        "GRADES_MOCK_DELAY": "50",
        "GRADES_MOCK_CORS_ORIGIN": "http://localhost:3000",
        "GRADES_MOCK_CORS_CREDENTIALS": "true",
        "GRADES_MOCK_CORS_ALLOW_HEADERS": "Authorization, X-Requested-With",
        "GRADES_MOCK_WORKERS": "2",
        "GRADES_MOCK_STRICT_PARAMS": "true",
        "GRADES_MOCK_SPEC": "spec/openapi.yaml",
        "GRADES_MOCK_SERVER": "gunicorn",
        "GRADES_MOCK_THREADS": "3",
        "GRADES_MOCK_ACCESS_LOG": "false",
    }
    assert _settings([], env) == Settings(
        host="127.0.0.2", port=9001, fixtures=(Path("a.json"), Path("b")),
        tokens=("one", "two"), forbidden_tokens=("three",), seed=4, delay_ms=50,
        cors_origin="http://localhost:3000", cors_credentials=True,
        cors_allow_headers="Authorization, X-Requested-With", workers=2, strict_params=True,
        spec_path=Path("spec/openapi.yaml"), server="gunicorn", threads=3, access_log=False,
    )  # fmt: skip


def test_generate_with_fixtures_is_one_line_and_exit_2(capsys):
    assert main(["--fixtures", "fixtures", "--generate", "10"], environ={}) == 2
    err = capsys.readouterr().err
    assert err == "grades-mock: error: generate: serves synthetic records instead of fixtures: " \
        "drop --fixtures\n"  # fmt: skip


def test_help_lists_the_subcommands(capsys):
    with pytest.raises(SystemExit):
        main(["--help"], environ={})
    out = capsys.readouterr().out
    assert "grades-mock record --help" in out and "grades-mock proxy --help" in out


def test_engine_threads_follow_the_engine_unless_given():
    assert _settings([]).thread_count == 2
    assert _settings(["--server", "gunicorn"]).thread_count == 16
    assert _settings(["--server", "gunicorn", "--threads", "5"]).thread_count == 5
    assert _settings(["--no-access-log"]).access_log is False


def test_flags_win_over_env_vars():
    env = {"GRADES_MOCK_PORT": "9001", "GRADES_MOCK_TOKENS": "env-token"}
    settings = _settings(["--port", "9002", "--token", "a", "--token", "b"], env)
    assert settings.port == 9002 and settings.tokens == ("a", "b")
    assert _settings(["--strict-params"]).strict_params is True


@pytest.mark.parametrize(
    ("argv", "env", "message"),
    [
        (["--port", "70000"], {}, "port: 70000 is not in 0..65535"),
        (["--delay", "20000"], {}, "delay: 20000 ms is not in 0..10000"),
        (["--generate", "-5"], {}, "generate: -5 is not in"),
        (["--workers", "0"], {}, "workers: 0 is not in 1..64"),
        (["--threads", "0"], {}, "threads: 0 is not in 1..256"),
        ([], {"GRADES_MOCK_SERVER": "waitress"}, "server: 'waitress' is not one of granian"),
        (["--token", ""], {}, "token: give at least one non-empty token"),
        (["--token", "x", "--forbidden-token", "x"], {}, "both accepted and forbidden"),
        (["--cors-origin", "*,http://a"], {}, "cors-origin: give '*' or"),
        ([], {"GRADES_MOCK_PORT": "eighty"}, "GRADES_MOCK_PORT: 'eighty' is not an integer"),
        (["--cors-origin", "localhost:3000"], {}, "cors-origin: 'localhost:3000' is not an origin"),
        (["--cors-origin", "http://a.test,http://b.test/app"], {}, "'http://b.test/app' is not"),
        ([], {"GRADES_MOCK_STRICT_PARAMS": "perhaps"}, "GRADES_MOCK_STRICT_PARAMS: 'perhaps'"),
        (["--fixtures", "/nonexistent.json"], {}, "/nonexistent.json: no such file or folder"),
        (["--spec", "/nonexistent.yaml"], {}, "/nonexistent.yaml: no such file"),
        (["--cors-credentials"], {}, "cors-credentials: give the origins with --cors-origin"),
        ([], {"GRADES_MOCK_CORS_CREDENTIALS": "1"}, "GRADES_MOCK_CORS_CREDENTIALS: cors-cred"),
        (["--cors-allow-headers", "Prefer"], {}, "must include Authorization"),
        (["--cors-allow-headers", "Authorization, X:Y"], {}, "is not a list of header names"),
    ],
)
def test_bad_values_give_one_line_and_exit_2(capsys, argv, env, message):
    assert main(argv, env) == 2
    err = capsys.readouterr().err
    assert err.startswith("grades-mock: error: ") and message in err
    assert err.count("\n") == 1 and "Traceback" not in err


def test_invalid_fixture_gives_one_line_and_exit_2(tmp_path, capsys):
    bad = tmp_path / "bad.json"
    bad.write_text('[{"username": "x"}]', encoding="utf-8")
    assert main(["--fixtures", str(bad)], {}) == 2
    err = capsys.readouterr().err
    assert f"{bad}, record 0: " in err and err.count("\n") == 1


def test_port_in_use_gives_one_line_and_exit_2(capsys):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        assert main(["--port", str(port)], {}) == 2
        err = capsys.readouterr().err
        assert main([], {"GRADES_MOCK_PORT": str(port)}) == 2
        from_env = capsys.readouterr().err
    assert f"cannot listen on 127.0.0.1:{port}" in err and err.count("\n") == 1
    free = re.search(r"; port (\d+) is free: --port (\d+) \(make run PORT=(\d+)\)$", err)
    assert free and len(set(free.groups())) == 1 and int(free[1]) > port, err
    assert re.search(r"is free: GRADES_MOCK_PORT=\d+ \(make run PORT=\d+\)$", from_env)


def test_argparse_rejects_non_integers(capsys):
    with pytest.raises(SystemExit) as caught:
        main(["--port", "x"], {})
    assert caught.value.code == 2


def test_network_warning_only_beyond_loopback_with_default_token():
    assert network_warning(Settings()) is None
    assert network_warning(Settings(host="::1")) is None
    assert "default token" in (network_warning(Settings(host="0.0.0.0")) or "")
    assert network_warning(Settings(host="0.0.0.0", tokens=("secret",))) is None


BAD_ENV = {
    "HOST": "no such host!", "PORT": "abc", "FIXTURES": "/nonexistent.json",
    "TOKENS": " , ", "FORBIDDEN_TOKENS": "a,,b", "GENERATE": "-1", "SEED": "x",
    "DELAY": "99999", "CORS_ORIGIN": "localhost:3000", "WORKERS": "0", "THREADS": "0",
    "SERVER": "nginx", "STRICT_PARAMS": "maybe", "SPEC": "/nonexistent.yaml",
    "ADMIN_TOKEN": " x ", "JOURNAL_SIZE": "0", "WATCH": "maybe", "ACCESS_LOG": "maybe",
    "CORS_CREDENTIALS": "maybe", "CORS_ALLOW_HEADERS": "Prefer",
}  # fmt: skip


def test_every_env_variable_is_covered_below():
    from grades_kit.mock_server.mock_cli import _ENV

    assert {suffix for suffix, _ in _ENV.values()} == set(BAD_ENV)


@pytest.mark.parametrize(("suffix", "value"), sorted(BAD_ENV.items()))
def test_a_bad_env_variable_is_one_line_naming_it(capsys, suffix, value):
    variable = f"GRADES_MOCK_{suffix}"
    assert main([], {variable: value}) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1, err
    assert err.startswith(f"grades-mock: error: {variable}: "), err
