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
from django.db import connection
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


#: ``actors_for``'s ids in one hand-written statement. Every transition runs it for its
#: recipients, and compiling the same question from querysets (the holders united with the
#: delegations in force, each with its subqueries) cost more Python than the rest of the
#: recipients' work; ``tests/notifications/test_recipients_sql.py`` holds it equal to
#: ``actors_for`` (the querysets of ``organization.permissions`` and ``delegations``).
#: The permission is looked up once by its unique (content type, codename) key rather than
#: joined: joined, a planner without statistics read the permission table once per grant.
_ACTOR_IDS_SQL = """
SELECT ug.user_id
  FROM auth_user_groups ug
  JOIN auth_user u ON u.id = ug.user_id AND u.is_active
  JOIN guardian_groupobjectpermission gop ON gop.group_id = ug.group_id
 WHERE gop.content_type_id = %(ct)s AND gop.object_pk = %(pk)s
   AND gop.permission_id = (
       SELECT p.id FROM auth_permission p
        WHERE p.content_type_id = %(ct)s AND p.codename = %(code)s)
UNION
SELECT d.delegate_id
  FROM delegations_delegation d
  JOIN auth_user delegate ON delegate.id = d.delegate_id AND delegate.is_active
  JOIN auth_user delegator ON delegator.id = d.delegator_id AND delegator.is_active
  JOIN organization_membership m ON m.id = d.membership_id AND m.is_active
  JOIN organization_unit mu ON mu.id = m.unit_id
  JOIN auth_group g ON g.name = m.role || '@' || mu.code
  JOIN guardian_groupobjectpermission gop ON gop.group_id = g.id
 WHERE d.revoked_at IS NULL AND d.starts_on <= %(today)s AND d.ends_on >= %(today)s
   AND gop.content_type_id = %(ct)s AND gop.object_pk = %(pk)s
   AND gop.permission_id = (
       SELECT p.id FROM auth_permission p
        WHERE p.content_type_id = %(ct)s AND p.codename = %(code)s)
   AND EXISTS (
       SELECT 1 FROM organization_membership dm
         JOIN auth_user du ON du.id = dm.user_id AND du.is_active
        WHERE dm.is_active AND dm.role = m.role AND dm.unit_id = m.unit_id
          AND dm.user_id = d.delegate_id)
"""


def actor_ids_for(perm_codename: str, unit: Unit) -> list[int]:
    """The ids of ``actors_for``, in order: the active holders of the permission on the
    unit and the active delegates acting for one of them today (one statement, no user
    rows read)."""
    unit_ct = perms.unit_content_type_id()
    today = timezone.localdate()
    with connection.cursor() as cursor:
        cursor.execute(
            _ACTOR_IDS_SQL,
            {"ct": unit_ct, "pk": str(unit.pk), "code": perm_codename, "today": today},
        )
        return sorted({row[0] for row in cursor.fetchall()})


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
