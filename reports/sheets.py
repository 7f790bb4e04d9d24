"""The reports as Excel sheets (through ``reports.xlsx.xlsx_table``): the consolidated
report, the approval decisions and the overdue advances. Each sheet opens with the report's
title, the plan, the filters in force and the date and time it was produced; amounts are
integers in đồng with a number format; totals rows close the table."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from approvals.models import Decision
from estimates.models import Plan
from ledger.models import Disbursement

from .consolidated import ConsolidatedReport
from .filters import ReportQuery
from .listings import Totals
from .xlsx import Column, Row, Sheet


def _heading(title: str, plan: Plan, query: ReportQuery) -> list[str]:
    lines = [title, _("Plan %(number)s: %(title)s") % {"number": plan.number, "title": plan.title}]
    described = query.described()
    if described:
        lines.append(
            _("Filters: %(filters)s") % {"filters": "; ".join(f"{k}: {v}" for k, v in described)}
        )
    else:
        lines.append(_("Filters: none (everything you may see)"))
    produced = timezone.localtime().strftime("%d/%m/%Y %H:%M")
    lines.append(_("Produced on %(when)s") % {"when": produced})
    return lines


def _filename(stem: str, plan: Plan) -> str:
    day = timezone.localdate().isoformat()
    return f"{stem}-{slugify(plan.number)}-{day}.xlsx"


def _money_columns() -> list[Column]:
    return [
        Column(_("Allocated"), 16, money=True),
        Column(_("Reserved"), 16, money=True),
        Column(_("Committed"), 16, money=True),
        Column(_("Disbursed"), 16, money=True),
        Column(_("Spent"), 16, money=True),
        Column(_("Returned"), 16, money=True),
        Column(_("Carried over"), 16, money=True),
    ]


def consolidated_sheet(report: ConsolidatedReport) -> tuple[Sheet, str]:
    """The consolidated report: a row per unit × content × source, each unit's rows per
    source (with its allocation) and its total in bold; then the totals per level and
    source and the grand total."""
    plan = report.query.plan

    def rows() -> Iterator[Row]:
        for kind, cells in report.rows():
            yield Row(cells, bold=kind != "line")

    totals: list[list[Any]] = [
        [t.level_label, _("All contents"), t.label, *t.figures.values()]
        for t in report.level_totals
    ]
    totals.append([_("GRAND TOTAL"), "", "", *report.total.values()])
    sheet = Sheet(
        title=_("Consolidated report"),
        heading=_heading(_("CONSOLIDATED REPORT OF THE PLAN'S MONEY"), plan, report.query),
        columns=[
            Column(_("Unit"), 24),
            Column(_("Content"), 12),
            Column(_("Source"), 24),
            *_money_columns(),
        ],
        rows=rows(),
        totals=totals,
    )
    return sheet, _filename("bao-cao-tong-hop", plan)


def decisions_sheet(
    query: ReportQuery, decisions: QuerySet[Decision], totals: Totals
) -> tuple[Sheet, str]:
    def rows() -> Iterator[list[Any]]:
        for d in decisions.iterator(chunk_size=2000):
            estimate = d.estimate
            if estimate is None:  # the list holds the estimates' decisions only
                continue
            yield [
                d.symbol,
                d.issued_on.strftime("%d/%m/%Y"),
                estimate.number,
                estimate.title,
                estimate.unit.name,
                d.amount,
            ]

    sheet = Sheet(
        title=_("Approval decisions"),
        heading=_heading(_("APPROVAL DECISIONS ISSUED"), query.plan, query),
        columns=[
            Column(_("Number and symbol"), 18),
            Column(_("Date"), 12),
            Column(_("Estimate"), 16),
            Column(_("Title"), 40),
            Column(_("Spending unit"), 24),
            Column(_("Approved amount"), 18, money=True),
        ],
        rows=rows(),
        totals=[[_("Total: %(n)s decisions") % {"n": totals.count}, "", "", "", "", totals.amount]],
    )
    return sheet, _filename("quyet-dinh-phe-duyet", query.plan)


def advances_sheet(
    advances: QuerySet[Disbursement], totals: Totals, today: dt.date
) -> tuple[Sheet, str]:
    def rows() -> Iterator[list[Any]]:
        for d in advances.iterator(chunk_size=2000):
            yield [
                d.estimate.number,
                d.estimate.title,
                d.estimate.unit.name,
                d.paid_on.strftime("%d/%m/%Y"),
                d.clear_by.strftime("%d/%m/%Y") if d.clear_by else "",
                d.amount,
                f"{d.get_document_type_display()} {d.document_number}",
                d.payee,
            ]

    heading = [
        _("ADVANCES OVERDUE"),
        _("Not cleared by the last day of the month after they were paid; as of %(day)s")
        % {"day": today.strftime("%d/%m/%Y")},
        _("Produced on %(when)s") % {"when": timezone.localtime().strftime("%d/%m/%Y %H:%M")},
    ]
    sheet = Sheet(
        title=_("Overdue advances"),
        heading=heading,
        columns=[
            Column(_("Estimate"), 16),
            Column(_("Title"), 40),
            Column(_("Spending unit"), 24),
            Column(_("Paid on"), 12),
            Column(_("To clear by"), 12),
            Column(_("Amount"), 18, money=True),
            Column(_("Document"), 24),
            Column(_("Payee"), 24),
        ],
        rows=rows(),
        totals=[[_("Total: %(n)s advances") % {"n": totals.count}, "", "", "", "", totals.amount]],
    )
    return sheet, f"tam-ung-qua-han-{today.isoformat()}.xlsx"
