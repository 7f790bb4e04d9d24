"""Input fields that check shape only: JSON integers (never floats, strings or booleans) in
a stated range, and text cleaned by ``core.text`` (NFC, no control or invisible characters,
the model field's limit). Business rules stay in the services."""

from __future__ import annotations

from typing import Any

from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.errors import RuleViolation
from core.money import MAX_AMOUNT
from core.text import text_clean


class StrictIntegerField(serializers.IntegerField):
    """An integer as a JSON number without a fraction: 12, never 12.0, "12" or true."""

    default_error_messages = {"invalid": _("Enter a whole number (a JSON integer).")}

    def to_internal_value(self, data: Any) -> int:
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid")
        return int(data)


@extend_schema_field(
    {
        "type": "integer",
        "format": "int64",
        "minimum": 0,
        "maximum": MAX_AMOUNT,
        "description": "Whole Vietnamese đồng (VND), an integer; never a decimal.",
    }
)
class MoneyField(StrictIntegerField):
    """An amount of money: whole đồng, 0 to 10^15 (or from 1 when ``positive``)."""

    def __init__(self, *, positive: bool = False, **kwargs: Any) -> None:
        kwargs.setdefault("min_value", 1 if positive else 0)
        kwargs.setdefault("max_value", MAX_AMOUNT)
        kwargs.setdefault("help_text", _("Whole đồng (VND), an integer."))
        super().__init__(**kwargs)


@extend_schema_field(
    {
        "type": "integer",
        "format": "int64",
        "description": "Whole Vietnamese đồng (VND), an integer; never a decimal.",
    }
)
class MoneyOutField(serializers.IntegerField):
    """An amount of money in an answer: whole đồng."""


class ChoiceLabelField(serializers.CharField):
    """The label of a choice column's value, in the request's language: what the model's
    ``get_<field>_display`` gives, read from the choices directly (DRF inspects the
    signature of a method given as ``source`` on every row: a third of a millisecond a
    row of a list)."""

    def __init__(self, choices: Any, **kwargs: Any) -> None:
        self.labels = dict(choices)
        # {language: {value: label}}: each label translated once a language, not a row
        self.words: dict[str | None, dict[Any, str]] = {}
        kwargs.setdefault("read_only", True)
        super().__init__(**kwargs)

    def to_representation(self, value: Any) -> str:
        language = get_language()
        words = self.words.get(language)
        if words is None:
            words = self.words[language] = {key: str(label) for key, label in self.labels.items()}
        return words[value] if value in words else str(value)


class CleanCharField(serializers.CharField):
    """Text cleaned by :func:`core.text.text_clean`, as the pages and the services clean it:
    NFC, stripped, at most ``max_length`` characters counted after NFC (pass the model
    field's, ``core.text.field_limit``), no control or invisible formatting characters (a
    multi-line text may hold line breaks and tabs)."""

    def __init__(self, *, max_length: int, multiline: bool = False, **kwargs: Any) -> None:
        self.multiline = multiline
        super().__init__(max_length=max_length, **kwargs)

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        try:
            return text_clean(
                data,
                field=self.field_name or "",
                max_length=self.max_length,
                multiline=self.multiline,
            )
        except RuleViolation as exc:
            raise serializers.ValidationError(exc.message, code="text") from None
