"""The one place that formats, parses and divides amounts of money.

Money is whole Vietnamese đồng held in Python ints and 64-bit integer columns; never float.
"""

from __future__ import annotations

import re

from django.utils.translation import gettext as _

#: The largest amount any single figure may hold: 10^15 đồng (a million billion).
MAX_AMOUNT = 10**15
#: The largest value a signed 64-bit column holds.
BIGINT_MAX = 2**63 - 1

_GROUPS = re.compile(r"^\d{1,3}(\.\d{3})*$")


class AmountError(ValueError):
    """An amount a person typed that is not a whole number of đồng."""


def format_vnd(amount: int | None, *, symbol: bool = True) -> str:
    """7588630000 -> '7.588.630.000 ₫' (dots between thousands, the đồng sign after)."""
    if amount is None:
        return "—"
    if isinstance(amount, bool) or not isinstance(amount, int):
        raise TypeError("amounts are whole đồng (int)")
    sign = "-" if amount < 0 else ""
    digits = f"{abs(amount):,}".replace(",", ".")
    return f"{sign}{digits} ₫" if symbol else f"{sign}{digits}"


def parse_vnd(text: str | int) -> int:
    """Read an amount as people write it: '7.588.630.000', '7588630000', '7.588.630.000 ₫'.

    Refuses decimals, negative signs, letters and anything beyond MAX_AMOUNT.
    """
    if isinstance(text, bool):
        raise AmountError(_("Enter a whole number of đồng."))
    if isinstance(text, int):
        value = text
    else:
        cleaned = str(text).strip().replace("₫", "").replace("đ", "").replace(" ", "")
        cleaned = cleaned.replace("\u00a0", "")
        if cleaned.startswith("-"):
            raise AmountError(_("An amount cannot be negative."))
        if cleaned.isdigit():
            value = int(cleaned)
        elif _GROUPS.match(cleaned):
            value = int(cleaned.replace(".", ""))
        else:
            raise AmountError(
                _("“%(value)s” is not a whole number of đồng (write e.g. 1.500.000).")
                % {"value": str(text)[:40]}
            )
    if value < 0:
        raise AmountError(_("An amount cannot be negative."))
    if value > MAX_AMOUNT:
        raise AmountError(_("An amount cannot exceed 10^15 đồng."))
    return value


def percent_of(amount: int, percent_times_100: int) -> int:
    """A share of an amount, rounded half up to the whole đồng: the one rounding rule.

    ``percent_times_100`` is the percentage in hundredths (12.5 % -> 1250), so no float
    is ever involved.
    """
    numerator = amount * percent_times_100
    quotient, remainder = divmod(numerator, 10000)
    return quotient + (1 if remainder * 2 >= 10000 else 0)
