"""Documents for people: the approval decision of an estimate as a PDF."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse

from approvals.access import access_estimate
from reports.decisions import estimate_decision_pdf


def estimate_decision(request: HttpRequest, pk: int) -> HttpResponse:
    """The decision as a PDF shown in the browser (404 for an estimate the user may not
    see, 409 with a message while it has no decision)."""
    estimate = access_estimate(request.user, pk)
    content, filename = estimate_decision_pdf(estimate)
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    return response
