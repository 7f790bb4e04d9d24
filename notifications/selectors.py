"""Reads of the notifications app: the bell, the list, what waits for whom, what is late."""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass

from django.contrib.auth.models import User
from django.contrib.contenttypes.models import ContentType
from django.db.models import Q, QuerySet
from django.utils import timezone
from guardian.models import GroupObjectPermission

from approvals import lifecycle
from delegations.selectors import delegations_active_for
from estimates.models import Estimate, EstimateStatus
from organization.models import Unit
from organization.permissions import group_name

from .deadlines import DEADLINE_STAGES, holiday_window, stage_clock, stage_rules
from .models import Notification
from .recipients import actors_for
from .render import estimate_path


def unread_count(user: User) -> int:
    """The bell's number: notices neither read nor overtaken (one indexed count)."""
    return Notification.objects.filter(
        recipient_id=user.pk, read_at__isnull=True, overtaken_at__isnull=True
    ).count()


def notifications_for(user: User) -> QuerySet[Notification]:
    return Notification.objects.filter(recipient_id=user.pk).order_by("-created_at", "-pk")


def work_waiting_by_user() -> dict[int, list[int]]:
    """For each user, the estimates waiting for them to act (the daily digest): estimates in
    a stage where they hold the stage permission (or act for someone who does), and the
    drafter's returned estimates."""
    waiting: dict[int, list[int]] = defaultdict(list)
    groups: dict[tuple[str, int], list[int]] = defaultdict(list)
    rows = Estimate.objects.filter(
        status__in=[*lifecycle.ACTING_STATUSES, EstimateStatus.RETURNED]
    ).values_list("pk", "status", "unit_id", "created_by_id")
    for pk, status, unit_id, created_by_id in rows.order_by("pk"):
        if status == EstimateStatus.RETURNED:
            waiting[created_by_id].append(pk)
        else:
            groups[(status, unit_id)].append(pk)
    units = Unit.objects.in_bulk({unit_id for _, unit_id in groups})
    for (status, unit_id), pks in groups.items():
        for user in actors_for(lifecycle.STATUS_PERMISSIONS[status], units[unit_id]):
            waiting[user.pk].extend(pks)
    return {user_id: sorted(set(pks)) for user_id, pks in waiting.items()}


@dataclass(frozen=True)
class OverdueItem:
    estimate: Estimate
    deadline: datetime.date
    days_late: int
    url: str


def _stage_units(user: User, on: datetime.date) -> dict[str, set[int]]:
    """Per deadline stage, the units where ``user`` holds the stage permission, through their
    role groups or as a delegate acting for someone today."""
    unit_ct = ContentType.objects.get_for_model(Unit)
    codenames = {lifecycle.STATUS_PERMISSIONS[s]: s for s in DEADLINE_STAGES}
    delegated = [
        group_name(d.membership.role, d.membership.unit) for d in delegations_active_for(user, on)
    ]
    grants = GroupObjectPermission.objects.filter(
        Q(group__user=user) | Q(group__name__in=delegated),
        content_type=unit_ct,
        permission__codename__in=list(codenames),
    ).values_list("permission__codename", "object_pk")
    found: dict[str, set[int]] = defaultdict(set)
    for codename, object_pk in grants:
        found[codenames[codename]].add(int(object_pk))
    return found


def overdue_for_user(user: User, today: datetime.date | None = None) -> list[OverdueItem]:
    """Estimates past their stage deadline where ``user`` acts, most late first."""
    today = today or timezone.localdate()
    stage_units = _stage_units(user, today)
    if not stage_units:
        return []
    where = Q()
    for stage, unit_ids in stage_units.items():
        where |= Q(status=stage, unit_id__in=unit_ids)
    rules = stage_rules()
    holidays = holiday_window(today)
    items: list[OverdueItem] = []
    estimates = Estimate.objects.filter(where, status_changed_at__isnull=False).select_related(
        "unit"
    )
    for estimate in estimates:
        assert estimate.status_changed_at is not None  # noqa: S101 - filtered above
        clock = stage_clock(
            stage=estimate.status,
            entered_at=estimate.status_changed_at,
            today=today,
            rules=rules,
            holidays=holidays,
        )
        if clock is not None and clock.deadline < today:
            items.append(
                OverdueItem(estimate, clock.deadline, clock.days_late, estimate_path(estimate.pk))
            )
    items.sort(key=lambda item: (-item.days_late, item.deadline, item.estimate.pk))
    return items
