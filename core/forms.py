"""Form fields shared by the product's forms."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from core.money import AmountError, format_vnd, parse_vnd


class VndInput(forms.TextInput):
    """A text box for đồng: shows 1.500.000, opens the numeric keypad on phones."""

    input_type = "text"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__({"inputmode": "numeric", "autocomplete": "off", **(attrs or {})})

    def format_value(self, value: Any) -> str | None:
        if isinstance(value, int) and not isinstance(value, bool):
            return format_vnd(value, symbol=False)
        return super().format_value(value)


class VndField(forms.Field):
    """A whole number of đồng as people type it: "1.500.000", "1500000", "1.500.000 ₫".

    ``min_value`` defaults to 0; use 1 for prices that must be positive.
    """

    widget = VndInput
    default_error_messages = {
        "min_value": _("Enter an amount of at least %(limit)s đồng."),
    }

    def __init__(self, *, min_value: int = 0, **kwargs: Any) -> None:
        self.min_value = min_value
        super().__init__(**kwargs)

    def to_python(self, value: Any) -> int | None:
        if value in self.empty_values:
            return None
        try:
            return parse_vnd(value)
        except AmountError as exc:
            raise forms.ValidationError(str(exc), code="invalid") from None

    def validate(self, value: Any) -> None:
        super().validate(value)
        if value is not None and value < self.min_value:
            raise forms.ValidationError(
                self.error_messages["min_value"],
                code="min_value",
                params={"limit": format_vnd(self.min_value, symbol=False)},
            )
