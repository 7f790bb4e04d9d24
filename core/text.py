"""The one place that cleans text people type, and reads its length limit.

Every layer that takes free text (the pages' forms, the API's serializers, the services)
calls :func:`text_clean` with the limit of the model field the text is stored in
(:func:`field_limit`), so a text refused by one layer is refused by all, with the same
message, and nothing is ever cut to fit.

What cleaning does, in order:

1. refuses anything but ``str``;
2. normalizes to Unicode NFC: Vietnamese typed on phones and Macs often arrives
   decomposed (NFD: "ệ" as e + U+0323 + U+0302), which would be stored, searched and
   counted differently from the same word typed elsewhere;
3. strips white space at both ends;
4. refuses an empty text when it is required;
5. refuses a text longer than the limit, counted in characters after NFC, never cut;
6. refuses characters that are not text a person means to type: control characters
   (a multi-line text may hold line feeds, carriage returns and tabs; a one-line text no
   line break at all), and invisible characters: every format character (zero-width spaces
   and joiners, bidirectional embeddings, overrides and isolates, the byte-order mark...,
   all of Unicode's category Cf) and the fillers that show as nothing, which can hide or
   reorder what a reader sees (a "Trojan Source" document number, a payee or a title that
   reads as another).
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from typing import Any

from django.core.exceptions import FieldDoesNotExist, ImproperlyConfigured
from django.db import models
from django.utils.translation import gettext as _

from .errors import RuleViolation

#: The limit of a free-text paragraph (a purpose, a comment, a reason): about two pages.
#: Model fields that hold such text use it as their ``max_length``.
LONG_TEXT = 5000

#: Control characters: C0 (but line feed, carriage return and tab, allowed in multi-line
#: text), DEL and C1; lone surrogates, which are not text and cannot be stored as UTF-8.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
#: Line breaks: refused in one-line text. U+2028/U+2029 are refused in any text (a
#: multi-line text breaks its lines with \n or \r\n).
_LINE_BREAK = re.compile("[\n\r\u2028\u2029]")
_SEPARATOR = re.compile("[\u2028\u2029]")
_TAB = re.compile("\t")
#: Invisible characters. Every format character (Unicode category Cf: soft hyphen, Arabic
#: letter mark and number signs, Mongolian vowel separator, zero-width space/non-joiner/
#: joiner, left-to-right and right-to-left marks, bidirectional embeddings and overrides
#: (U+202A–U+202E), word joiner and invisible operators (U+2060–U+2064), bidirectional
#: isolates (U+2066–U+2069), deprecated format characters (U+206A–U+206F), the byte-order
#: mark / zero-width no-break space, interlinear annotations, shorthand and musical format
#: controls, tag characters...), read from the Unicode database so that none is forgotten;
#: and the characters that are letters or marks for Unicode but show as nothing: the
#: combining grapheme joiner, the Khmer inherent vowels, the Mongolian free variation
#: selectors and the Hangul fillers. No text of this product needs any of them (Vietnamese
#: is written without them); variation selectors (an emoji's presentation) are kept.
_INVISIBLE_EXTRA = (
    "\u034f\u115f\u1160\u17b4\u17b5\u180b-\u180f\u2065\u3164\uffa0\U000e0000-\U000e007f"
)


def _format_characters() -> str:
    """The regular-expression ranges of Unicode's category Cf, as Python's Unicode
    database lists it (in the planes that have any: the first two and the special-purpose
    plane 14; a test checks all of them)."""
    ranges: list[tuple[int, int]] = []
    for code in itertools.chain(range(0x20000), range(0xE0000, 0xF0000)):
        if unicodedata.category(chr(code)) != "Cf":
            continue
        if ranges and ranges[-1][1] == code - 1:
            ranges[-1] = (ranges[-1][0], code)
        else:
            ranges.append((code, code))
    return "".join(
        re.escape(chr(low)) if low == high else f"{re.escape(chr(low))}-{re.escape(chr(high))}"
        for low, high in ranges
    )


_INVISIBLE = re.compile(f"[{_format_characters()}{_INVISIBLE_EXTRA}]")


def text_clean(
    value: Any,
    *,
    field: str,
    max_length: int | None,
    required: bool = False,
    multiline: bool = False,
    required_message: str | None = None,
) -> str:
    """``value`` as stored: NFC, stripped, checked; or :class:`RuleViolation` naming
    ``field``. ``max_length`` counts characters after NFC (None: no limit). An empty text
    is returned as "" unless ``required`` (then ``required_message``, or "This field is
    required.")."""
    if not isinstance(value, str):
        raise RuleViolation(_("Enter text."), field=field)
    text = unicodedata.normalize("NFC", value).strip()
    if not text:
        if required:
            raise RuleViolation(required_message or _("This field is required."), field=field)
        return ""
    if max_length is not None and len(text) > max_length:
        raise RuleViolation(
            _("At most %(n)s characters (this text has %(count)s).")
            % {"n": max_length, "count": len(text)},
            field=field,
        )
    _refuse_characters(text, field=field, multiline=multiline)
    return text


def _refuse_characters(text: str, *, field: str, multiline: bool) -> None:
    found = _CONTROL.search(text)
    if found is None and not multiline:
        found = _TAB.search(text)
    if found is not None:
        raise RuleViolation(
            _("Remove the control character %(char)s at position %(pos)s.")
            % {"char": _code(found.group()), "pos": found.start() + 1},
            field=field,
        )
    found = (_SEPARATOR if multiline else _LINE_BREAK).search(text)
    if found is not None and multiline:
        raise RuleViolation(
            _(
                "Replace the line separator %(char)s at position %(pos)s with an ordinary "
                "line break."
            )
            % {"char": _code(found.group()), "pos": found.start() + 1},
            field=field,
        )
    if found is not None:
        raise RuleViolation(
            _("Enter a single line: remove the line break at position %(pos)s.")
            % {"pos": found.start() + 1},
            field=field,
        )
    found = _INVISIBLE.search(text)
    if found is not None:
        raise RuleViolation(
            _(
                "Remove the invisible character %(char)s at position %(pos)s: it can hide "
                "or reorder what a reader sees."
            )
            % {"char": _code(found.group()), "pos": found.start() + 1},
            field=field,
        )


def _code(char: str) -> str:
    return f"U+{ord(char):04X}"


def field_limit(model: type[models.Model], name: str) -> int:
    """The ``max_length`` of ``model``'s field ``name``: the one source of that text's limit
    for the forms, the serializers and the services."""
    try:
        field = model._meta.get_field(name)
    except FieldDoesNotExist as exc:
        raise ImproperlyConfigured(f"{model.__name__} has no field {name!r}") from exc
    limit = getattr(field, "max_length", None)
    if not isinstance(limit, int):
        raise ImproperlyConfigured(f"{model.__name__}.{name} has no max_length")
    return limit
