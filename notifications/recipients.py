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

from collections.abc import Iterable

from django.contrib.auth.models import User
from django.utils import timezone

from approvals import lifecycle
from delegations.selectors import delegates_for
from estimates.models import Estimate
from organization import permissions as perms
from organization.models import Membership, Unit


def actors_for(perm_codename: str, unit: Unit) -> list[User]:
    """Holders of the permission, and the delegates acting for them today."""
    holders = list(perms.holders(perm_codename, unit.pk))
    delegated = delegates_for([u.pk for u in holders], perm_codename, unit, timezone.localdate())
    found = {u.pk: u for u in holders}
    for delegates in delegated.values():
        for d in delegates:
            found.setdefault(d.pk, d)
    return list(found.values())


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
    told = lifecycle.audience(kind, estimate.status)
    if lifecycle.NEXT in told:
        users.extend(actors_for(lifecycle.STATUS_PERMISSIONS[estimate.status], estimate.unit))
    if lifecycle.DRAFTER in told:
        users.append(estimate.created_by)
    return _without(users, [actor, acting_for])
