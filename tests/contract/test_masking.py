"""The one masking helper: credentials never reach a log line."""

from __future__ import annotations

from grades_kit.contract.redaction import MASK, credentials, mask


def test_mask_replaces_every_occurrence_longest_first() -> None:
    text = "Bearer abcd1234 then abcd1234 and abcd"
    assert mask(text, ["abcd", "abcd1234"]) == f"Bearer {MASK} then {MASK} and {MASK}"


def test_an_empty_secret_masks_nothing_a_short_one_is_still_masked() -> None:
    assert mask("a b ab", [""]) == "a b ab"
    assert mask("a b ab", ["ab"]) == f"a b {MASK}"


def test_credentials_are_what_follows_the_scheme() -> None:
    assert credentials("Bearer  tok-1 ") == "tok-1"
    assert credentials("tok-without-scheme") == "tok-without-scheme"
    assert credentials(None) == ""
