"""How the ledger reads what people typed: amounts in whole đồng, and text for a model
field (``core.text``: NFC, the field's own limit, never cut)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from core.errors import RuleViolation
from core.money import MAX_AMOUNT
from core.text import field_limit, text_clean


def amount_clean(value: Any, *, field: str, positive: bool = False) -> int:
    """A whole number of đồng, or a RuleViolation naming the field."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise RuleViolation(_("An amount must be a whole number of đồng."), field=field)
    if value < 0:
        raise RuleViolation(_("An amount cannot be negative."), field=field)
    if positive and value == 0:
        raise RuleViolation(_("The amount must be more than zero."), field=field)
    if value > MAX_AMOUNT:
        raise RuleViolation(_("An amount cannot exceed 10^15 đồng."), field=field)
    return value


def model_text(
    value: Any,
    *,
    model: type[Any],
    name: str,
    field: str | None = None,
    message: str | None = None,
    multiline: bool = False,
) -> str:
    """Typed text for ``model.name``, cleaned by :func:`core.text.text_clean` within that
    field's ``max_length`` (never cut); required when ``message`` says what to enter.
    ``field`` names it in the RuleViolation (default: ``name``); None is no text."""
    return text_clean(
        "" if value is None else value,
        field=field or name,
        max_length=field_limit(model, name),
        required=message is not None,
        required_message=message,
        multiline=multiline,
    )
