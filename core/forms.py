"""Form fields shared by the product's forms."""

from __future__ import annotations

import html
from typing import Any

from django import forms
from django.forms.utils import flatatt
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeData, SafeString, mark_safe
from django.utils.translation import gettext_lazy as _

from core.errors import RuleViolation
from core.money import AmountError, format_vnd, parse_vnd
from core.text import text_clean


class VndInput(forms.TextInput):
    """A text box for đồng: shows 1.500.000, opens the numeric keypad on phones."""

    input_type = "text"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__({"inputmode": "numeric", "autocomplete": "off", **(attrs or {})})

    def format_value(self, value: Any) -> str | None:
        if isinstance(value, int) and not isinstance(value, bool):
            return format_vnd(value, symbol=False)
        return super().format_value(value)


class LongSelect(forms.Select):
    """A drop-down of many options (a district's thousand communes) written in Python:
    Django's own ``Select`` renders one template per option, which takes most of a list
    page's time at province scale. The same HTML (name, attributes, the chosen option
    ``selected``), escaped the same way.

    ``label``: for a model choice field, the field whose value is each option's text (the
    model's ``__str__``): the options are then read as (id, text) pairs instead of being
    built as model instances (23 ms → 5 ms for 1,015 communes)."""

    def __init__(self, attrs: dict[str, Any] | None = None, *, label: str | None = None) -> None:
        super().__init__(attrs)
        self.label = label

    def _pairs(self, values: list[str]) -> Any:
        chosen = set(values)
        field = getattr(self.choices, "field", None)
        if field is not None and field.empty_label is not None:
            yield "", "" if "" not in chosen else " selected", field.empty_label
        queryset: Any = getattr(self.choices, "queryset")  # noqa: B009 - checked by render
        for pk, text in queryset.values_list("pk", self.label):
            yield str(pk), " selected" if str(pk) in chosen else "", text

    def render(
        self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None
    ) -> SafeString:
        if self.label is not None and hasattr(self.choices, "queryset"):
            final_attrs = self.build_attrs(self.attrs, attrs)
            values = self.format_value(value)
            # Each option written directly, its text escaped as ``format_html`` would (the
            # standard library's ``html.escape``, which Django's ``escape`` calls through a
            # lazy-string wrapper costing more than the escaping): the values are ids and
            # the marks constants (format_html cost 7 ms a page here).
            options = mark_safe(  # noqa: S308 - every part is escaped or a constant
                "".join(
                    f'<option value="{html.escape(pk)}"{selected}>{html.escape(str(text))}</option>'
                    for pk, selected, text in self._pairs(values)
                )
            )
            return format_html(
                '<select name="{}"{}>{}</select>', name, flatatt(final_attrs), options
            )
        flat = None if hasattr(self.choices, "queryset") else list(self.choices)
        if flat is not None and not any(isinstance(label, list | tuple) for _v, label in flat):
            # Plain choices (a report's thousand units): written the same way, the first
            # option of the value selected as Django's ``Select`` does.
            final_attrs = self.build_attrs(self.attrs, attrs)
            return format_html(
                '<select name="{}"{}>{}</select>',
                name,
                flatatt(final_attrs),
                mark_safe("".join(_plain_options(flat, self.format_value(value)))),  # noqa: S308
            )
        widget = self.get_context(name, value, attrs)["widget"]
        options = format_html_join(
            "",
            '<option value="{}"{}>{}</option>',
            (
                ("" if o["value"] is None else str(o["value"]), flatatt(o["attrs"]), o["label"])
                for _group, choices, _index in widget["optgroups"]
                for o in choices
            ),
        )
        return format_html(
            '<select name="{}"{}>{}</select>', widget["name"], flatatt(widget["attrs"]), options
        )


def _plain_options(choices: list[tuple[Any, Any]], values: list[str]) -> Any:
    """``<option>`` of each (value, label), escaped as ``format_html`` would (a label
    already marked safe is kept); only the first option of ``values`` selected."""
    chosen = set(values)
    selected = False
    for value, label in choices:
        text = "" if value is None else str(value)
        mark = ""
        if not selected and text in chosen:
            mark, selected = " selected", True
        shown = label if isinstance(label, SafeData) else html.escape(str(label))
        yield f'<option value="{html.escape(text)}"{mark}>{shown}</option>'


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


class CleanTextField(forms.CharField):
    """Text cleaned by :func:`core.text.text_clean`, as the API and the services clean it:
    NFC, stripped, at most ``max_length`` characters counted after NFC (pass the model
    field's, ``core.text.field_limit``), no control or invisible formatting characters (a
    ``multiline`` text may hold line breaks and tabs; it gets a text area).

    The box carries no HTML ``maxlength``: a browser counts UTF-16 code units (a decomposed
    "ệ" is three) and cuts a longer paste without a word; the server counts characters
    after NFC and says when a text is too long.
    """

    def __init__(self, *, max_length: int, multiline: bool = False, **kwargs: Any) -> None:
        self.multiline = multiline
        if multiline:
            kwargs.setdefault("widget", forms.Textarea({"rows": 2}))
        super().__init__(max_length=max_length, **kwargs)

    def to_python(self, value: Any) -> str:
        if value in self.empty_values:
            return ""
        try:
            return text_clean(value, field="", max_length=self.max_length, multiline=self.multiline)
        except RuleViolation as exc:
            raise forms.ValidationError(exc.message, code="text") from None

    def widget_attrs(self, widget: forms.Widget) -> dict[str, Any]:
        attrs = super().widget_attrs(widget)
        attrs.pop("maxlength", None)
        return attrs
