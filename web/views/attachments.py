"""Attachments of evidence on an estimate: the list and the upload form (also on the
estimate's page), the download, and removal from a draft. Every read goes through the
access gate (404 for an estimate the user may not see); every rule is
``attachments.services``'."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBase,
    HttpResponseRedirect,
)
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from approvals.access import access_estimate
from attachments import services
from attachments.files import size_label
from attachments.models import Attachment, AttachmentKind
from attachments.selectors import attachment_for_user, attachment_response, estimate_attachments
from core.errors import RuleViolation
from estimates.models import Estimate
from ledger.models import Disbursement
from web.forms import AttachmentForm


def _to_list(estimate: Estimate) -> HttpResponseRedirect:
    return HttpResponseRedirect(reverse("estimates:detail", args=[estimate.pk]) + "#attachments")


def attachments_context(
    user: Any, estimate: Estimate, disbursements: list[Disbursement] | None = None
) -> dict[str, Any]:
    """What the "Attachments" section shows: every version (one query), the kinds the user
    may attach now and the form (the estimate's disbursements are read only when the user
    may attach a treasury voucher and the caller has not read them already)."""
    rows = list(estimate_attachments(estimate))
    kinds = services.attachment_kinds_allowed(user, estimate)
    if AttachmentKind.TREASURY_VOUCHER in kinds and disbursements is None:
        disbursements = list(Disbursement.objects.filter(estimate=estimate).order_by("paid_on"))
    for row in rows:
        row.size_label = size_label(row.size)  # type: ignore[attr-defined]
        row.deletable = row.is_current and services.attachment_deletable(user, row, estimate)  # type: ignore[attr-defined]
        row.replaceable = row.is_current and row.kind in kinds  # type: ignore[attr-defined]
    return {
        "attachments": rows,
        "attachment_max_size": size_label(services.max_bytes()),
        "disbursements": disbursements or [],
        "attachment_kinds": kinds,
        "attachment_form": (
            AttachmentForm(kinds=kinds, disbursements=disbursements or []) if kinds else None
        ),
    }


@require_http_methods(["GET", "POST"])
def attachments_page(request: HttpRequest, pk: int) -> HttpResponse:
    """GET: the estimate's attachments and the upload form. POST: attach the file, then
    back to the estimate; a refused file shows the form again with the message (400)."""
    estimate = access_estimate(request.user, pk)
    context = attachments_context(request.user, estimate)
    if request.method == "POST":
        # Those who may attach nothing now hear it from the service (403 or a message).
        form = AttachmentForm(
            request.POST,
            request.FILES,
            kinds=context["attachment_kinds"] or AttachmentKind.values,
            disbursements=context["disbursements"],
        )
        if form.is_valid():
            data = form.cleaned_data
            try:
                attachment = services.attachment_add(
                    actor=request.user,
                    estimate_id=estimate.pk,
                    kind=data["kind"],
                    file=data["file"],
                    disbursement_id=data.get("disbursement"),
                    replaces_id=data.get("replaces"),
                )
            except RuleViolation as exc:
                form.add_error(exc.field if exc.field in form.fields else None, exc.message)
            else:
                messages.success(
                    request, _("“%(name)s” was attached.") % {"name": attachment.original_name}
                )
                return _to_list(estimate)
        context["attachment_form"] = form
    context["estimate"] = estimate
    status = 400 if request.method == "POST" else 200
    return render(request, "estimates/attachments.html", context, status=status)


@require_GET
def attachment_download(request: HttpRequest, pk: int, attachment_pk: int) -> HttpResponseBase:
    """The file, saved under its original name; 404 unless the user may see the estimate
    and the attachment is this estimate's."""
    attachment = attachment_for_user(request.user, attachment_pk)
    if attachment.estimate_id != pk:
        raise Http404(_("No such attachment."))
    return attachment_response(attachment)


@require_POST
def attachment_delete(request: HttpRequest, pk: int, attachment_pk: int) -> HttpResponse:
    """Remove an attachment from a draft (its uploader only); refused with a message once the
    estimate has been submitted."""
    attachment: Attachment = attachment_for_user(request.user, attachment_pk)
    if attachment.estimate_id != pk:
        raise Http404(_("No such attachment."))
    try:
        services.attachment_delete(actor=request.user, attachment_id=attachment.pk)
    except RuleViolation as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("“%(name)s” was removed.") % {"name": attachment.original_name})
    return _to_list(attachment.estimate)
