"""Text as people send it, for the tests of limits (``core.text``)."""

from __future__ import annotations

import unicodedata

_WORDS = "Hội-Liên-hiệp-Phụ-nữ-xã-Sì-Lở-Lầu-tập-huấn-"


def composed(n: int) -> str:
    """``n`` characters of Vietnamese, composed (NFC), with no white space to strip."""
    return (_WORDS * (n // len(_WORDS) + 1))[:n]


def decomposed(n: int) -> str:
    """The same ``n`` characters as a Mac or a phone may send them: decomposed (NFD), with
    more code points than characters."""
    text = unicodedata.normalize("NFD", composed(n))
    assert n < 3 or len(text) > n
    return text
