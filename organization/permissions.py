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

import logging
import time
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.core.cache import cache
from django.db import transaction
from django.db.models import OuterRef, Subquery, Value
from django.db.models.functions import Concat, StrIndex, Substr
from guardian.models import GroupObjectPermission

from core.aggregates import CommaList
from core.transactions import prepared

from .models import Membership, Role, Unit, UnitKind
from .selectors import successor_map

logger = logging.getLogger(__name__)

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
    # The commune as the spending unit (a plan's level says so, ``Plan.levels``): its chair
    # holds the account and approves, its accountant records the payments.
    Role.COMMUNE_CHAIR: RoleGrant(own=(VIEW, APPROVE)),
    Role.COMMUNE_ACCOUNTANT: RoleGrant(own=(VIEW, DISBURSE)),
    Role.DISTRICT_WU: RoleGrant(own=(VIEW, DRAFT), communes_below=(VIEW, REVIEW)),
    Role.FINANCE_OFFICER: RoleGrant(
        own=(VIEW, APPRAISE, VERIFY), communes_below=(VIEW, APPRAISE, VERIFY)
    ),
    Role.APPROVER: RoleGrant(own=(VIEW, APPROVE), communes_below=(VIEW, APPROVE)),
    Role.ACCOUNTANT: RoleGrant(own=(VIEW, DISBURSE), communes_below=(VIEW, DISBURSE)),
    Role.OBSERVER: RoleGrant(own=(VIEW, MONITOR), communes_below=(VIEW, MONITOR)),
    Role.AUDITOR: RoleGrant(own=(VIEW, MONITOR), communes_below=(VIEW, MONITOR)),
}


#: The permission each stage of a plan's level needs (``estimates.models.STAGES``).
STAGE_PERMISSIONS: dict[str, str] = {
    "review": REVIEW,
    "appraise": APPRAISE,
    "approve": APPROVE,
    "disburse": DISBURSE,
    "verify": VERIFY,
}
_PERMISSION_STAGES = {perm: stage for stage, perm in STAGE_PERMISSIONS.items()}


@dataclass
class CommuneRule:
    """What the plans a commune is in say about it: the areas of those plans (whose roles
    act for it) and, per stage, who acts (``"area"``: the area's offices; ``"commune"``:
    the commune's own; ``""``: nobody, the stage is skipped)."""

    areas: set[int] = field(default_factory=set)
    stages: dict[str, set[str]] = field(default_factory=dict)


#: {commune pk: its rule}. A commune in no plan is missing: then every role above it acts
#: (Plan 117's rule before plans carried their levels).
StageActors = dict[int, CommuneRule]

#: Reads the plans' levels (set by the ``estimates`` app, which owns plans: this layer
#: imports no higher one). None: no plan data, the higher unit's offices act everywhere.
stage_actors_source: Callable[[], StageActors] | None = None


def stage_actors() -> StageActors:
    """Who acts at each stage on each commune, from the levels of the plans it is in."""
    return stage_actors_source() if stage_actors_source is not None else {}


def _acts(
    actors: StageActors,
    commune_pk: int,
    perm: str,
    who: str,
    territory: int,
    lineage: dict[int, int] | None = None,
) -> bool:
    """Whether a role held at ``territory`` takes ``perm`` on the commune: ``who`` is
    "commune" for the commune's own roles, "area" for the roles of a unit above it. Only
    the area of a plan the commune is in acts for it from above (a province's offices do
    not act in a district's plan), and at each stage only whom the plan names. A plan's
    area abolished by a reorganisation acts through the unit carrying its work today
    (``lineage``): the plan keeps its historical area, its successor does the work."""
    rule = actors.get(commune_pk)
    if rule is None:
        return who == "area" or _PERMISSION_STAGES.get(perm) is None
    if who == "area" and not _in_areas(territory, rule.areas, lineage):
        return False
    stage = _PERMISSION_STAGES.get(perm)
    if stage is None:
        return True  # not a stage permission (view, draft, monitor)
    return who in rule.stages.get(stage, set())


def _in_areas(territory: int, areas: set[int], lineage: dict[int, int] | None) -> bool:
    if territory in areas:
        return True
    return lineage is not None and any(lineage.get(area) == territory for area in areas)


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
    role: str,
    unit: Unit,
    children: dict[int | None, list[Unit]],
    actors: StageActors | None = None,
    lineage: dict[int, int] | None = None,
) -> set[tuple[str, int]]:
    """The (codename, unit pk) pairs a role held in ``unit`` grants. On a commune, a stage
    permission goes to the commune's own roles where its plan makes the commune act at
    that stage, and to the higher unit's roles where the plan leaves it to them.

    With ``lineage`` ({abolished unit id: the unit carrying its work today}, see
    ``organization.selectors.successor_map``): a unit abolished by a reorganisation is
    only ever viewed (nothing is in flight there any more), and a role that may view a
    unit also views the units it succeeded (their closed estimates roll up to it)."""
    actors = actors or {}
    grant = ROLE_GRANTS[role]
    territory = unit.territory()
    if territory.kind == UnitKind.COMMUNE:
        pairs = {
            (perm, territory.pk)
            for perm in grant.own
            if _acts(actors, territory.pk, perm, "commune", territory.pk)
        }
    else:
        pairs = {(perm, territory.pk) for perm in grant.own}
    for commune in _communes_below(territory, children):
        pairs |= {
            (perm, commune.pk)
            for perm in grant.communes_below
            if _acts(actors, commune.pk, perm, "area", territory.pk, lineage)
        }
    if lineage:
        viewed = {pk for perm, pk in pairs if perm == VIEW}
        pairs |= {(VIEW, old) for old, end in lineage.items() if end in viewed}
        pairs = {(perm, pk) for perm, pk in pairs if perm == VIEW or pk not in lineage}
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
    grants_changed()
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

    actors = stage_actors()
    lineage = successor_map()
    wanted_members: dict[str, set[int]] = defaultdict(set)
    wanted_grants: dict[str, set[tuple[str, int]]] = defaultdict(set)
    for m in Membership.objects.active():
        unit = by_pk[m.unit_id]
        name = group_name(m.role, unit)
        wanted_members[name].add(m.user_id)
        wanted_grants[name] |= grants_for(m.role, unit, children, actors, lineage)

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


# ---------------------------------------------------------------------------------------
# Who holds what: the one answer. A permission on a unit is held through a role group
# (never a direct user grant, never a global grant, never by being a superuser).


def unit_content_type_id() -> int:
    return ContentType.objects.get_for_model(Unit).pk


@dataclass
class Grants:
    """Every unit permission a user holds through their role groups, with the groups (and
    their agencies' names) through which they hold it: one query, kept on the user object
    for the request or the transition."""

    units: dict[str, frozenset[int]]
    #: codename -> [(group name, agency name, unit ids)], by group name
    groups: dict[str, list[tuple[str, str, frozenset[int]]]]


#: The cache keys of the grants kept between requests: the current version (a random
#: token, replaced whenever any grant may have changed) and each user's grants with the
#: version they were read under. A user's entry counts only under the current version.
#: The keys name the shape of ``Grants`` (``v1``): a release that changes it reads none of
#: the entries an earlier release kept.
GRANTS_VERSION_KEY = "organization:grants:v1:version"
GRANTS_KEY = "organization:grants:v1:{user_id}"
#: How long a user's grants are kept (a grant changed behind the product's back, by SQL,
#: is seen after this at the latest).
GRANTS_TTL_SECONDS = 300


def grants_invalidate() -> None:
    """Every user's grants kept between requests are stale from now."""
    try:
        cache.set(GRANTS_VERSION_KEY, uuid.uuid4().hex, None)
    except Exception:  # the cache is down: nothing is read from it either (below)
        logger.exception("the grants' version could not be renewed")


def grants_changed() -> None:
    """Grants may change in the current transaction (``access_sync``, and the signals on
    role groups, their members and permissions, and units: ``organization.signals``): the
    kept grants are stale from now, and again once it commits (a request reading them
    meanwhile keeps them under the version of now). Once a transaction, however many rows
    it changes: a later call finds the renewal at commit already queued (a savepoint rolled
    back drops it, and the next call queues it again)."""
    connection = transaction.get_connection()
    if connection.in_atomic_block and any(
        entry[1] is grants_invalidate for entry in connection.run_on_commit
    ):
        return
    grants_invalidate()
    transaction.on_commit(grants_invalidate)


#: After the cache failed, this process reads the grants from the database alone until
#: then (``time.monotonic()``): a page does not wait on the cache's timeouts each time.
_cache_down_until = 0.0
CACHE_RETRY_SECONDS = 30.0


def _cache_failed(doing: str) -> None:
    global _cache_down_until
    _cache_down_until = time.monotonic() + CACHE_RETRY_SECONDS
    logger.warning("the grants could not be %s the cache", doing, exc_info=True)


def _grants_kept(user_id: int) -> tuple[str | None, Grants | None]:
    """(the current version, the user's grants kept under it or None); (None, None) when
    the cache cannot be read."""
    if time.monotonic() < _cache_down_until:
        return None, None
    key = GRANTS_KEY.format(user_id=user_id)
    try:
        found = cache.get_many([GRANTS_VERSION_KEY, key])
        version = found.get(GRANTS_VERSION_KEY)
        if version is None:  # never set, or evicted: start one (another process may win)
            cache.add(GRANTS_VERSION_KEY, uuid.uuid4().hex, None)
            return cache.get(GRANTS_VERSION_KEY), None
    except Exception:
        _cache_failed("read from")
        return None, None
    entry = found.get(key)
    if isinstance(entry, tuple) and len(entry) == 2 and entry[0] == version:
        return version, entry[1]
    return version, None


def _grants_keep(user_id: int, version: str, grants: Grants) -> None:
    try:
        cache.set(GRANTS_KEY.format(user_id=user_id), (version, grants), GRANTS_TTL_SECONDS)
    except Exception:
        _cache_failed("kept in")


def _grants(user: Any) -> Grants:
    """The user's grants: kept on the user object for the request or the transition, and
    between requests in the cache under the grants' version (read before the grants, so a
    change committed meanwhile renews the version and the entry is not used again)."""
    cached: Grants | None = getattr(user, "_unit_grants", None)
    if cached is not None:
        return cached
    if not (getattr(user, "is_authenticated", False) and user.is_active):
        cached = Grants({}, {})
        user._unit_grants = cached
        return cached
    version, kept = _grants_kept(user.pk)
    user._grants_version = version
    if kept is not None:
        user._unit_grants = kept
        return kept
    cached = _grants_read(user)
    if version is not None:
        _grants_keep(user.pk, version, cached)
    user._unit_grants = cached
    return cached


def grants_version_of(user: Any) -> str | None:
    """The grants' version under which ``user``'s grants were read in this request or
    transition (None: not read yet, or not through the cache). What is kept beside the
    grants under this version is stale as soon as any grant, role, unit or delegation
    changes (``grants_changed``)."""
    return getattr(user, "_grants_version", None)


def _grants_read(user: Any) -> Grants:
    """The user's grants, read from the database (one query)."""
    units: dict[str, set[int]] = defaultdict(set)
    groups: dict[str, list[tuple[str, str, frozenset[int]]]] = defaultdict(list)
    agency = Unit.objects.filter(
        code=Substr(OuterRef("name"), StrIndex(OuterRef("name"), Value("@")) + 1)
    ).values("name")[:1]
    # One row per role group, its grants joined in one string ("codename:unit id,…"):
    # a district role's 3,000 rows, each with its agency looked up, cost 7–9 ms on
    # every page; a row per group looks the agency up once.
    ct = unit_content_type_id()
    held = (
        GroupObjectPermission.objects.filter(group_id=OuterRef("pk"), content_type_id=ct)
        .values("group_id")
        .annotate(pairs=CommaList(Concat("permission__codename", Value(":"), "object_pk")))
        .values("pairs")
    )
    rows = (
        Group.objects.filter(user=user)
        .annotate(agency_name=Subquery(agency), held=Subquery(held))
        .order_by("name")
        .values_list("name", "agency_name", "held")
    )
    with prepared():  # by user: one plan fits every call
        found = list(rows)
    for group, agency_name, pairs in found:
        by_codename: dict[str, set[int]] = defaultdict(set)
        for pair in pairs.split(",") if pairs else ():
            codename, _sep, unit_pk = pair.partition(":")
            by_codename[codename].add(int(unit_pk))
        for codename in sorted(by_codename):
            ids = frozenset(by_codename[codename])
            units[codename] |= ids
            groups[codename].append((group, agency_name or "", ids))
    return Grants({c: frozenset(ids) for c, ids in units.items()}, dict(groups))


def unit_grants_of(user: Any) -> dict[str, frozenset[int]]:
    """Every unit permission ``user`` holds, as {codename: unit ids} (one query, cached)."""
    return _grants(user).units


def roles_of(user: Any) -> frozenset[str]:
    """The roles through whose groups ``user`` holds unit permissions (no query once the
    grants are read: the group names are ``<role>@<agency code>``)."""
    return frozenset(
        group.split("@", 1)[0]
        for held in _grants(user).groups.values()
        for group, _agency, _units in held
    )


def unit_ids_through_roles(user: Any, codename: str, roles: Iterable[str]) -> frozenset[int]:
    """Ids of the units on which ``user`` holds ``codename`` through a group of one of
    ``roles`` (from the cached grants: no query once they are read)."""
    wanted = tuple(f"{role}@" for role in roles)
    return frozenset().union(
        *(
            units
            for group, _agency, units in _grants(user).groups.get(codename, [])
            if group.startswith(wanted)
        )
    )


def unit_ids_with(user: Any, codename: str) -> frozenset[int]:
    """Ids of the units on which ``user`` holds ``codename``."""
    return unit_grants_of(user).get(codename, frozenset())


def holders(codename: str, unit_id: int) -> Any:
    """The active users holding ``codename`` on the unit (a queryset, ordered by id)."""
    return (
        get_user_model()
        .objects.filter(
            is_active=True,
            groups__groupobjectpermission__permission__codename=codename,
            groups__groupobjectpermission__content_type_id=unit_content_type_id(),
            groups__groupobjectpermission__object_pk=str(unit_id),
        )
        .distinct()
        .order_by("pk")
    )


def groups_holding_query(codename: str, unit_id: int) -> Any:
    """The names of the role groups holding ``codename`` on the unit, as a subquery."""
    return GroupObjectPermission.objects.filter(
        permission__codename=codename,
        content_type_id=unit_content_type_id(),
        object_pk=str(unit_id),
    ).values("group__name")


def grants_of_groups(names: Iterable[str]) -> set[tuple[str, str, int]]:
    """Every unit permission the role groups ``names`` hold, as (group name, codename,
    unit id): one query."""
    return {
        (group, codename, int(unit_pk))
        for group, codename, unit_pk in GroupObjectPermission.objects.filter(
            group__name__in=list(names), content_type_id=unit_content_type_id()
        ).values_list("group__name", "permission__codename", "object_pk")
    }


def groups_holding(codename: str, unit_id: int) -> set[str]:
    """The names of the role groups holding ``codename`` on the unit."""
    return set(groups_holding_query(codename, unit_id).values_list("group__name", flat=True))


def role_granting(user: Any, codename: str, unit_id: int) -> tuple[str, str, str] | None:
    """The (role, agency code, agency name) of the first role group through which ``user``
    holds ``codename`` on the unit, or None (from the cached grants)."""
    for group, agency_name, units in _grants(user).groups.get(codename, []):
        if unit_id in units:
            role, _sep, agency_code = group.partition("@")
            return role, agency_code, agency_name or agency_code
    return None
