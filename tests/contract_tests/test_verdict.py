"""What CI engineers read: the verdict by rule, short, safe to paste, and honest about cuts.

The end-to-end tests run the real console script against a server with two root causes
(it accepts any bearer token, and it ignores the filters) and against Prism's mock of the
spec (a server nobody here wrote, with the same two root causes). The unit tests pin the
pieces: the reduction of a failure to its rules, the ranking, the masking of reports.
"""

from __future__ import annotations

import json
import logging
import re
import subprocess
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from bench.servers import PRISM, free_port, prism_argv, start
from bench.workloads import ready_request
from grades_kit.contract.loader import load_contract
from grades_kit.contract.redaction import Pseudonyms
from grades_kit.contract.registry import Finding, registry, rule
from grades_kit.contract_tests.contract_cli import PLUGINS, build_parser, pytest_argv
from grades_kit.contract_tests.options import FLAGS, plugin_flags
from grades_kit.contract_tests.traffic import TrafficLog
from grades_kit.contract_tests.verdict import Verdict, as_property, from_property
from grades_kit.contract_tests.violation import ContractViolation, attach_curl, findings_of
from grades_kit.mock_server import Settings, create_app
from tests.contract_tests.broken_servers import _accept_any_token, refilter, rewrite_request
from tests.contract_tests.catch_rate import GRADES_CONTRACT, TOKEN
from tests.serve_in_thread import serve_in_thread

LAST_LINE = re.compile(
    r"^grades-contract: contract violated: [a-z][\w/+.-]*(, [a-z][\w/+.-]*)*"
    r"( \(\+\d+ more\))?; replay with --seed \d+$"
)
NOISE = ("Traceback", "ExceptionGroup", "Falsifying example", "contract_tests/client.py", "+-+")
MAX_LINES = 60


def two_root_causes() -> Callable[..., Iterable[bytes]]:
    """The mock, accepting any bearer token and ignoring both filters."""
    everything = refilter(lambda record, filters: True)(create_app(Settings()))
    return lambda environ, start_response: everything(_accept_any_token(environ), start_response)


def run(
    base_url: str, *args: str, cwd: Path | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """The console script with the token in the environment, as the docs tell users to."""
    base = {"GRADES_TOKEN": TOKEN, "PATH": "/usr/bin:/bin", "XDG_CACHE_HOME": str(cwd or "/tmp")}
    return subprocess.run(
        [GRADES_CONTRACT, "--base-url", base_url, *args],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
        env={**base, **(env or {})},
        cwd=cwd,
    )


def assert_short_verdict(
    done: subprocess.CompletedProcess[str], *rules: str, families: tuple[str, ...] = ()
) -> None:
    output = done.stdout + done.stderr
    assert done.returncode == 1, output[-3000:]
    assert len(output.splitlines()) <= MAX_LINES, output
    assert LAST_LINE.match(done.stderr.splitlines()[-1]), done.stderr
    for rule_id in rules:
        assert f"[{rule_id}]" in done.stdout, rule_id
    for family in families:
        assert f" {family}/" in done.stderr.splitlines()[-1], family
    for noise in NOISE:
        assert noise not in output, noise
    assert TOKEN not in output


@pytest.fixture(scope="module")
def broken_url() -> Iterator[str]:
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    with serve_in_thread(two_root_causes()) as url:
        yield url


@pytest.mark.slow
def test_two_root_causes_give_a_short_verdict_by_rule(broken_url: str, tmp_path: Path) -> None:
    junit, reports = tmp_path / "junit.xml", tmp_path / "reports"
    done = run(
        broken_url,
        "--profile",
        "smoke",
        "--junit-xml",
        str(junit),
        "--report-dir",
        str(reports),
        cwd=tmp_path,
    )
    assert_short_verdict(
        done,
        "auth/unknown-token",
        "filter-soundness/course_id",
        families=("auth", "filter-soundness"),
    )
    summary = [line for line in done.stdout.splitlines() if line.startswith("  [")]
    assert summary[0].startswith("  [auth/"), "the most severe rule comes first"
    assert len({line.split("]")[0] for line in summary}) == len(summary), "each rule once"
    assert 'curl -X GET -H "Authorization: Bearer $GRADES_TOKEN"' in done.stdout
    messages = [f.get("message", "") for f in ET.parse(junit).iter("failure")]
    declared = {item.id for item in registry()}
    named = [m[1:].split("]", 1)[0] for m in messages if m.startswith("[")]
    assert messages and len(named) == len(messages), messages[:3]
    assert set(named) <= declared, set(named) - declared  # JUnit names registry rules only
    assert "traffic record (HAR 1.2" in done.stdout and str(reports) in done.stdout
    for path in [junit, *reports.iterdir()]:
        assert TOKEN not in path.read_text(), path


@pytest.mark.slow
def test_verbose_brings_the_detail_back(broken_url: str, tmp_path: Path) -> None:
    done = run(broken_url, "--profile", "smoke", "--max-examples", "2", "-v", cwd=tmp_path)
    assert done.returncode == 1
    assert "Traceback" in done.stdout or "raise " in done.stdout
    assert "PASSED" in done.stdout and LAST_LINE.match(done.stderr.splitlines()[-1])


@pytest.mark.slow
@pytest.mark.skipif(
    not PRISM.exists(), reason="Prism not installed (make bench/node_modules/.installed)"
)
def test_prism_mock_of_the_spec_gives_a_verdict_of_at_most_60_lines(tmp_path: Path) -> None:
    contract = load_contract()
    port = free_port()
    server = start(
        "prism", prism_argv(port, contract.path), port, ready_request(contract, TOKEN), 60
    )
    try:
        done = run(f"http://127.0.0.1:{port}", "--profile", "smoke", cwd=tmp_path)
    finally:
        server.stop()
    assert_short_verdict(done, "auth/unknown-token")


def slow_mock(delay_s: float) -> Callable[..., Iterable[bytes]]:
    """The mock, answering each request after ``delay_s``."""
    mock = rewrite_request(lambda environ: environ)(create_app(Settings()))

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        time.sleep(delay_s)
        return mock(environ, start_response)

    return app


def test_a_failure_group_counts_each_rule_once_with_its_curl() -> None:
    no_token, near = rule("auth/no-token"), rule("near-miss/accent-folded")
    group = ExceptionGroup(
        "two",
        [
            ContractViolation([Finding(no_token, "no 401"), Finding(no_token, "again")]),
            ValueError("boom\nmore"),
        ],
    )
    attach_curl(group, "curl -X GET http://h/")
    found = findings_of(group)
    assert found == [
        Finding(no_token, "no 401 (and 1 more)", "curl -X GET http://h/"),
        Finding(rule("suite/unexpected-error"), "ValueError: boom", "curl -X GET http://h/"),
    ]
    verdict = Verdict()
    verdict.add("t1", [Finding(near, "a")])
    verdict.add("t2", [Finding(near, "b"), *found])
    verdict.add("t3", [Finding(rule("latency-budget"), "c")])
    assert [e.first.rule.id for e in verdict.ranked()][:2] == ["auth/no-token", near.id]
    assert verdict.last_line(7) == (
        "contract violated: auth/no-token, near-miss/accent-folded, suite/unexpected-error "
        "(+1 more); replay with --seed 7"
    )
    verdict.add("t4", [Finding(rule("auth/unknown-token"), "d")] * 3)
    assert verdict.last_line(7).startswith("contract violated: auth/no-token, near-miss/")
    assert "  [near-miss/accent-folded] 2 times: a" in list(verdict.summary_lines())


def test_findings_cross_processes_as_rule_ids_and_come_back_typed() -> None:
    found = [Finding(rule("cors/preflight"), "no Authorization", "curl x")]
    plain = as_property(found)
    assert json.loads(json.dumps(plain)) == [["cors/preflight", "no Authorization", "curl x"]]
    assert from_property(plain) == found and from_property(plain)[0].rule is rule("cors/preflight")


def test_the_cli_and_the_plugin_offer_the_same_flags_from_one_table() -> None:
    cli = {o for a in build_parser()._actions for o in a.option_strings}
    assert {flag.name for flag in FLAGS} <= cli
    owned = {
        f.name
        for f in FLAGS
        if not f.cli_only and (f.pytest_name is None or f.pytest_name.startswith("--grades-"))
    }
    assert {f.name for f in plugin_flags()} == owned


def test_list_rules_prints_the_registry_without_a_base_url(tmp_path: Path) -> None:
    done = subprocess.run(
        [GRADES_CONTRACT, "--list-rules"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={"PATH": "/usr/bin:/bin"},
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == list(registry().listing())
    assert "filter-soundness/course_id  [critical]" in done.stdout
    assert 'spec/openapi.yaml:98  "A missing, malformed or unknown token is answered `401`"' in (
        done.stdout
    )


def test_the_cli_forwards_every_flag_but_the_token_to_pytest() -> None:
    argv = ["--base-url", "http://h", "--token", "s3cret", "--workers", "2", "--record-bodies"]
    forwarded = pytest_argv(build_parser().parse_args([*argv, "--junit-xml", "j.xml", "-v"]))
    assert "s3cret" not in forwarded and "--token" not in forwarded
    plugins = [part for plugin in PLUGINS for part in ("-p", plugin)]
    assert forwarded[3 : 3 + len(plugins)] == plugins  # autoloading is off: these alone
    assert forwarded[3 + len(plugins) :] == [
        "-v",
        "--base-url",
        "http://h",
        "-n",
        "2",
        "--grades-junit-xml",
        "j.xml",
        "--record-bodies",
    ]


def fake_exchange(url: str, body: Any) -> tuple[requests.PreparedRequest, requests.Response]:
    request = requests.Request("GET", url, headers={"Authorization": "Bearer s3cret"}).prepare()
    response = requests.Response()
    response.status_code, response._content = 200, json.dumps(body).encode()
    return request, response


@pytest.mark.parametrize("raw", [False, True])
def test_the_traffic_record_is_har_and_masks_people_unless_asked_for_real_values(
    tmp_path: Path, raw: bool
) -> None:
    log = TrafficLog(tmp_path, "s3cret", None if raw else Pseudonyms("s3cret"))
    records = [{"username": "zoë.müller", "email": "zoe@example.com", "percent_grade": "0.9"}]
    log.record("domain", *fake_exchange("http://h/g?username=zo%C3%AB.m%C3%BCller", records), 1.0)
    log.record("domain", *fake_exchange("http://h/g", records + [{"username": "bob"}]), 1.0)
    log.close()
    text = log.path.read_text()
    assert log.path.name == "traffic.har"
    assert "s3cret" not in text
    assert ("zoe@example.com" in text) is raw
    first, second = json.loads(text)["log"]["entries"]
    if not raw:
        pseudonym = Pseudonyms("s3cret").username("zoë.müller")
        assert "username=" + pseudonym in first["request"]["url"]
        assert pseudonym in first["response"]["content"]["text"]
        assert json.loads(second["response"]["content"]["text"])[0]["username"] == pseudonym
        assert "zo" not in first["response"]["content"]["text"]
        assert "bob" not in second["response"]["content"]["text"]


def test_pseudonyms_also_cover_emails_and_known_values_in_free_text() -> None:
    people = Pseudonyms("salt")
    email = people.email("jane@uni.edu")
    assert people.text("contact Jane@Uni.edu now") == f"contact {email} now"
    people.learn(json.dumps([{"username": "JaneDoe"}]).encode())
    echoed = people.text("username: ' janedoe' does not match")
    assert echoed == f"username: ' {people.username('JaneDoe')}' does not match"
    assert Settings().tokens  # the mock's token is what TOKEN names
