"""The payment list (danh sách chi trả) of an estimate's beneficiaries, for the treasury and
for signature: STT, name, village, the amount of each component, the total and a column
to sign, as Excel (``reports.list_workbooks``) and as PDF (WeasyPrint, the decision's font
and its fetcher that reads nothing but the font: ``reports.decisions``).

The caller read the list through ``selectors.payment_list_register`` (the personal-data
roles only). National ID numbers are printed as the reader may see them (whole for those
who pay, masked otherwise)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _
from weasyprint import HTML

from core.money import format_vnd
from reports.decisions import _SystemFontsOnly, date_line
from reports.list_workbooks import Column, ListWorkbook

from .models import Component
from .selectors import Register, Row


def _stem(register: Register) -> str:
    return f"DSCT-{register.estimate.number}"


def _amount_of(component: str) -> Callable[[Row], int]:
    return lambda row: row.amounts.get(component, 0)


def payment_list_xlsx(register: Register) -> tuple[bytes, str]:
    estimate = register.estimate
    columns = [
        Column(_("No."), lambda r: r.number, width=6),
        Column(_("Full name"), lambda r: r.name, width=28),
        Column(_("National ID number"), lambda r: r.national_id, width=16),
        Column(_("Village"), lambda r: r.village, width=16),
    ]
    for component in Component:
        columns.append(
            Column(str(component.label), _amount_of(component.value), money=True, width=14)
        )
    columns += [
        Column(_("Total"), lambda r: r.total, money=True, width=14),
        Column(_("Signature"), lambda r: "", width=18),
    ]
    book = ListWorkbook(
        title=str(_("Payment list")),
        filters=[
            (str(_("Estimate")), f"{estimate.number} · {estimate.title}"),
            (str(_("Unit")), estimate.unit.name),
        ],
    )
    book.table(columns, register.rows)
    return book.content(), book.filename(_stem(register))


def _context(register: Register) -> dict[str, Any]:
    rows: list[dict[str, Any]] = []
    row: Row
    for row in register.rows:
        rows.append(
            {
                "row": row,
                "amounts": [
                    format_vnd(row.amounts.get(c.value, 0), symbol=False) for c in Component
                ],
                "total": format_vnd(row.total, symbol=False),
            }
        )
    estimate = register.estimate
    return {
        "estimate": estimate,
        "components": [str(c.label) for c in Component],
        "rows": rows,
        "totals": [format_vnd(register.totals.get(c.value, 0), symbol=False) for c in Component],
        "total": format_vnd(register.total, symbol=False),
        "norms": register.norms,
        "date_line": date_line(estimate.unit.name, timezone.localdate()),
    }


def payment_list_pdf(register: Register) -> tuple[bytes, str]:
    html = render_to_string("beneficiaries/payment_list.html", _context(register))
    document = HTML(string=html, url_fetcher=_SystemFontsOnly(allowed_protocols={"file"}))
    return bytes(document.write_pdf()), f"{_stem(register)}.pdf"
