"""The reports of the plan's money: the consolidated report, the approval decisions and
the overdue advances, on screen and as Excel. Short exports are served at once; a long one
is produced in the background (``reports.exports``) and offered, when ready, to the user
who asked only."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from approvals.access import follows_advances, unit_ids_with
from beneficiaries.selectors import group_totals
from core.errors import Forbidden, RuleViolation
from core.pagination import AtLeast
from organization import permissions as perms
from reports.consolidated import consolidated_report
from reports.exports import export_is_long, export_prepare, export_start
from reports.filters import DecisionFilterForm, ReportFilterForm
from reports.listings import decision_list_for_user, totals_of
from reports.models import ExportKind, ExportStatus, ReportExport
from reports.responses import file_response
from reports.xlsx import XLSX
from web.views.money import advances_overdue_list

#: Decisions shown per page (the Excel file holds them all).
DECISIONS_PAGE = 50


def _may_read(request: HttpRequest) -> None:
    if not unit_ids_with(request.user, perms.VIEW):
        raise Forbidden(_("Your role does not open the reports."))


@require_GET
def consolidated(request: HttpRequest) -> HttpResponse:
    """The table per unit × content × source with its totals, and the filter form. A
    filter the user may not use (another commune) is a message at its field, no table."""
    _may_read(request)
    form = ReportFilterForm(request.GET, user=request.user)
    report = groups = None
    if form.is_valid():
        query = form.query()
        if query is not None:
            report = consolidated_report(request.user, query)
            groups = group_totals(request.user, query)
    status = 400 if form.errors else 200
    return render(
        request,
        "reports/consolidated.html",
        {"form": form, "report": report, "groups": groups},
        status=status,
    )


@require_GET
def decisions(request: HttpRequest) -> HttpResponse:
    """The approval decisions issued (number and symbol, date, estimate, unit, amount)."""
    _may_read(request)
    form = DecisionFilterForm(request.GET, user=request.user)
    page = totals = query = None
    if form.is_valid():
        query = form.query()
        if query is not None:
            queryset = decision_list_for_user(request.user, query)
            totals = totals_of(queryset)
            page = Paginator(queryset, DECISIONS_PAGE).get_page(request.GET.get("page"))
    status = 400 if form.errors else 200
    return render(
        request,
        "reports/decisions.html",
        {"form": form, "page": page, "totals": totals, "query": query},
        status=status,
    )


def export_answer(request: HttpRequest, kind: str) -> HttpResponse:
    """The workbook of ``kind`` under the request's filters at once, or, for a selection
    longer than ``REPORTS_EXPORT_ASYNC_ROWS`` rows, the page that offers to produce it in
    the background (the reports and the list pages' exports alike). A refused filter is
    the ``RuleViolation`` naming it."""
    prepared = export_prepare(user=request.user, kind=kind, params=request.GET)
    if export_is_long(prepared):
        return render(
            request,
            "reports/export_long.html",
            {
                "kind": kind,
                "rows": prepared.rows,
                # Counted only far enough to tell it is long ("5001+").
                "rows_more_than": (
                    settings.REPORTS_EXPORT_ASYNC_ROWS
                    if isinstance(prepared.rows, AtLeast)
                    else None
                ),
                "filters": [(k, v) for k, values in request.GET.lists() for v in values],
            },
        )
    return file_response(prepared.write(), prepared.filename, content_type=XLSX)


def _export(request: HttpRequest, kind: str, page: Any) -> HttpResponse:
    """``export_answer``; a bad filter answers the report's page with the message."""
    try:
        return export_answer(request, kind)
    except RuleViolation:
        return page(request)


@require_GET
def consolidated_xlsx(request: HttpRequest) -> HttpResponse:
    _may_read(request)
    return _export(request, ExportKind.CONSOLIDATED, consolidated)


@require_GET
def decisions_xlsx(request: HttpRequest) -> HttpResponse:
    _may_read(request)
    return _export(request, ExportKind.DECISIONS, decisions)


@require_GET
def advances_overdue_xlsx(request: HttpRequest) -> HttpResponse:
    """The overdue advances as Excel (the accountant and Finance-Planning)."""
    if not follows_advances(request.user):
        raise Forbidden(_("Your role does not follow advances."))
    return _export(request, ExportKind.ADVANCES, advances_overdue_list)


@require_POST
def export_create(request: HttpRequest) -> HttpResponse:
    """Start producing a long export; then its page shows the progress."""
    kind = request.POST.get("kind", "")
    if kind not in ExportKind.values:
        raise Http404(_("No such report."))
    params = {k: v for k, v in request.POST.lists() if k not in {"kind", "csrfmiddlewaretoken"}}
    prepared = export_prepare(user=request.user, kind=kind, params=params)
    export = export_start(user=request.user, kind=kind, params=params, rows=prepared.rows)
    return redirect("reports:export", pk=export.pk)


def _own_export(request: HttpRequest, pk: int) -> ReportExport:
    export = ReportExport.objects.filter(pk=pk, user_id=request.user.pk or 0).first()
    if export is None:
        raise Http404(_("No such export."))
    return export


@require_GET
def export_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """How far the export got (the page refreshes itself until it is ready), then the
    link to the file. Another user's export is a 404."""
    export = _own_export(request, pk)
    waiting = export.status in {ExportStatus.PENDING, ExportStatus.RUNNING}
    return render(request, "reports/export.html", {"export": export, "waiting": waiting})


@require_GET
def export_download(request: HttpRequest, pk: int) -> FileResponse:
    export = _own_export(request, pk)
    if export.status != ExportStatus.READY or not export.file:
        raise Http404(_("This export is not ready."))
    return FileResponse(
        export.file.open("rb"), as_attachment=True, filename=export.filename, content_type=XLSX
    )
