"""Reads about delegations: who may act for whom, today.

``acting_for_options`` is what the access gate asks: on whose behalf may this user use a
unit permission? The answer holds only while the delegation is in force (a date check),
only for the delegated role's permissions, and only while both people still hold the role.
"""

from __future__ import annotations

import contextlib
import datetime
from collections.abc import Iterable
from typing import Any

from django.contrib.auth.models import User
from django.core.cache import cache
from django.db.models import CharField, Exists, OuterRef, QuerySet, Value
from django.db.models.functions import Concat
from django.utils.translation import gettext as _

from core.db import CompiledQueries
from core.transactions import prepared
from organization import permissions as perms
from organization.models import Membership, Unit
from organization.permissions import group_name

from .models import Delegation


def _in_force(on: datetime.date) -> QuerySet[Delegation]:
    """Delegations in force on ``on`` whose both people still hold the delegated role."""
    delegate_holds_role = Membership.objects.active().filter(
        user_id=OuterRef("delegate_id"),
        unit_id=OuterRef("membership__unit_id"),
        role=OuterRef("membership__role"),
    )
    return (
        Delegation.objects.active_on(on)
        .filter(membership__is_active=True, delegator__is_active=True, delegate__is_active=True)
        .filter(Exists(delegate_holds_role))
        .select_related("delegator", "delegate", "membership__unit")
    )


#: The statement of ``delegations_active_for``, compiled once a day per connection (the
#: day is part of its shape): every page of an estimate asks it, and Django built it in
#: 2 ms where PostgreSQL answers in a fraction of one.
_ACTIVE_FOR = CompiledQueries()


def delegations_active_for(delegate: User, on: datetime.date) -> list[Delegation]:
    """The delegations ``delegate`` may act under on ``on`` (read from the database: what
    the services act under)."""

    def build(delegate_id: int) -> QuerySet[Delegation]:
        return _in_force(on).filter(delegate_id=delegate_id).order_by("starts_on", "pk")

    with prepared():  # by delegate: one plan fits every call
        return _ACTIVE_FOR.fetch(("active_for", on.toordinal()), build, [delegate.pk])


#: Whether a user is named delegate by a delegation not revoked and not ended before a day
#: (one in force then, or one to come), kept between requests beside the user's grants and
#: under their version (renewed by every delegation saved or deleted: ``signals``). Most
#: people are never anyone's delegate: the pages offering actions then ask nothing about
#: delegations. The key names the entry's shape (``v1``).
DELEGATE_KEY = "delegations:v1:delegate:{user_id}"


def delegations_offered_for(delegate: Any, on: datetime.date) -> list[Delegation]:
    """``delegations_active_for``, for the pages offering actions: no query when the kept
    hint says ``delegate`` is nobody's delegate on or after ``on``. The hint is kept only
    when the user's grants were read through the cache in this request (their version is
    known); without it, or when the cache fails, the delegations are read. A hint can only
    hide what a delegation created since would offer, until the version it was kept under
    is renewed (at that delegation's commit); the services never use it."""
    version = perms.grants_version_of(delegate)
    if version is None:
        return delegations_active_for(delegate, on)
    key = DELEGATE_KEY.format(user_id=delegate.pk)
    try:
        kept = cache.get(key)
    except Exception:  # the cache is down: read the delegations as the services do
        return delegations_active_for(delegate, on)
    if kept == (version, on.toordinal(), False):
        return []
    if kept != (version, on.toordinal(), True):
        named = (
            Delegation.objects.filter(
                delegate_id=delegate.pk, ends_on__gte=on, revoked_at__isnull=True
            )
            .order_by()
            .exists()
        )
        with contextlib.suppress(Exception):  # not kept: asked again next time
            cache.set(key, (version, on.toordinal(), named), perms.GRANTS_TTL_SECONDS)
        if not named:
            return []
    return delegations_active_for(delegate, on)


def delegations_for_user(user: User) -> dict[str, list[Delegation]]:
    """A user's delegations, given and received, newest first (for their page)."""
    qs = Delegation.objects.select_related("delegator", "delegate", "membership__unit").order_by(
        "-starts_on", "-pk"
    )
    return {
        "given": list(qs.filter(delegator_id=user.pk)),
        "received": list(qs.filter(delegate_id=user.pk)),
    }


def delegated_grants(delegations: Iterable[Delegation]) -> set[tuple[str, str, int]]:
    """What the delegated role groups hold: (group name, codename, unit id) for every
    grant of the groups of ``delegations`` (one query; none without delegations)."""
    names = {group_name(d.membership.role, d.membership.unit) for d in delegations}
    return perms.grants_of_groups(names) if names else set()


def acting_for_in(
    delegations: Iterable[Delegation],
    grants: set[tuple[str, str, int]],
    perm_codename: str,
    unit_id: int,
) -> list[User]:
    """Of ``delegations`` (with their ``delegated_grants``), the delegators whose role
    holds ``perm_codename`` on the unit: on whose behalf the delegate may use it."""
    found: dict[int, User] = {}
    for d in delegations:
        if (group_name(d.membership.role, d.membership.unit), perm_codename, unit_id) in grants:
            found.setdefault(d.delegator_id, d.delegator)
    return list(found.values())


def acting_for_options(user: User, perm_codename: str, unit: Unit, on: datetime.date) -> list[User]:
    """The delegators on whose behalf ``user`` may use ``perm_codename`` on ``unit`` on
    ``on``: the delegate acts with the delegator's object permission, and the audit records
    both. Two queries whatever the number of delegations."""
    delegations = delegations_active_for(user, on)
    if not delegations:
        return []
    return acting_for_in(delegations, delegated_grants(delegations), perm_codename, unit.pk)


def delegate_ids_for(perm_codename: str, unit: Unit, on: datetime.date) -> Any:
    """The ids of the delegates who may use ``perm_codename`` on ``unit`` on ``on``, acting
    for someone who holds it (a subquery: no query of its own)."""
    holding = perms.groups_holding_query(perm_codename, unit.pk)
    return (
        _in_force(on)
        .annotate(
            delegated_group=Concat(
                "membership__role", Value("@"), "membership__unit__code", output_field=CharField()
            )
        )
        .filter(delegated_group__in=holding)
        .values("delegate_id")
    )


def person_name(user: User | None) -> str:
    if user is None:
        return ""
    return user.get_full_name() or user.get_username()


def actor_label(actor: User | None, acting_for: User | None) -> str:
    """How history shows who acted: “Nguyễn B, acting for Trần A” when delegated."""
    if actor is None:
        return _("the system")
    if acting_for is None or acting_for.pk == actor.pk:
        return person_name(actor)
    return _("%(actor)s, acting for %(principal)s") % {
        "actor": person_name(actor),
        "principal": person_name(acting_for),
    }
