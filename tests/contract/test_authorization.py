"""The one Authorization parser: RFC 7235's reading, shared by the mock, the judges, masking."""

from __future__ import annotations

import pytest

from grades_kit.contract.authorization import Credentials, parse_authorization, scenario
from grades_kit.contract.redaction import credentials


@pytest.mark.parametrize(
    ("header", "parsed", "presented"),
    [
        (None, None, "no-token"),
        ("   ", None, "no-token"),
        ("Bearer abc", Credentials("Bearer", "abc"), "bearer"),
        ("bearer abc", Credentials("bearer", "abc"), "bearer"),  # the scheme is case-insensitive
        ("BEARER  abc ", Credentials("BEARER", "abc"), "bearer"),
        ("Bearer ", Credentials("Bearer"), "empty-bearer"),
        ("Bearer", Credentials("Bearer"), "empty-bearer"),
        ("Token abc", Credentials("Token", "abc"), "wrong-scheme"),
        ("Bearer\tabc", Credentials("Bearer\tabc"), "wrong-scheme"),  # 1*SP, not a tab
        ("abc", Credentials("abc"), "wrong-scheme"),
    ],
)
def test_the_header_is_read_as_rfc_7235_says(
    header: str | None, parsed: Credentials | None, presented: str
) -> None:
    assert parse_authorization(header) == parsed
    assert scenario(header) == presented


def test_the_secret_masked_is_the_credentials_or_the_whole_value() -> None:
    assert credentials("bearer s3cret") == "s3cret"
    assert credentials("s3cret") == "s3cret"
    assert credentials(None) == ""
