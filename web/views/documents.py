"""Documents for people: the approval decision of an estimate as a PDF, and its estimate
and settlement forms as Excel workbooks."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse

from approvals.access import access_estimate
from reports.decisions import estimate_decision_pdf
from reports.responses import file_response
from reports.workbooks import XLSX, estimate_form_xlsx, settlement_form_xlsx


def estimate_decision(request: HttpRequest, pk: int) -> HttpResponse:
    """The decision as a PDF shown in the browser (404 for an estimate the user may not
    see, 409 with a message while it has no decision)."""
    content, filename = estimate_decision_pdf(access_estimate(request.user, pk))
    return file_response(content, filename, content_type="application/pdf", inline=True)


def estimate_form(request: HttpRequest, pk: int) -> HttpResponse:
    """The estimate form as an Excel download (404 for an estimate the user may not see)."""
    content, filename = estimate_form_xlsx(access_estimate(request.user, pk))
    return file_response(content, filename, content_type=XLSX)


def settlement_form(request: HttpRequest, pk: int) -> HttpResponse:
    """The settlement form as an Excel download (404 for an estimate the user may not see,
    409 with a message while it has no settlement)."""
    content, filename = settlement_form_xlsx(access_estimate(request.user, pk))
    return file_response(content, filename, content_type=XLSX)
