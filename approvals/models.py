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


class DecisionIssuer(models.Model):
    """The body that issues the approval decisions of a unit's estimates, as printed.

    Data, not template text: the 2025 reform moves issuing from the district to the
    commune and the province, which is a new row here. An estimate's decision is issued
    by the issuer of the unit approving at its plan level
    (``approvals.services.decisions.issuing_unit``).
    """

    unit = models.OneToOneField(
        "organization.Unit",
        verbose_name=_("unit"),
        on_delete=models.PROTECT,
        related_name="decision_issuer",
    )
    name = models.CharField(
        _("name as printed"), max_length=200, help_text=_("E.g. “ỦY BAN NHÂN DÂN HUYỆN …”.")
    )
    governing_body = models.CharField(
        _("governing body as printed"),
        max_length=200,
        blank=True,
        help_text=_("The line above the name, if any."),
    )
    place = models.CharField(_("place name of the date line"), max_length=100)
    symbol_suffix = models.CharField(
        _("symbol"), max_length=30, default="QĐ-UBND", help_text=_("E.g. “QĐ-UBND”.")
    )
    signer_capacity = models.JSONField(
        _("signer's capacity lines"),
        default=list,
        help_text=_("E.g. [“KT. CHỦ TỊCH”, “PHÓ CHỦ TỊCH”]."),
    )
    delegate_capacity = models.JSONField(
        _("capacity lines of a delegate"),
        default=list,
        blank=True,
        help_text=_("Printed when a delegate approves for the signer."),
    )
    executors = models.TextField(
        _("who carries the decision out"),
        blank=True,
        help_text=_("The offices named in the article on implementation."),
    )
    recipients = models.JSONField(_("recipients (Nơi nhận)"), default=list, blank=True)

    class Meta:
        verbose_name = _("decision issuer")
        verbose_name_plural = _("decision issuers")

    def __str__(self) -> str:
        return self.name


class DecisionRegister(models.Model):
    """The register of an issuer's decisions in a year: the last number given."""

    issuer = models.ForeignKey(DecisionIssuer, on_delete=models.PROTECT, related_name="registers")
    year = models.PositiveSmallIntegerField(_("year"))
    last_number = models.PositiveIntegerField(_("last number"), default=0)

    class Meta:
        verbose_name = _("decision register")
        verbose_name_plural = _("decision registers")
        constraints = [
            models.UniqueConstraint(fields=["issuer", "year"], name="decision_register_per_year")
        ]

    def __str__(self) -> str:
        return f"{self.issuer} {self.year}: {self.last_number}"


class Decision(models.Model):
    """The approval decision of an estimate, frozen when it was approved: ``snapshot``
    holds everything printed, so later edits to people, units or issuers change nothing.

    An amendment approved later has a decision of its own (``amendment`` set, ``estimate``
    empty): the estimate's decision stays as it was issued."""

    estimate = models.OneToOneField(
        "estimates.Estimate",
        verbose_name=_("estimate"),
        on_delete=models.PROTECT,
        related_name="decision",
        null=True,
        blank=True,
    )
    amendment = models.OneToOneField(
        "estimates.Amendment",
        verbose_name=_("amendment"),
        on_delete=models.PROTECT,
        related_name="decision",
        null=True,
        blank=True,
    )
    issuer = models.ForeignKey(
        DecisionIssuer, verbose_name=_("issuer"), on_delete=models.PROTECT, related_name="+"
    )
    year = models.PositiveSmallIntegerField(_("year"))
    number = models.PositiveIntegerField(_("number"))
    symbol = models.CharField(_("number and symbol"), max_length=60)
    issued_on = models.DateField(_("date issued"))
    issued_at = models.DateTimeField(_("time issued"))
    amount = models.BigIntegerField(_("approved total (đồng)"))
    snapshot = models.JSONField(_("content as issued"))

    class Meta:
        verbose_name = _("decision")
        verbose_name_plural = _("decisions")
        ordering = ["-issued_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["issuer", "year", "number"], name="decision_number_unique"
            ),
            models.CheckConstraint(name="decision_number_positive", condition=Q(number__gt=0)),
            models.CheckConstraint(
                name="decision_of_estimate_or_amendment",
                condition=(Q(estimate__isnull=False) & Q(amendment__isnull=True))
                | (Q(estimate__isnull=True) & Q(amendment__isnull=False)),
            ),
        ]

    def __str__(self) -> str:
        return self.symbol
