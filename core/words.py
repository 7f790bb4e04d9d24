"""Amounts of money in Vietnamese words, as written on budget and treasury documents.

``num2words`` (lang="vi") reads each group of three digits correctly ("mốt", "lăm",
"mười", "lẻ"), but it drops a zero hundreds digit inside a number: 1.000.005 comes out
"một triệu lẻ năm". Vietnamese accounting and treasury practice (the "số tiền bằng chữ"
line of vouchers, invoices and decisions, and the accounting packages offices use) reads
every group after the first in full, saying "không trăm" for a zero hundreds digit and
"linh" for a zero tens digit:

    1.000.005     -> Một triệu không trăm linh năm đồng
    100.005       -> Một trăm nghìn không trăm linh năm đồng
    105.000       -> Một trăm linh năm nghìn đồng

This module follows that convention, with "linh" (the northern and administrative form;
"lẻ" is the southern one). Groups that are all zeros are not read; thousands of tỷ are
"nghìn tỷ". num2words reads each group of three digits; the grouping is done here.
"""

from __future__ import annotations

from num2words import num2words

_SCALES = ("", "nghìn", "triệu")


def _group(value: int, *, leading: bool) -> str:
    """Read 1..999; a group after the first is read with its zero hundreds and tens."""
    words = str(num2words(value, lang="vi")).replace("lẻ", "linh")
    if leading or value >= 100:
        return words
    if value < 10:
        return f"không trăm linh {words}"
    return f"không trăm {words}"


def _below_billion(value: int, *, leading: bool) -> list[str]:
    parts: list[str] = []
    groups = [(value // 1_000_000) % 1000, (value // 1000) % 1000, value % 1000]
    for index, group in enumerate(groups):
        if group == 0:
            continue
        parts.append(_group(group, leading=leading and not parts))
        scale = _SCALES[2 - index]
        if scale:
            parts.append(scale)
    return parts


def _words(value: int, *, leading: bool) -> list[str]:
    billions, rest = divmod(value, 1_000_000_000)
    parts: list[str] = []
    if billions:
        parts += _words(billions, leading=leading)
        parts.append("tỷ")
    if rest:
        parts += _below_billion(rest, leading=leading and not parts)
    return parts


def amount_in_words(dong: int) -> str:
    """7588630000 -> 'Bảy tỷ năm trăm tám mươi tám triệu sáu trăm ba mươi nghìn đồng'."""
    if isinstance(dong, bool) or not isinstance(dong, int):
        raise TypeError("amounts are whole đồng (int)")
    if dong < 0:
        raise ValueError("an amount in words cannot be negative")
    text = " ".join(_words(dong, leading=True)) if dong else "không"
    return f"{text[0].upper()}{text[1:]} đồng"
