"""The Excel export of each list page: exactly the rows the page lists under its current
filters (every page of them), read through the page's own selectors and access rules, so
that what a user cannot see on the page is not in the file either. Each export only names
its columns; ``reports.list_workbooks.ListWorkbook`` writes the file and
``reports.responses.file_response`` serves it. The query count of each export does not
grow with the number of rows (tests/web/test_list_exports.py pins them)."""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _

from core.auth import request_user
from core.errors import Forbidden, RuleViolation
from core.pagination import count_up_to
from core.security import refusal_list
from delegations.models import Delegation
from delegations.selectors import delegations_for_user
from estimates.models import status_label
from notifications.selectors import notifications_for
from organization.selectors import TreeNode, unit_tree
from reports.exports import Prepared, export_kind_register
from reports.list_workbooks import XLSX, Column, ListWorkbook
from reports.models import ExportKind
from reports.responses import file_response
from web.filters import filter_errors, filter_summary
from web.views.estimates import (
    TABLE_FIELDS,
    estimate_inbox_queryset_for,
    estimate_list_filtered_for,
    estimate_list_totals,
)
from web.views.money import envelope_access, envelope_figures
from web.views.reports import export_answer

#: Rows read from the database at a time for the long lists (the security log, estimates).
CHUNK = 2000


def _when(value: datetime.datetime | None) -> str:
    return timezone.localtime(value).strftime("%d/%m/%Y %H:%M") if value else ""


def _day(value: datetime.date | None) -> str:
    return value.strftime("%d/%m/%Y") if value else ""


def _send(book: ListWorkbook, stem: str) -> HttpResponse:
    return file_response(book.content(), book.filename(stem), content_type=XLSX)


# ---------------------------------------------------------------------------------------
# Estimates


def _estimate_columns() -> list[Column]:
    return [
        Column(_("Estimate"), lambda e: e.number, width=16),
        Column(_("Title"), lambda e: e.title, width=40),
        Column(_("Unit"), lambda e: e.unit.name, width=22),
        Column(_("Content"), lambda e: e.content.code, width=10),
        Column(_("Status"), lambda e: str(status_label(e.status)), width=16),
        Column(_("In this status since"), lambda e: _when(e.status_changed_at), width=17),
        Column(_("Requested"), lambda e: e.total_amount, money=True),
        Column(_("Appraised"), lambda e: e.appraised_amount, money=True),
        Column(_("Approved"), lambda e: e.approved_amount, money=True),
    ]


def _rows(queryset: Any) -> Iterator[Any]:
    return queryset.iterator(chunk_size=CHUNK)


def _estimate_rows(queryset: Any) -> Iterator[Any]:
    """The estimates of an export, with the columns it writes only (``TABLE_FIELDS``, the
    list pages' own)."""
    return _rows(queryset.only(*TABLE_FIELDS))


def _list_prepared(user: Any, params: Any) -> Prepared:
    """The estimate list's export under the filters ``params``, for ``user``; a refused
    filter (a commune the user may not see, an unknown status) is a ``RuleViolation``
    naming it."""
    filterset, queryset = estimate_list_filtered_for(user, params)
    if filterset.is_bound and not filterset.is_valid():
        raise RuleViolation(filter_errors(filterset))
    rows = estimate_list_totals(user, filterset, queryset)["count"]
    book = ListWorkbook(_("Estimates"), filters=filter_summary(filterset))
    book.table(_estimate_columns(), _estimate_rows(queryset))
    return Prepared(rows, None, book.filename("estimates"), writer=book.content)


def _inbox_prepared(user: Any, params: Any) -> Prepared:
    """What waits for ``user``, counted only as far as telling a long export (a district's
    inbox holds tens of thousands: counting them all cost every export); the background
    export counts them exactly for its progress."""
    queryset = estimate_inbox_queryset_for(user, params)
    book = ListWorkbook(_("Waiting for me"))
    book.table(_estimate_columns(), _estimate_rows(queryset))
    return Prepared(
        count_up_to(queryset, settings.REPORTS_EXPORT_ASYNC_ROWS + 1),
        None,
        book.filename("inbox"),
        writer=book.content,
        exact_rows=queryset.count,
    )


export_kind_register(ExportKind.ESTIMATES, _list_prepared)
export_kind_register(ExportKind.INBOX, _inbox_prepared)


def estimate_list_export(request: HttpRequest) -> HttpResponse:
    """The estimate list under its filters (in the background when long, like the
    reports'); a refused filter is a 400 naming the filter, and no file."""
    return export_answer(request, ExportKind.ESTIMATES)


def estimate_inbox_export(request: HttpRequest) -> HttpResponse:
    return export_answer(request, ExportKind.INBOX)


# ---------------------------------------------------------------------------------------
# The commune shares of the envelope


def envelope_export(request: HttpRequest) -> HttpResponse:
    plan, _manageable = envelope_access(request)
    cells, rows = envelope_figures(plan)
    book = ListWorkbook(
        _("Commune shares of the envelope"), filters=[(_("Plan"), f"{plan.number}")]
    )
    book.table(
        [
            Column(_("Commune-level cell"), lambda c: c[0].label, width=30),
            Column(_("Allocation"), lambda c: c[0].allocated, money=True),
            Column(_("Shared out"), lambda c: c[1], money=True),
            Column(_("Reserved"), lambda c: c[0].reserved, money=True),
            Column(_("Committed"), lambda c: c[0].committed, money=True),
            Column(_("Free"), lambda c: c[0].free, money=True),
        ],
        cells,
    )
    book.table(
        [
            Column(_("Commune"), lambda r: r.name, width=30),
            Column(_("Source"), lambda r: r.label, width=24),
            Column(_("Share"), lambda r: r.subenvelope, money=True),
            Column(_("Reserved + committed"), lambda r: r.reserved + r.committed, money=True),
            Column(_("Free in the share"), lambda r: r.free, money=True),
            Column(_("Disbursed"), lambda r: r.disbursed, money=True),
        ],
        rows,
        heading=_("Per commune"),
    )
    return _send(book, "envelope")


# ---------------------------------------------------------------------------------------
# The unit tree, the security log, notifications, delegations


def _flatten(nodes: list[TreeNode], depth: int = 0) -> Iterator[tuple[int, TreeNode]]:
    for node in nodes:
        yield depth, node
        yield from _flatten(node.children, depth + 1)


def unit_tree_export(request: HttpRequest) -> HttpResponse:
    book = ListWorkbook(_("Organisation"))
    book.table(
        [
            Column(_("Unit"), lambda r: "    " * r[0] + r[1].unit.name, width=44),
            Column(_("Kind"), lambda r: r[1].unit.get_kind_display(), width=16),
            Column(_("Agency"), lambda r: r[1].unit.get_agency_type_display(), width=30),
            Column(_("Code"), lambda r: r[1].unit.code, width=24),
        ],
        _flatten(unit_tree()),
    )
    return _send(book, "organisation")


def refusal_export(request: HttpRequest) -> HttpResponse:
    if not request.user.has_perm("core.view_securityevent"):
        raise Forbidden(_("Only the auditor reads the security log."))
    book = ListWorkbook(_("Refused actions"))
    book.table(
        [
            Column(_("When"), lambda e: _when(e.occurred_at), width=17),
            Column(_("User"), lambda e: e.username or _("not signed in"), width=20),
            Column(_("Request"), lambda e: f"{e.method} {e.path}", width=40),
            Column(_("Page or endpoint"), lambda e: e.view, width=30),
            Column(_("Estimate"), lambda e: e.estimate_id, width=10),
            Column(_("Reason"), lambda e: e.message, width=50),
        ],
        _rows(refusal_list()),
    )
    return _send(book, "refusals")


def notification_export(request: HttpRequest) -> HttpResponse:
    book = ListWorkbook(_("Notifications"))
    book.table(
        [
            Column(_("Notification"), lambda n: n.title, width=60),
            Column(_("Received"), lambda n: _when(n.created_at), width=17),
            Column(_("Read"), lambda n: _when(n.read_at), width=17),
        ],
        _rows(notifications_for(request_user(request))),
    )
    return _send(book, "notifications")


def _delegation_state(d: Delegation, today: datetime.date) -> str:
    if d.revoked_at:
        return _("Revoked")
    if d.ends_on < today:
        return _("Ended")
    return _("In force") if d.starts_on <= today else _("Planned")


def delegation_export(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    mine = delegations_for_user(request_user(request))
    columns = [
        Column(_("Delegator"), lambda d: d.delegator.get_full_name() or d.delegator.username),
        Column(_("Delegated to"), lambda d: d.delegate.get_full_name() or d.delegate.username),
        Column(
            _("Role"),
            lambda d: f"{d.membership.get_role_display()} · {d.membership.unit}",
            width=36,
        ),
        Column(_("From"), lambda d: _day(d.starts_on), width=12),
        Column(_("Until"), lambda d: _day(d.ends_on), width=12),
        Column(_("Reason"), lambda d: d.reason, width=40),
        Column(_("State"), lambda d: _delegation_state(d, today), width=14),
    ]
    book = ListWorkbook(_("Delegations"))
    book.table(columns, mine["given"], heading=_("Delegations I gave"))
    book.table(columns, mine["received"], heading=_("Delegations I received"))
    return _send(book, "delegations")
