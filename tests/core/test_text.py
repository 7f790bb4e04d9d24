"""Text cleaning: NFC, limits counted after NFC and never cut, control and invisible
characters refused, the field named."""

from __future__ import annotations

import unicodedata
from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured

from core.errors import RuleViolation
from core.text import LONG_TEXT, field_limit, text_clean
from delegations.models import Delegation
from estimates.models import Estimate
from ledger.models import Disbursement, Settlement

#: "Tập huấn" typed on a Mac: 8 characters, 12 code points decomposed.
NFD = unicodedata.normalize("NFD", "Tập huấn")


def test_decomposed_text_is_stored_composed() -> None:
    assert len(NFD) == 12
    cleaned = text_clean(NFD, field="payee", max_length=200)
    assert cleaned == "Tập huấn"
    assert unicodedata.is_normalized("NFC", cleaned)
    assert len(cleaned) == 8


def test_the_limit_counts_characters_after_nfc() -> None:
    # 100 composed characters, 120 code points as typed.
    composed = "ệ" * 10 + "a" * 90
    typed = unicodedata.normalize("NFD", composed)
    assert len(typed) == 120 and len(composed) == 100
    assert text_clean(typed, field="note", max_length=100) == composed
    with pytest.raises(RuleViolation) as refused:
        text_clean(typed + "a", field="note", max_length=100)
    assert refused.value.field == "note"
    assert "At most 100 characters (this text has 101)" in refused.value.message


def test_a_text_over_the_limit_is_refused_never_cut() -> None:
    with pytest.raises(RuleViolation, match="At most 500 characters") as refused:
        text_clean("x" * 1000, field="note", max_length=500)
    assert refused.value.field == "note"
    assert text_clean("x" * 500, field="note", max_length=500) == "x" * 500


def test_the_ends_are_stripped_before_counting() -> None:
    assert text_clean("  abc \n", field="payee", max_length=3) == "abc"


def test_no_limit() -> None:
    assert text_clean("x" * 100_000, field="f", max_length=None) == "x" * 100_000


@pytest.mark.parametrize("value", ["", "   ", "\n\t "])
def test_an_empty_text(value: str) -> None:
    assert text_clean(value, field="note", max_length=10) == ""
    with pytest.raises(RuleViolation, match="This field is required") as refused:
        text_clean(value, field="payee", max_length=10, required=True)
    assert refused.value.field == "payee"
    with pytest.raises(RuleViolation, match="Enter who was paid"):
        text_clean(
            value,
            field="payee",
            max_length=10,
            required=True,
            required_message="Enter who was paid.",
        )


@pytest.mark.parametrize("value", [None, 42, b"abc", ["a"], {"a": 1}, True])
def test_only_strings_are_text(value: Any) -> None:
    with pytest.raises(RuleViolation, match="Enter text") as refused:
        text_clean(value, field="title", max_length=10)
    assert refused.value.field == "title"


@pytest.mark.parametrize(
    ("char", "code"),
    [
        ("\x00", "U+0000"),
        ("\x07", "U+0007"),
        ("\x1b", "U+001B"),
        ("\x7f", "U+007F"),
        ("\x85", "U+0085"),
        ("\x9b", "U+009B"),
        ("\ud800", "U+D800"),
    ],
)
@pytest.mark.parametrize("multiline", [False, True])
def test_control_characters_are_refused(char: str, code: str, multiline: bool) -> None:
    with pytest.raises(RuleViolation) as refused:
        text_clean(f"ab{char}c", field="comment", max_length=100, multiline=multiline)
    assert refused.value.field == "comment"
    assert refused.value.message == f"Remove the control character {code} at position 3."


@pytest.mark.parametrize(
    "char",
    [
        "\u200b",  # zero-width space
        "\u200c",  # zero-width non-joiner
        "\u200d",  # zero-width joiner
        "\u200e",  # left-to-right mark
        "\u200f",  # right-to-left mark
        "\u202a",  # left-to-right embedding
        "\u202b",
        "\u202c",  # pop directional formatting
        "\u202d",
        "\u202e",  # right-to-left override ("Trojan Source")
        "\u2060",  # word joiner
        "\u2066",  # left-to-right isolate
        "\u2067",
        "\u2068",
        "\u2069",  # pop directional isolate
        "\ufeff",  # byte-order mark
        "\u00ad",  # soft hyphen
        "\u061c",  # Arabic letter mark
        "\U000e0041",  # tag latin capital letter A
    ],
)
@pytest.mark.parametrize("multiline", [False, True])
def test_invisible_formatting_characters_are_refused(char: str, multiline: bool) -> None:
    with pytest.raises(RuleViolation, match="invisible character") as refused:
        text_clean(f"KB{char}-001", field="document_number", max_length=80, multiline=multiline)
    assert refused.value.field == "document_number"
    assert f"U+{ord(char):04X} at position 3" in refused.value.message


@pytest.mark.parametrize("value", ["a\nb", "a\rb", "a\r\nb", "a\u2028b", "a\u2029b"])
def test_a_one_line_text_has_no_line_break(value: str) -> None:
    with pytest.raises(RuleViolation, match="single line") as refused:
        text_clean(value, field="payee", max_length=100)
    assert refused.value.field == "payee"


def test_a_one_line_text_has_no_tab() -> None:
    with pytest.raises(RuleViolation, match="control character U\\+0009 at position 2"):
        text_clean("a\tb", field="payee", max_length=100)


def test_a_multi_line_text_keeps_its_line_breaks_and_tabs() -> None:
    text = "Dòng một\r\nDòng hai\n\tthụt lề"
    assert text_clean(text, field="comment", max_length=100, multiline=True) == text


@pytest.mark.parametrize("char", ["\u2028", "\u2029"])
def test_a_multi_line_text_uses_ordinary_line_breaks(char: str) -> None:
    with pytest.raises(RuleViolation, match="ordinary line break"):
        text_clean(f"a{char}b", field="comment", max_length=100, multiline=True)


def test_vietnamese_and_other_visible_text_passes() -> None:
    text = "Hội LHPN xã Sì Lở Lầu — “Tập huấn” 1.500.000 ₫ (50%) 👩 Ⅻ ½"
    assert text_clean(text, field="note", max_length=500) == text


def test_field_limit_reads_the_model_field() -> None:
    assert field_limit(Disbursement, "note") == 500
    assert field_limit(Disbursement, "document_number") == 80
    assert field_limit(Settlement, "return_document") == 120
    assert field_limit(Delegation, "reason") == 300
    assert field_limit(Estimate, "purpose") == LONG_TEXT


def test_field_limit_needs_a_field_with_a_limit() -> None:
    with pytest.raises(ImproperlyConfigured):
        field_limit(Disbursement, "nothing")
    with pytest.raises(ImproperlyConfigured):
        field_limit(Disbursement, "amount")


def test_every_format_character_is_refused() -> None:
    """All of Unicode's category Cf, in every plane, not only the ones a list names."""
    format_chars = [
        chr(code) for code in range(0x110000) if unicodedata.category(chr(code)) == "Cf"
    ]
    assert len(format_chars) > 150
    for char in format_chars:
        with pytest.raises(RuleViolation, match="invisible character") as refused:
            text_clean(f"Tập{char}huấn", field="title", max_length=100)
        assert f"U+{ord(char):04X} at position 4" in refused.value.message


@pytest.mark.parametrize(
    "char",
    [
        "\u0600",  # Arabic number sign
        "\U0001d173",  # musical symbol begin beam
        "\U0001bca0",  # shorthand format letter overlap
        "\u034f",  # combining grapheme joiner
        "\u115f",  # Hangul choseong filler
        "\u3164",  # Hangul filler
        "\uffa0",  # halfwidth Hangul filler
        "\u17b4",  # Khmer vowel inherent
        "\u180b",  # Mongolian free variation selector
    ],
)
def test_blank_fillers_and_other_format_characters_are_refused(char: str) -> None:
    with pytest.raises(RuleViolation, match="invisible character") as refused:
        text_clean(f"Hội{char} LHPN", field="payee", max_length=100)
    assert refused.value.field == "payee"


def test_an_emoji_keeps_its_variation_selector() -> None:
    assert text_clean("Đã nhận ❤️", field="note", max_length=100) == "Đã nhận ❤️"
