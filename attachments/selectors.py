"""Reading attachments, for those who may see the estimate (``approvals.access``)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import FileResponse, Http404
from django.utils.translation import gettext as _

from approvals.access import unit_ids_with
from estimates.models import Estimate
from organization import permissions as perms

from .models import Attachment


def estimate_attachments(estimate: Estimate) -> QuerySet[Attachment]:
    """Every attachment of the estimate, every version, oldest first, with who attached it,
    the version that replaced it and its disbursement (one query)."""
    return (
        Attachment.objects.filter(estimate=estimate)
        .select_related("uploaded_by", "replaced_by", "disbursement")
        .order_by("uploaded_at", "pk")
    )


def attachment_for_user(user: Any, pk: int | str) -> Attachment:
    """An attachment whose estimate ``user`` may see, else 404 (one query)."""
    try:
        pk_int = int(pk)
    except (TypeError, ValueError):
        raise Http404(_("No such attachment.")) from None
    attachment = (
        Attachment.objects.filter(pk=pk_int, estimate__unit_id__any=unit_ids_with(user, perms.VIEW))
        .select_related("estimate")
        .first()
    )
    if attachment is None:
        raise Http404(_("No such attachment."))
    return attachment


def attachment_response(attachment: Attachment) -> FileResponse:
    """The stored file as a download: ``Content-Disposition: attachment`` with the name it
    was attached under (RFC 5987 ``filename*`` for Vietnamese names, by Django), the media
    type found in its content, and ``nosniff`` so that no browser guesses another type."""
    response = FileResponse(
        attachment.file.open("rb"),
        as_attachment=True,
        filename=attachment.original_name,
        content_type=attachment.media_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "sandbox"
    return response
