"""The audit trail: append-only, each entry holding the hash of the one before it.

An estimate's history (who did what, when, in which role and unit, from which state to
which, with the amounts and the comment) is read from here; segregation of duties is
checked against it. ``approvals.audit`` is the only writer; ``verify_audit`` re-computes
the chain and names the first entry that was edited or deleted.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.text import LONG_TEXT


class Stage(models.TextChoices):
    """The part of the process an action belongs to (segregation of duties is per stage)."""

    DRAFT = "draft", _("Drafting")
    REVIEW = "review", _("Review")
    APPRAISAL = "appraisal", _("Appraisal")
    APPROVAL = "approval", _("Approval")
    DISBURSEMENT = "disbursement", _("Disbursement")
    SETTLEMENT = "settlement", _("Settlement")
    VERIFICATION = "verification", _("Settlement verification")


class AuditChainHead(models.Model):
    """One row: the sequence number and hash of the newest entry. Appending locks it, so
    the chain has one order even under concurrent transitions."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    last_seq = models.BigIntegerField(default=0)
    last_hash = models.CharField(max_length=64, default="")

    class Meta:
        constraints = [models.CheckConstraint(name="audit_head_singleton", condition=Q(id=1))]

    def __str__(self) -> str:
        return f"#{self.last_seq}"


class AuditEntry(models.Model):
    seq = models.BigIntegerField(_("sequence"), unique=True)
    created_at = models.DateTimeField(_("time"))
    action = models.CharField(_("action"), max_length=60, db_index=True)
    stage = models.CharField(_("stage"), max_length=20, choices=Stage.choices, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        on_delete=models.PROTECT,
        null=True,
        related_name="+",
    )
    actor_name = models.CharField(_("by (name)"), max_length=200)
    acting_for = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("acting for"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    acting_for_name = models.CharField(_("acting for (name)"), max_length=200, blank=True)
    role = models.CharField(_("role"), max_length=30, blank=True)
    unit_name = models.CharField(_("unit"), max_length=200, blank=True)
    estimate = models.ForeignKey(
        "estimates.Estimate",
        verbose_name=_("estimate"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="audit_entries",
    )
    from_status = models.CharField(_("from"), max_length=20, blank=True)
    to_status = models.CharField(_("to"), max_length=20, blank=True)
    amount = models.BigIntegerField(_("amount (đồng)"), null=True, blank=True)
    comment = models.TextField(_("comment"), blank=True, max_length=LONG_TEXT)
    data = models.JSONField(_("details"), default=dict, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    class Meta:
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit entries")
        ordering = ["seq"]
        indexes = [models.Index(fields=["estimate", "seq"])]
        constraints = [models.CheckConstraint(name="audit_seq_positive", condition=Q(seq__gt=0))]

    def __str__(self) -> str:
        return f"#{self.seq} {self.action}"
