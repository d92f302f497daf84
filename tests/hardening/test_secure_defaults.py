"""Secure defaults of the mock as started: loopback only, a loud warning, no token in logs.

``tests/mock_server/test_mock_cli.py`` checks ``network_warning`` itself and
``tests/mock_server/test_api.py`` the access logger in-process; these check the running
command: what it listens on, that ``main`` prints the warning, and the server's real stderr.
"""

from __future__ import annotations

import logging
import socket
from pathlib import Path

import pytest
import requests

import grades_kit.mock_server.mock_cli
from grades_kit.contract.loader import GRADES_PATH
from grades_kit.mock_server.mock_cli import main
from grades_kit.mock_server.settings import DEFAULT_TOKEN
from tests.hardening.mock_process import started_mock

LISTEN = "0A"
"""TCP state LISTEN in ``/proc/net/tcp``."""


def _listening_addresses(port: int) -> set[str]:
    """The IPv4 addresses something listens on at ``port``, from the kernel's table."""
    found = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        local, state = line.split()[1], line.split()[3]
        address, port_hex = local.split(":")
        if state == LISTEN and int(port_hex, 16) == port:
            found.add(socket.inet_ntoa(bytes.fromhex(address)[::-1]))
    return found


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/net/tcp").exists(), reason="needs Linux /proc/net/tcp")
def test_listens_on_loopback_only_by_default():
    with started_mock() as mock:
        assert _listening_addresses(mock.port) == {"127.0.0.1"}


@pytest.mark.parametrize(
    ("argv", "warned"),
    [
        (["--host", "0.0.0.0"], True),
        (["--host", "192.0.2.10"], True),
        (["--host", "0.0.0.0", "--token", "team-secret"], False),
        ([], False),
    ],
)
def test_beyond_loopback_with_the_default_token_prints_a_warning(monkeypatch, capsys, argv, warned):
    """``main`` itself prints it; nothing listens beyond loopback during the test."""
    listeners: list[socket.socket] = []

    def loopback_listener(_host: str, _port: int) -> socket.socket:
        listeners.append(socket.socket())
        listeners[-1].bind(("127.0.0.1", 0))
        return listeners[-1]

    monkeypatch.setattr(
        grades_kit.mock_server.mock_cli, "_serve", lambda *_args: None
    )  # serve nothing
    monkeypatch.setattr(grades_kit.mock_server.mock_cli, "bind", loopback_listener)
    handlers, level = logging.root.handlers[:], logging.root.level
    try:
        assert main(argv, {}) == 0
    finally:
        logging.root.handlers[:], logging.root.level = handlers, level  # main configures it
        for sock in listeners:
            sock.close()
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if "warning" in line]
    if warned:
        assert len(lines) == 1 and lines[0].startswith("grades-mock: warning: listening on ")
        assert "--token" in lines[0]
    else:
        assert not lines


@pytest.mark.slow
def test_tokens_never_reach_the_server_log():
    secret, forbidden, wrong = "s3cret-accepted", "s3cret-forbidden", "s3cret-wrong"
    with started_mock("--token", secret, "--forbidden-token", forbidden) as mock:
        url = mock.base + GRADES_PATH
        statuses = [
            requests.get(url, headers={"Authorization": f"Bearer {token}"}, timeout=10).status_code
            for token in (secret, forbidden, wrong, DEFAULT_TOKEN)
        ]
        too_big = {"Authorization": f"Bearer {secret}", "X-Pad": "a" * 9000}
        statuses.append(requests.get(url, headers=too_big, timeout=10).status_code)
        bad_query = requests.get(
            url, params={"username": secret + "\x00"},
            headers={"Authorization": f"Bearer {secret}"}, timeout=10,
        )  # fmt: skip
        statuses.append(bad_query.status_code)
        logged = [f"GET {GRADES_PATH} {status}" for status in (200, 403, 401, 400)]
        log = mock.stderr_holding(*logged)  # every answer's line (the 431 is not logged)
    assert statuses == [200, 403, 401, 401, 431, 400]
    assert f"GET {GRADES_PATH} 200" in log and f"GET {GRADES_PATH} 401" in log  # it does log
    for token in (secret, forbidden, wrong):
        assert token not in log
