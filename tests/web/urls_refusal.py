"""The site's addresses plus one stand-in for a transition refused halfway: it writes
everything a transition writes (the estimate, the audit entry, the ledger, the outbox)
inside its transaction, and only then does the access gate refuse."""

from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.urls import URLPattern, URLResolver, path

from approvals.access import authority_check
from approvals.audit import audit_record
from approvals.models import Stage
from config.urls import urlpatterns as site
from estimates.models import Estimate
from ledger.services import ledger_commit
from notifications.services import event_emit
from organization import permissions as perms


def approve_then_refuse(request: HttpRequest, pk: int) -> HttpResponse:
    with transaction.atomic():
        estimate = Estimate.objects.select_for_update().get(pk=pk)
        Estimate.objects.filter(pk=pk).update(title="Đã sửa trước khi bị từ chối")
        ledger_commit(estimate=estimate, actor=request.user)
        audit_record(action="estimate.approved", actor=request.user, estimate=estimate)
        event_emit(kind="estimate.approved", estimate=estimate, actor=request.user)
        authority_check(
            actor=request.user, estimate=estimate, codename=perms.APPROVE, stage=Stage.APPROVAL
        )
    return HttpResponse("not refused")


urlpatterns: list[URLPattern | URLResolver] = [
    path("test/approve-then-refuse/<int:pk>/", approve_then_refuse),
    *site,
]
