"""The dashboard of the plan's money: charts and the same figures as tables."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from approvals.access import unit_ids_with
from core.errors import Forbidden
from organization import permissions as perms
from reports.dashboard import MEASURE_LABELS, dashboard
from reports.filters import DashboardFilterForm


@require_GET
def dashboard_page(request: HttpRequest) -> HttpResponse:
    """Allocated, committed, disbursed and settled per envelope cell, per commune and per
    content, and the disbursement progress, for the units the user may see. A filter the
    user may not use (another commune) is a message at its field (400), no figures."""
    if not unit_ids_with(request.user, perms.VIEW):
        raise Forbidden(_("Your role does not open the dashboard."))
    form = DashboardFilterForm(request.GET, user=request.user)
    board = None
    if form.is_valid():
        query = form.query()
        if query is not None:
            board = dashboard(request.user, query)
    status = 400 if form.errors else 200
    return render(
        request,
        "reports/dashboard.html",
        {"form": form, "board": board, "measure_labels": list(MEASURE_LABELS.items())},
        status=status,
    )
