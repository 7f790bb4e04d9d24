"""Who must be told: from the estimate's new status and its unit, by permission.

Who is told about which event is the lifecycle table's (``approvals.lifecycle.audience``).
People who act are those holding the stage's object permission on ``estimate.unit``
through their role groups (``organization.permissions.holders``, the access gate's rule),
plus anyone a delegation lets act for one of them today. The drafter
(``estimate.created_by``) is told what happens to their estimate. The actor (and the
person they acted for) is never told about their own act, and a superuser is a recipient
only through a role.
"""

from __future__ import annotations

from django.contrib.auth.models import User
from django.db.models import Q
from django.utils import timezone

from approvals import lifecycle
from delegations.selectors import delegate_ids_for
from estimates.models import Estimate
from organization import permissions as perms
from organization.models import Membership, Unit


def actors_for(perm_codename: str, unit: Unit) -> list[User]:
    """Holders of the permission, and the delegates acting for them today (one query)."""
    delegates = delegate_ids_for(perm_codename, unit, timezone.localdate())
    return list(
        User.objects.filter(is_active=True)
        .filter(Q(pk__in=perms.holders(perm_codename, unit.pk).values("pk")) | Q(pk__in=delegates))
        .order_by("pk")
    )


def actor_ids_for(perm_codename: str, unit: Unit) -> list[int]:
    """The ids of ``actors_for``, in order (one query: the holders' ids from the group
    memberships, ``organization.permissions.holder_ids_query``, united with the active
    delegates acting for them today; no user rows read)."""
    delegates = delegate_ids_for(perm_codename, unit, timezone.localdate()).filter(
        delegate__is_active=True
    )
    holders = perms.holder_ids_query(perm_codename, unit.pk)
    # Unordered parts: SQLite refuses an ORDER BY inside a UNION (a delegation's default one).
    united = holders.order_by().union(delegates.order_by().values_list("delegate_id", flat=True))
    return sorted(set(united))


def heads_for(perm_codename: str, unit: Unit) -> list[User]:
    """The heads of the agencies whose role groups hold ``perm_codename`` on ``unit``."""
    names = perms.groups_holding(perm_codename, unit.pk)
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


def recipients_for_event(
    *,
    kind: str,
    estimate: Estimate,
    actor: User | None,
    acting_for: User | None = None,
    status: str | None = None,
) -> list[int]:
    """The ids of the users told about ``kind`` on ``estimate`` (in its new status, or
    ``status``: the new status of its amendment)."""
    ids: list[int] = []
    new_status = status or estimate.status
    told = lifecycle.audience(kind, new_status)
    permission = lifecycle.acting_permission(new_status)
    if lifecycle.NEXT in told and permission is not None:
        ids.extend(actor_ids_for(permission, estimate.unit))
    if lifecycle.DRAFTER in told and estimate.created_by_id is not None:
        ids.append(estimate.created_by_id)
    if kind in lifecycle.RESETTLE_EVENTS:
        # Whoever reports the settlement corrects it: the drafter, or where the plan's
        # level makes the commune the spending unit, the commune's accountant.
        settle = lifecycle.row_for_estimate(lifecycle.rows("settle")[0], estimate)
        if settle.permission != perms.DRAFT:
            ids.extend(u.pk for u in actors_for(settle.permission, estimate.unit))
    skip = {u.pk for u in (actor, acting_for) if u is not None}
    return [pk for pk in dict.fromkeys(ids) if pk not in skip]
