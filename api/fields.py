"""Input fields that check shape only: JSON integers (never floats, strings or booleans) in
a stated range, and text without control characters. Business rules stay in the services."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.money import MAX_AMOUNT

#: Characters a one-line text may hold below U+0020: none. A multi-line text: these.
MULTILINE_ALLOWED = "\n\r\t"


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


class CleanCharField(serializers.CharField):
    """Text of bounded length without control characters (a multi-line text may hold
    newlines and tabs)."""

    default_error_messages = {"control": _("The text contains control characters.")}

    def __init__(self, *, multiline: bool = False, **kwargs: Any) -> None:
        self.multiline = multiline
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        allowed = MULTILINE_ALLOWED if self.multiline else ""
        if any((ord(ch) < 32 and ch not in allowed) or ord(ch) == 127 for ch in data):
            self.fail("control")
        return str(super().to_internal_value(data))
