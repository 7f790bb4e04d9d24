"""Creating and revoking delegations: every write about delegations goes through here.

The rule for who may be a delegate (documented in docs/ARCHITECTURE.md): a person who holds,
themselves, an active membership with the **same role in the same agency** as the delegated
membership — a colleague of the right role. The delegate then acts with the delegator's
object permissions for that role only, and is recorded as acting for the delegator.
"""

from __future__ import annotations

import datetime

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from core.errors import Forbidden, RuleViolation
from core.text import field_limit, text_clean
from organization.models import Membership

from .models import Delegation


def _name(user: User) -> str:
    return user.get_full_name() or user.get_username()


def delegation_create(
    *,
    delegator: User,
    delegate: User,
    membership: Membership,
    starts_on: datetime.date,
    ends_on: datetime.date,
    reason: str,
    actor: User,
) -> Delegation:
    """Hand ``membership``'s tasks from ``delegator`` to ``delegate`` for a date range."""
    if actor.pk != delegator.pk and not actor.is_superuser:
        raise Forbidden(_("Only the person who delegates may create a delegation."))
    reason = text_clean(
        reason,
        field="reason",
        max_length=field_limit(Delegation, "reason"),
        required=True,
        required_message=_("Give the reason for the delegation."),
    )
    if delegate.pk == delegator.pk:
        raise RuleViolation(_("You cannot delegate to yourself."), field="delegate")
    if starts_on < timezone.localdate():
        raise RuleViolation(_("A delegation cannot start in the past."), field="starts_on")
    if ends_on < starts_on:
        raise RuleViolation(_("The end date must be on or after the start date."), field="ends_on")
    with transaction.atomic():
        # Lock the delegated membership: two requests for the same role are checked in turn.
        locked = (
            Membership.objects.select_for_update(of=("self",))
            .select_related("unit")
            .get(pk=membership.pk)
        )
        if locked.user_id != delegator.pk or not locked.is_active:
            raise RuleViolation(
                _("This role is not one of the delegator's active roles."), field="membership"
            )
        holds_role = (
            Membership.objects.active()
            .filter(user_id=delegate.pk, unit_id=locked.unit_id, role=locked.role)
            .exists()
        )
        if not delegate.is_active or not holds_role:
            raise RuleViolation(
                _("%(name)s does not hold the role “%(role)s” in %(unit)s.")
                % {"name": _name(delegate), "role": locked.get_role_display(), "unit": locked.unit},
                field="delegate",
            )
        clash = (
            Delegation.objects.filter(
                membership=locked,
                revoked_at__isnull=True,
                starts_on__lte=ends_on,
                ends_on__gte=starts_on,
            )
            .select_related("delegate")
            .first()
        )
        if clash is not None:
            raise RuleViolation(
                _(
                    "This overlaps the delegation to %(name)s from %(start)s to %(end)s; "
                    "revoke it or choose other dates."
                )
                % {
                    "name": _name(clash.delegate),
                    "start": date_format(clash.starts_on, "SHORT_DATE_FORMAT"),
                    "end": date_format(clash.ends_on, "SHORT_DATE_FORMAT"),
                },
                field="starts_on",
            )
        return Delegation.objects.create(
            delegator_id=delegator.pk,
            delegate_id=delegate.pk,
            membership=locked,
            starts_on=starts_on,
            ends_on=ends_on,
            reason=reason,
            created_by_id=actor.pk,
        )


def delegation_revoke(*, delegation: Delegation, actor: User) -> Delegation:
    """End a delegation now. Revoking twice is a no-op."""
    with transaction.atomic():
        locked = Delegation.objects.select_for_update().get(pk=delegation.pk)
        if locked.revoked_at is not None:
            return locked
        if actor.pk != locked.delegator_id and not actor.is_superuser:
            raise Forbidden(_("Only the person who delegated may revoke the delegation."))
        if locked.ends_on < timezone.localdate():
            raise RuleViolation(_("This delegation has already ended."))
        locked.revoked_at = timezone.now()
        locked.revoked_by_id = actor.pk
        locked.save(update_fields=["revoked_at", "revoked_by"])
        return locked
