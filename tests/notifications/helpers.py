"""People in each role of the approval chain for Sì Lở Lầu, and a way to move an estimate."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from estimates.models import Estimate
from notifications.models import OutboxEvent
from notifications.services import event_emit
from organization.models import Membership, Role, Unit
from organization.permissions import access_sync
from tests.factories import member_make, user_make


@dataclass
class People:
    drafter: User
    reviewer: User
    reviewer2: User
    appraiser: User
    approver: User
    approver2: User
    accountant: User
    observer: User
    admin: User


def people_make() -> People:
    people = People(
        drafter=member_make("drafter", "si-lo-lau.hlhpn", Role.COMMUNE_WU_OFFICER, sync=False),
        reviewer=member_make(
            "reviewer", "phong-tho.hlhpn", Role.DISTRICT_WU, is_head=True, sync=False
        ),
        reviewer2=member_make("reviewer2", "phong-tho.hlhpn", Role.DISTRICT_WU, sync=False),
        appraiser=member_make(
            "appraiser", "phong-tho.tckh", Role.FINANCE_OFFICER, is_head=True, sync=False
        ),
        approver=member_make("approver", "phong-tho.ubnd", Role.APPROVER, is_head=True, sync=False),
        approver2=member_make("approver2", "phong-tho.ubnd", Role.APPROVER, sync=False),
        accountant=member_make("accountant", "phong-tho.tckh", Role.ACCOUNTANT, sync=False),
        observer=member_make("observer", "phong-tho.dan-toc", Role.OBSERVER, sync=False),
        admin=user_make("root", is_superuser=True, is_staff=True),
    )
    access_sync()
    return people


def transition(
    estimate: Estimate,
    *,
    status: str,
    kind: str,
    actor: User | None,
    acting_for: User | None = None,
    comment: str = "",
) -> OutboxEvent:
    """What an approvals service does: change the status and emit, in one transaction."""
    with transaction.atomic():
        locked = Estimate.objects.select_for_update().get(pk=estimate.pk)
        locked.status = status
        locked.status_changed_at = timezone.now()
        locked.save(update_fields=["status", "status_changed_at"])
        event = event_emit(
            kind=kind, estimate=locked, actor=actor, acting_for=acting_for, comment=comment
        )
    estimate.refresh_from_db()
    return event


def unit(code: str) -> Unit:
    return Unit.objects.get(code=code)


def membership(user: User, role: str) -> Membership:
    return Membership.objects.get(user=user, role=role)
