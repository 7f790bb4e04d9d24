"""A person hands the tasks of one of their roles to a named colleague for a date range.

The delegate acts with the delegator's permission on the delegated role's units, and
everything they do is recorded as "acting for" the delegator. A delegation ends on its own
at the end of ``ends_on`` (a date check; no job), or earlier when revoked.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from organization.models import Membership


class DelegationQuerySet(models.QuerySet["Delegation"]):
    def active_on(self, day: object) -> DelegationQuerySet:
        """Delegations in force on ``day``: started, not ended, not revoked."""
        return self.filter(starts_on__lte=day, ends_on__gte=day, revoked_at__isnull=True)


class Delegation(models.Model):
    delegator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("delegator"),
        on_delete=models.CASCADE,
        related_name="delegations_given",
    )
    delegate = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("delegate"),
        on_delete=models.CASCADE,
        related_name="delegations_received",
    )
    membership = models.ForeignKey(
        Membership,
        verbose_name=_("delegated role"),
        on_delete=models.CASCADE,
        related_name="delegations",
        help_text=_("The delegator's role in a unit whose tasks the delegate takes over."),
    )
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("until (inclusive)"))
    reason = models.CharField(_("reason"), max_length=300)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    objects = DelegationQuerySet.as_manager()

    class Meta:
        verbose_name = _("delegation")
        verbose_name_plural = _("delegations")
        ordering = ["-starts_on", "-pk"]
        constraints = [
            models.CheckConstraint(
                name="delegation_dates_ordered", condition=Q(ends_on__gte=F("starts_on"))
            ),
            models.CheckConstraint(
                name="delegation_not_to_self", condition=~Q(delegate=F("delegator"))
            ),
        ]
        indexes = [models.Index(fields=["delegate", "starts_on", "ends_on"])]

    def __str__(self) -> str:
        return f"{self.delegator} → {self.delegate} ({self.starts_on} – {self.ends_on})"
