"""From roles to object permissions: the plan's split of responsibility (section V) as grants.

Each (role, agency) pair is a Django group, e.g. ``district_wu@phong-tho.hlhpn``; a person's
memberships put them in those groups. Each group holds django-guardian object permissions
on the territorial units whose estimates it deals with — a commune, or the district itself
for district-level estimates — granted once per unit, never per estimate. None of the
unit permissions is ever granted globally (a global grant would override every object).

``access_sync()`` recomputes all of it and is idempotent: run it after memberships change
(the admin and the ``sync_access`` command do).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from guardian.models import GroupObjectPermission

from .models import Membership, Role, Unit, UnitKind

VIEW = "view_unit_estimates"
DRAFT = "draft_unit_estimates"
REVIEW = "review_unit_estimates"
APPRAISE = "appraise_unit_estimates"
APPROVE = "approve_unit_estimates"
DISBURSE = "disburse_unit_estimates"
VERIFY = "verify_unit_settlements"
MONITOR = "monitor_unit_estimates"

#: Every codename that is only ever granted per object.
UNIT_PERMISSIONS = (VIEW, DRAFT, REVIEW, APPRAISE, APPROVE, DISBURSE, VERIFY, MONITOR)

#: Global permissions every role group holds (e.g. the flow UI's view permission).
ROLE_GLOBAL_PERMISSIONS: list[str] = ["workflows.view_estimateprocess"]
#: Global permissions the groups of one role hold on top: the auditor reads the security
#: log of refused actions.
ROLE_OWN_GLOBAL_PERMISSIONS: dict[str, list[str]] = {Role.AUDITOR: ["core.view_securityevent"]}


@dataclass(frozen=True)
class RoleGrant:
    """What a role may do on its own territory, and on the communes below it."""

    own: tuple[str, ...]
    communes_below: tuple[str, ...] = ()


ROLE_GRANTS: dict[str, RoleGrant] = {
    Role.COMMUNE_WU_OFFICER: RoleGrant(own=(VIEW, DRAFT)),
    Role.COMMUNE_PC: RoleGrant(own=(VIEW, MONITOR)),
    Role.DISTRICT_WU: RoleGrant(own=(VIEW, DRAFT), communes_below=(VIEW, REVIEW)),
    Role.FINANCE_OFFICER: RoleGrant(
        own=(VIEW, APPRAISE, VERIFY), communes_below=(VIEW, APPRAISE, VERIFY)
    ),
    Role.APPROVER: RoleGrant(own=(VIEW, APPROVE), communes_below=(VIEW, APPROVE)),
    Role.ACCOUNTANT: RoleGrant(own=(VIEW, DISBURSE), communes_below=(VIEW, DISBURSE)),
    Role.OBSERVER: RoleGrant(own=(VIEW, MONITOR), communes_below=(VIEW, MONITOR)),
    Role.AUDITOR: RoleGrant(own=(VIEW,), communes_below=(VIEW,)),
}


def group_name(role: str, unit: Unit) -> str:
    return f"{role}@{unit.code}"


def _communes_below(territory: Unit, children: dict[int | None, list[Unit]]) -> list[Unit]:
    found: list[Unit] = []
    stack = list(children.get(territory.pk, []))
    while stack:
        node = stack.pop()
        if node.kind == UnitKind.COMMUNE:
            found.append(node)
        elif node.kind in (UnitKind.PROVINCE, UnitKind.DISTRICT):
            stack.extend(children.get(node.pk, []))
    return found


def grants_for(
    role: str, unit: Unit, children: dict[int | None, list[Unit]]
) -> set[tuple[str, int]]:
    """The (codename, unit pk) pairs a role held in ``unit`` grants."""
    grant = ROLE_GRANTS[role]
    territory = unit.territory()
    pairs = {(perm, territory.pk) for perm in grant.own}
    for commune in _communes_below(territory, children):
        pairs |= {(perm, commune.pk) for perm in grant.communes_below}
    return pairs


def _global_permissions(labels: list[str]) -> list[Permission]:
    found: list[Permission] = []
    for label in labels:
        app_label, codename = label.split(".")
        found.extend(
            Permission.objects.filter(content_type__app_label=app_label, codename=codename)
        )
    return found


@transaction.atomic
def access_sync() -> None:
    """Bring groups, group members and object permissions in line with the memberships."""
    units = list(Unit.objects.select_related("parent"))
    by_pk = {u.pk: u for u in units}
    children: dict[int | None, list[Unit]] = defaultdict(list)
    for u in units:
        children[u.parent_id].append(u)
    unit_ct = ContentType.objects.get_for_model(Unit)
    perms = {
        p.codename: p
        for p in Permission.objects.filter(content_type=unit_ct, codename__in=UNIT_PERMISSIONS)
    }
    global_perms = _global_permissions(ROLE_GLOBAL_PERMISSIONS)
    own_global_perms = {
        role: _global_permissions(labels) for role, labels in ROLE_OWN_GLOBAL_PERMISSIONS.items()
    }

    wanted_members: dict[str, set[int]] = defaultdict(set)
    wanted_grants: dict[str, set[tuple[str, int]]] = defaultdict(set)
    for m in Membership.objects.active():
        unit = by_pk[m.unit_id]
        name = group_name(m.role, unit)
        wanted_members[name].add(m.user_id)
        wanted_grants[name] |= grants_for(m.role, unit, children)

    role_prefixes = tuple(f"{r}@" for r in Role.values)
    existing = {g.name: g for g in Group.objects.all() if g.name.startswith(role_prefixes)}
    user_model = get_user_model()
    for name in set(existing) | set(wanted_members):
        group = existing.get(name) or Group.objects.create(name=name)
        members = wanted_members.get(name, set())
        group.user_set.set(user_model.objects.filter(pk__in=members))
        role = name.partition("@")[0]
        group.permissions.set([*global_perms, *own_global_perms.get(role, [])] if members else [])
        have = {
            (gop.permission.codename, int(gop.object_pk)): gop.pk
            for gop in GroupObjectPermission.objects.filter(
                group=group, content_type=unit_ct
            ).select_related("permission")
        }
        want = wanted_grants.get(name, set())
        stale = [pk for pair, pk in have.items() if pair not in want]
        GroupObjectPermission.objects.filter(pk__in=stale).delete()
        GroupObjectPermission.objects.bulk_create(
            [
                GroupObjectPermission(
                    group=group,
                    permission=perms[codename],
                    content_type=unit_ct,
                    object_pk=str(unit_pk),
                )
                for codename, unit_pk in want - set(have)
            ]
        )
