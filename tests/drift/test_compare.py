"""``grades-kit drift`` and ``validate``: clean on the vendored page, loud on altered copies.

Most cases call ``main(argv)`` in-process (fast); the console script itself is run as a
subprocess once for success and once for a usage error.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from grades_kit.contract.loader import Contract
from grades_kit.drift.compare import KNOWN_PAGE_DEFECTS, DriftKind, compare, known
from grades_kit.drift.drift_cli import main
from grades_kit.drift.gitbook import parse_page
from tests.contract.conftest import PAGE_PATH, Page, edit_yaml

Alter = Callable[[str], str]
SCRIPT = Path(sys.executable).with_name("grades-kit")


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, list[str], list[str]]:
    status = main(list(argv))
    captured = capsys.readouterr()
    return status, captured.out.splitlines(), captured.err.splitlines()


def replace_once(old: str, new: str) -> Alter:
    def alter(text: str) -> str:
        assert old in text, f"{old!r} not on the page"
        return text.replace(old, new, 1)

    return alter


def replace_all(*pairs: tuple[str, str]) -> Alter:
    def alter(text: str) -> str:
        for old, new in pairs:
            assert old in text, f"{old!r} not on the page"
            text = text.replace(old, new)
        return text

    return alter


COURSE_PARAMETER = (
    '{% swagger-parameter in="query" name="course_id" type="string" %}\n'
    "the course\\_id course-v1:org+num+session\n"
    "{% endswagger-parameter %}\n"
)
FIRST_RESPONSE = '{% swagger-response status="200" description="" %}'

ALTERATIONS: dict[str, tuple[Alter, DriftKind, str]] = {
    "a response field added": (
        replace_once('"letter_grade":"Pass",', '"letter_grade":"Pass",\n"grade_source":"x",'),
        DriftKind.FIELD_MISSING,
        'field grade_source of the 200 example of "List all grades" (line 9)',
    ),
    "a query parameter removed": (
        replace_all(("?course_id={course_id}", ""), (COURSE_PARAMETER, "")),
        DriftKind.QUERY_PARAMETER_UNDOCUMENTED,
        "query parameter course_id of GET /api/so2/v1/grades",
    ),
    "a query parameter added": (
        replace_once("?username={username}", "?username={username}&page={page}"),
        DriftKind.QUERY_PARAMETER_MISSING,
        'query parameter page of "List grades by username" (line 105)',
    ),
    "a query parameter retyped": (
        replace_once('name="username" type="string"', 'name="username" type="integer"'),
        DriftKind.QUERY_PARAMETER_MISMATCH,
        "of type integer on the page but string in the spec",
    ),
    "a header added": (
        replace_once(
            FIRST_RESPONSE,
            '{% swagger-parameter in="header" name="X-Request-Id" type="string" %}\nabc\n'
            "{% endswagger-parameter %}\n\n" + FIRST_RESPONSE,
        ),
        DriftKind.HEADER_MISSING,
        'header X-Request-Id of "List all grades" (line 9)',
    ),
    "a path changed": (
        replace_once('path="/api/so2/v1/grades"', 'path="/api/so2/v1/grade"'),
        DriftKind.OPERATION_MISSING,
        'GET /api/so2/v1/grade of "List all grades" (line 9) is not in the spec',
    ),
    "a method changed": (
        replace_all(('method="get"', 'method="post"')),
        DriftKind.OPERATION_UNDOCUMENTED,
        "GET /api/so2/v1/grades is in the spec but on no swagger block",
    ),
    "a status changed": (
        replace_once(FIRST_RESPONSE, FIRST_RESPONSE.replace("200", "201")),
        DriftKind.STATUS_MISSING,
        'response status 201 of "List all grades" (line 9)',
    ),
    "another auth scheme": (
        replace_once("Bearer \\<auth\\_token>", "Basic \\<credentials>"),
        DriftKind.HEADER_MISSING,
        'header Authorization of "List all grades" (line 9) is not an HTTP basic security',
    ),
    "percent_grade as a number": (
        replace_all(('"percent_grade":"0.80"', '"percent_grade":0.8')),
        DriftKind.VALUE_MISMATCH,
        'field percent_grade of record 1 of the 200 example of "List all grades" (line 9) '
        "shows 0.8 (a number) but the spec says type string",
    ),
    "passed_timestamp in ISO 8601": (
        replace_all(('"2020-03-28 23:21:24.354019"', '"2020-03-28T23:21:24.354019Z"')),
        DriftKind.VALUE_MISMATCH,
        'field passed_timestamp of record 1 of the 200 example of "List grades by course" '
        "(line 55) shows '2020-03-28T23:21:24.354019Z' (a string) but the spec says a string "
        "like '2020-03-28 23:21:24.354019'",
    ),
    "a null the spec does not allow": (
        replace_once('"letter_grade":""', '"letter_grade":null'),
        DriftKind.VALUE_MISMATCH,
        'field letter_grade of record 2 of the 200 example of "List all grades" (line 9) '
        "shows null but the spec says type string (not nullable)",
    ),
    "a date that is no date": (
        replace_once('"last_date":"2020-11-26"', '"last_date":"2020-13-45"'),
        DriftKind.VALUE_MISMATCH,
        "shows '2020-13-45' (a string) but the spec says format date",
    ),
    "a required field left out": (
        replace_once('"last_date":"2020-11-26"', ""),
        DriftKind.FIELD_ABSENT,
        'record 1 of the 200 example of "List all grades" (line 9) lacks field last_date',
    ),
    "a filtered example showing two values of its filter": (
        lambda text: text[::-1].replace('"eodnhoj":"emanresu"{', '"xxx":"emanresu"{', 1)[::-1],
        DriftKind.EXAMPLE_CONTRADICTION,
        'example of "List grades by username" (line 105) filters by username but its '
        "records show 2 values: 'johndoe', 'xxx'",
    ),
    "another base URL": (
        replace_once("https://your-platform-url.com", "https://example.org"),
        DriftKind.SERVER_MISSING,
        "baseUrl https://example.org",
    ),
}


def test_the_vendored_page_has_no_drift(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = run(capsys, "drift", str(PAGE_PATH))
    assert (status, err) == (0, [])
    assert out == [out[0]] and out[0].startswith("no difference between")
    assert "3 swagger block(s)" in out[0]


def test_the_known_page_defects_are_declared_once_and_still_on_the_page(
    page: Page, contract: Contract, capsys: pytest.CaptureFixture[str]
) -> None:
    """Each declared defect is one of docs/transcription.md and is still shown by the page
    (no stale entry); without the declaration drift reports it."""
    transcription = (PAGE_PATH.parents[1] / "transcription.md").read_text(encoding="utf-8")
    for defect in KNOWN_PAGE_DEFECTS:
        assert f"**{defect.defect}**" in transcription
    assert known(page.blocks, contract) == list(KNOWN_PAGE_DEFECTS)
    undeclared = compare(page.blocks, contract, known_defects=())
    assert [d.kind for d in undeclared] == [d.kind for d in KNOWN_PAGE_DEFECTS]
    assert "JaneDoe" not in str(undeclared) and "course-v1:MOOCit-demo-2" in str(undeclared)
    _, out, _ = run(capsys, "drift", str(PAGE_PATH))
    assert out[-1].endswith("(known page defects left out: D4, see docs/transcription.md)")


def test_the_page_headers_are_accounted_for(page: Page, contract: Contract) -> None:
    """The page's Authorization, Content-Type and CORS headers map to the spec, not to drift."""
    headers = {p.name for block in page.blocks for p in block.parameters_in("header")}
    assert headers == {"Authorization", "Content-Type", "Access-Control-Request-Headers"}
    assert compare(page.blocks, contract) == []


@pytest.mark.parametrize("case", list(ALTERATIONS))
def test_an_altered_page_is_reported(
    case: str, tmp_path: Path, page: Page, capsys: pytest.CaptureFixture[str]
) -> None:
    alter, kind, words = ALTERATIONS[case]
    altered = tmp_path / "altered.md"
    altered.write_text(alter(page.text), encoding="utf-8")
    status, out, err = run(capsys, "drift", str(altered))
    assert (status, err) == (1, [])
    assert any(line.startswith(f"{kind}: ") and words in line for line in out), out
    assert out[-1].startswith(f"{len(out) - 1} difference(s) between {altered}")


def test_a_spec_field_missing_from_the_page_is_reported(
    spec_copy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    def add_property(schema: dict[str, dict[str, object]]) -> None:
        schema["properties"]["grade_source"] = {"type": "string", "description": "Where from."}

    edit_yaml(spec_copy.parent / "components" / "schemas" / "GradeRecord.yaml", add_property)
    status, out, _ = run(capsys, "drift", str(PAGE_PATH), "--spec", str(spec_copy))
    assert status == 1
    assert out[:-1] == [
        "field-undocumented: field grade_source of the 200 response of GET /api/so2/v1/grades "
        "is in the spec but in no example of the page"
    ]


def test_a_spec_header_parameter_missing_from_the_page_is_reported(
    spec_copy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    def add_header(document: dict[str, dict[str, dict[str, dict[str, list[object]]]]]) -> None:
        parameter = {"name": "X-Trace", "in": "header", "description": "x", "schema": {}}
        document["paths"]["/api/so2/v1/grades"]["get"]["parameters"].append(parameter)

    edit_yaml(spec_copy, add_header)
    status, out, _ = run(capsys, "drift", str(PAGE_PATH), "--spec", str(spec_copy))
    assert status == 1
    assert out[0].startswith("header-undocumented: header parameter X-Trace of GET")


def test_without_a_preflight_the_cors_header_is_reported(page: Page, contract: Contract) -> None:
    document = {**contract.document, "paths": {"/api/so2/v1/grades": {"get": contract.operation()}}}
    differences = compare(page.blocks, Contract(contract.path, document))
    assert {d.kind for d in differences} == {DriftKind.HEADER_MISSING}
    assert all("Access-Control-Request-Headers" in d.message for d in differences)
    assert len(differences) == len(page.blocks)


def test_content_type_counts_on_a_method_with_a_body(contract: Contract) -> None:
    text = PAGE_PATH.read_text(encoding="utf-8").replace('method="get"', 'method="options"', 1)
    blocks = parse_page(text)
    assert [d.kind for d in compare(blocks[:1], contract) if "Content-Type" in d.message] == []
    post = {"responses": {"200": {"description": "ok"}}, "security": contract.document["security"]}
    document = {**contract.document, "paths": {"/api/so2/v1/grades": {"post": post}}}
    posted = parse_page(text.replace('method="options"', 'method="post"'))[:1]
    messages = [d.message for d in compare(posted, Contract(contract.path, document))]
    assert any("header Content-Type" in m and "request body media type" in m for m in messages)


# --- errors: exit 2, one line on stderr -------------------------------------------------------


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        ([], "the following arguments are required: COMMAND"),
        (["nope"], "invalid choice: 'nope'"),
        (["drift"], "the following arguments are required: PAGE.md"),
        (["drift", "missing.md"], "cannot read missing.md: No such file or directory"),
        (["drift", "."], "cannot read .: Is a directory"),
        (["drift", str(PAGE_PATH), "--spec", "missing.yaml"], "missing.yaml: no such file"),
        (["validate", "--bogus"], "unrecognized arguments: --bogus"),
    ],
)
def test_usage_errors_exit_2_with_one_line(
    argv: list[str], words: str, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, err = run(capsys, *argv)
    assert (status, out) == (2, [])
    assert len(err) == 1 and err[0].startswith("grades-kit: error: ") and words in err[0], err


@pytest.mark.parametrize(
    ("content", "words"),
    [
        ("# no blocks\n", "no {% swagger %} block found"),
        ('{% swagger path="/x" method="get" %}\n', "line 1: {% swagger %} is never closed"),
        (b"\xff\xfe", "cannot read"),
    ],
)
def test_bad_pages_exit_2(
    content: str | bytes, words: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.md"
    bad.write_bytes(content if isinstance(content, bytes) else content.encode())
    status, _, err = run(capsys, "drift", str(bad))
    assert status == 2 and len(err) == 1 and words in err[0], err


def test_an_invalid_spec_exits_2(spec_copy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    edit_yaml(spec_copy, lambda document: document.pop("info"))
    status, _, err = run(capsys, "validate", "--spec", str(spec_copy))
    assert status == 2 and len(err) == 1
    assert err[0].startswith(f"grades-kit: error: {spec_copy}: not valid OpenAPI: ")


def test_validate_prints_what_the_spec_declares(
    contract: Contract, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, err = run(capsys, "validate")
    assert (status, err) == (0, [])
    (line,) = out
    assert line.startswith(f"OK {contract.path}: OpenAPI 3.1.0, /api/so2/v1/grades [GET, OPTIONS]")
    assert ", ".join(map(str, contract.statuses())) in line


# --- the console script ---------------------------------------------------------------------


@pytest.mark.slow
def test_console_script_exit_codes(tmp_path: Path) -> None:
    clean = subprocess.run(
        [str(SCRIPT), "drift", str(PAGE_PATH)], capture_output=True, text=True, timeout=60
    )
    assert (clean.returncode, clean.stderr) == (0, "")
    broken = subprocess.run(
        [str(SCRIPT), "drift", str(tmp_path / "missing.md")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert broken.returncode == 2 and broken.stdout == ""
    assert broken.stderr.count("\n") == 1 and "Traceback" not in broken.stderr
    assert broken.stderr.startswith("grades-kit: error: cannot read ")
