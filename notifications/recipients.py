"""Who must be told: from the estimate's new status and its unit, by permission.

People who act are those holding the stage's object permission on ``estimate.unit``
through their role groups (``organization.permissions``), plus anyone a delegation lets act
for one of them today. The drafter (``estimate.created_by``) is told what happens to their
estimate. The actor (and the person they acted for) is never told about their own act,
and a superuser is a recipient only through a role.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.auth.models import User
from django.contrib.contenttypes.models import ContentType
from django.db.models import Q
from django.utils import timezone
from guardian.models import GroupObjectPermission, UserObjectPermission

from delegations.selectors import delegates_for
from estimates.models import Estimate, EstimateStatus
from organization import permissions as perms
from organization.models import Membership, Unit

from .models import EventKind

#: The permission whose holders act on an estimate in each status.
STAGE_PERMISSION: dict[str, str] = {
    EstimateStatus.DRAFT: perms.DRAFT,
    EstimateStatus.RETURNED: perms.DRAFT,
    EstimateStatus.REVIEW: perms.REVIEW,
    EstimateStatus.APPRAISAL: perms.APPRAISE,
    EstimateStatus.APPROVAL: perms.APPROVE,
    EstimateStatus.APPROVED: perms.DISBURSE,
    EstimateStatus.SETTLEMENT: perms.VERIFY,
}

#: Statuses where the people holding the stage permission must act.
ACTING_STATUSES = frozenset(
    {
        EstimateStatus.REVIEW,
        EstimateStatus.APPRAISAL,
        EstimateStatus.APPROVAL,
        EstimateStatus.APPROVED,
        EstimateStatus.SETTLEMENT,
    }
)

#: Events that put the estimate in front of the people of its new stage.
STAGE_KINDS = frozenset(
    {
        EventKind.SUBMITTED,
        EventKind.FORWARDED,
        EventKind.RETURNED,
        EventKind.APPRAISED,
        EventKind.APPROVED,
        EventKind.SETTLEMENT_SUBMITTED,
    }
)

#: Events the drafter is told about, whatever the status.
DRAFTER_KINDS = frozenset(
    {
        EventKind.RETURNED,
        EventKind.APPROVED,
        EventKind.DISBURSED,
        EventKind.SETTLEMENT_RETURNED,
        EventKind.CLOSED,
        EventKind.WITHDRAWN,
    }
)


def holders_of(perm_codename: str, unit: Unit) -> list[User]:
    """Active users holding ``perm_codename`` on ``unit`` through a group or directly.
    Superusers are not included unless they hold it through a role."""
    unit_ct = ContentType.objects.get_for_model(Unit)
    group_ids = GroupObjectPermission.objects.filter(
        permission__codename=perm_codename, content_type=unit_ct, object_pk=str(unit.pk)
    ).values("group_id")
    user_ids = UserObjectPermission.objects.filter(
        permission__codename=perm_codename, content_type=unit_ct, object_pk=str(unit.pk)
    ).values("user_id")
    return list(
        User.objects.filter(is_active=True)
        .filter(Q(groups__in=group_ids) | Q(pk__in=user_ids))
        .distinct()
        .order_by("pk")
    )


def actors_for(perm_codename: str, unit: Unit) -> list[User]:
    """Holders of the permission, and the delegates acting for them today."""
    holders = holders_of(perm_codename, unit)
    delegated = delegates_for([u.pk for u in holders], perm_codename, unit, timezone.localdate())
    found = {u.pk: u for u in holders}
    for delegates in delegated.values():
        for d in delegates:
            found.setdefault(d.pk, d)
    return list(found.values())


def heads_for(perm_codename: str, unit: Unit) -> list[User]:
    """The heads of the agencies whose role groups hold ``perm_codename`` on ``unit``."""
    unit_ct = ContentType.objects.get_for_model(Unit)
    names = GroupObjectPermission.objects.filter(
        permission__codename=perm_codename, content_type=unit_ct, object_pk=str(unit.pk)
    ).values_list("group__name", flat=True)
    agency_codes = {name.split("@", 1)[1] for name in names if "@" in name}
    if not agency_codes:
        return []
    return list(
        User.objects.filter(
            is_active=True,
            pk__in=Membership.objects.active()
            .filter(unit__code__in=agency_codes, is_head=True)
            .values("user_id"),
        ).order_by("pk")
    )


def _without(users: Iterable[User], excluded: Iterable[User | None]) -> list[int]:
    skip = {u.pk for u in excluded if u is not None}
    seen: list[int] = []
    for u in users:
        if u.pk not in skip and u.pk not in seen:
            seen.append(u.pk)
    return seen


def recipients_for_event(
    *,
    kind: str,
    estimate: Estimate,
    actor: User | None,
    acting_for: User | None = None,
) -> list[int]:
    """The ids of the users told about ``kind`` on ``estimate`` (in its new status)."""
    users: list[User] = []
    status = estimate.status
    if kind in STAGE_KINDS and status in ACTING_STATUSES:
        users.extend(actors_for(STAGE_PERMISSION[status], estimate.unit))
    if kind in DRAFTER_KINDS:
        users.append(estimate.created_by)
    return _without(users, [actor, acting_for])
