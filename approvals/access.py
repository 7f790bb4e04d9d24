"""The one access gate: who may see an estimate, and who may act on it, in which capacity.

Visibility and rights come from django-guardian object permissions on the estimate's unit,
held by role groups (``organization.permissions``). A superuser is not exempt: acting on an
estimate needs a role that grants it, and segregation of duties binds everybody.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.contrib.contenttypes.models import ContentType
from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from guardian.models import GroupObjectPermission
from guardian.shortcuts import get_objects_for_user

from core.errors import Forbidden
from delegations.selectors import acting_for_options
from estimates.models import Estimate, EstimateStatus
from organization import permissions as perms
from organization.models import Role, Unit

from .models import AuditEntry, Stage

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

    AnyUser = AbstractBaseUser | AnonymousUser

#: Stages one person may combine on one estimate. Anything else is two stages, and one
#: person may not act on two stages of the same estimate: the drafter does not review, the
#: reviewer does not appraise, the approver does not disburse. Appraisal and settlement
#: verification are one office's single duty towards the estimate (plan section V.2).
STAGE_GROUPS: dict[str, str] = {
    Stage.DRAFT: "spending-unit",
    Stage.SETTLEMENT: "spending-unit",
    Stage.REVIEW: "review",
    Stage.APPRAISAL: "finance",
    Stage.VERIFICATION: "finance",
    Stage.APPROVAL: "approval",
    Stage.DISBURSEMENT: "disbursement",
}

#: Which permission on ``estimate.unit`` acts at which status, for inboxes.
STATUS_PERMISSIONS: dict[str, str] = {
    EstimateStatus.DRAFT: perms.DRAFT,
    EstimateStatus.RETURNED: perms.DRAFT,
    EstimateStatus.REVIEW: perms.REVIEW,
    EstimateStatus.APPRAISAL: perms.APPRAISE,
    EstimateStatus.APPROVAL: perms.APPROVE,
    EstimateStatus.APPROVED: perms.DISBURSE,
    EstimateStatus.SETTLEMENT: perms.VERIFY,
}


def _perm_cache(user: Any) -> dict[str, frozenset[int]]:
    cache: dict[str, frozenset[int]] | None = getattr(user, "_unit_perm_cache", None)
    if cache is None:
        cache = {}
        user._unit_perm_cache = cache
    return cache


def unit_ids_with(user: AnyUser, codename: str) -> frozenset[int]:
    """Ids of the units on which ``user`` holds ``codename`` (object permissions only,
    through role groups; cached on the user object for the request)."""
    if not user.is_authenticated or not user.is_active:
        return frozenset()
    cache = _perm_cache(user)
    if codename not in cache:
        units = get_objects_for_user(
            user,
            f"organization.{codename}",
            klass=Unit,
            accept_global_perms=False,
            with_superuser=False,
        )
        cache[codename] = frozenset(units.values_list("pk", flat=True))
    return cache[codename]


def estimate_list_for_user(user: AnyUser) -> QuerySet[Estimate]:
    """Every estimate the user may read."""
    return Estimate.objects.filter(unit_id__in=unit_ids_with(user, perms.VIEW))


def estimate_inbox_for_user(user: AnyUser) -> QuerySet[Estimate]:
    """Estimates waiting for something the user may do (one query per permission)."""
    condition = Q(pk__in=[])
    for status, codename in STATUS_PERMISSIONS.items():
        unit_ids = unit_ids_with(user, codename)
        if unit_ids:
            condition |= Q(status=status, unit_id__in=unit_ids)
    return Estimate.objects.filter(condition)


def access_estimate(
    user: AnyUser,
    pk: int | str,
    *,
    perm: str = perms.VIEW,
    queryset: QuerySet[Estimate] | None = None,
) -> Estimate:
    """Fetch an estimate for a user: 404 if it does not exist or they may not see it (the
    same answer, so another commune's estimates cannot be probed), 403 if they may see it
    but lack ``perm``."""
    try:
        pk_int = int(pk)
    except (TypeError, ValueError):
        raise Http404 from None
    qs = queryset if queryset is not None else Estimate.objects.all()
    estimate = qs.filter(pk=pk_int, unit_id__in=unit_ids_with(user, perms.VIEW)).first()
    if estimate is None:
        raise Http404(_("No such estimate."))
    if perm != perms.VIEW and estimate.unit_id not in unit_ids_with(user, perm):
        raise Forbidden(
            _("Your role does not allow this on this estimate."), estimate_id=estimate.pk
        )
    return estimate


@dataclass(frozen=True)
class Authority:
    """Who acts, in which role and unit, possibly for a colleague (delegation)."""

    actor: Any
    role: str
    agency_code: str
    unit_name: str
    acting_for: Any = None

    @property
    def role_label(self) -> str:
        return str(Role(self.role).label) if self.role in Role.values else self.role


def _role_granting(user: Any, codename: str, unit: Unit) -> tuple[str, str] | None:
    """The (role, agency code) of the group through which ``user`` holds ``codename`` on
    ``unit``, or None."""
    names = (
        GroupObjectPermission.objects.filter(
            group__user=user,
            permission__codename=codename,
            content_type=ContentType.objects.get_for_model(Unit),
            object_pk=str(unit.pk),
        )
        .order_by("group__name")
        .values_list("group__name", flat=True)
    )
    for name in names:
        role, _sep, agency_code = name.partition("@")
        return role, agency_code
    return None


def authority_check(
    *,
    actor: Any,
    estimate: Estimate,
    codename: str,
    stage: str,
    acting_for: Any = None,
) -> Authority:
    """May ``actor`` use ``codename`` on this estimate at ``stage``? Returns the capacity
    in which they act, or raises Forbidden with a message for the user."""
    if not actor.is_authenticated or not actor.is_active:
        raise Forbidden(_("Log in to do this."), estimate_id=estimate.pk)
    if estimate.unit_id not in unit_ids_with(actor, perms.VIEW) and acting_for is None:
        raise Http404(_("No such estimate."))
    principal = actor
    if acting_for is not None:
        options = acting_for_options(actor, codename, estimate.unit, timezone.localdate())
        if acting_for not in options:
            raise Forbidden(
                _("You hold no delegation to act for this person on this estimate."),
                estimate_id=estimate.pk,
            )
        principal = acting_for
    granted = _role_granting(principal, codename, estimate.unit)
    if granted is None:
        raise Forbidden(
            _("Your role does not allow this on this estimate."), estimate_id=estimate.pk
        )
    role, agency_code = granted
    _check_segregation(estimate, stage, {actor.pk, principal.pk})
    agency = Unit.objects.filter(code=agency_code).only("name").first()
    return Authority(
        actor=actor,
        role=role,
        agency_code=agency_code,
        unit_name=agency.name if agency else agency_code,
        acting_for=acting_for,
    )


def _check_segregation(estimate: Estimate, stage: str, people: set[int]) -> None:
    group = STAGE_GROUPS[stage]
    if group != "spending-unit" and people & {estimate.created_by_id, estimate.submitted_by_id}:
        raise Forbidden(
            _(
                "You drafted or submitted this estimate: someone else must review, appraise, "
                "approve and pay it."
            ),
            estimate_id=estimate.pk,
        )
    earlier = (
        AuditEntry.objects.filter(estimate=estimate)
        .filter(Q(actor_id__in=people) | Q(acting_for_id__in=people))
        .exclude(stage="")
        .values_list("stage", flat=True)
        .distinct()
    )
    for earlier_stage in earlier:
        if STAGE_GROUPS.get(earlier_stage) != group:
            raise Forbidden(
                _(
                    "You already acted on this estimate at the “%(stage)s” stage: one person "
                    "cannot act on two stages of the same estimate."
                )
                % {"stage": Stage(earlier_stage).label},
                estimate_id=estimate.pk,
            )
