"""A reorganisation of units, as applied: which unit went to which successor, on which
date, and which estimates in flight moved with it.

Rows are written once, by ``reorganisations.services.reorganisation_apply``, in the
transaction that moves the work; nothing changes them afterwards. The units' own lineage
(``organization.Unit.successor``, ``abolished_on``, ``established_on``) is what the rest of
the product reads; these rows are the record of the act and what the API shows.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from estimates.models import Estimate, EstimateStatus
from organization.models import Unit


class Reorganisation(models.Model):
    code = models.SlugField(_("code"), max_length=120, unique=True)
    title = models.CharField(_("title"), max_length=300)
    basis = models.CharField(_("legal basis"), max_length=500, blank=True)
    effective_on = models.DateField(_("effective on"))
    illustrative = models.BooleanField(
        _("illustrative"),
        help_text=_("The file says its lists are an example, not the official ones."),
    )
    file_sha256 = models.CharField(_("SHA-256 of the file"), max_length=64)
    applied_at = models.DateTimeField(_("applied"), auto_now_add=True)
    applied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("applied by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    summary = models.JSONField(_("what moved"), default=dict, blank=True)

    class Meta:
        verbose_name = _("reorganisation")
        verbose_name_plural = _("reorganisations")
        ordering = ["-effective_on", "code"]

    def __str__(self) -> str:
        return f"{self.code} ({self.effective_on:%d/%m/%Y})"


class MoveKind(models.TextChoices):
    MERGE = "merge", _("Merged into the successor")
    SPLIT = "split", _("Split; the successor carries its work")
    AGENCY = "agency", _("Agency succeeded by another agency")


class UnitMove(models.Model):
    """One unit abolished by the reorganisation, and the unit that carries its work."""

    reorganisation = models.ForeignKey(
        Reorganisation, on_delete=models.PROTECT, related_name="unit_moves"
    )
    unit = models.ForeignKey(
        Unit, verbose_name=_("abolished unit"), on_delete=models.PROTECT, related_name="+"
    )
    successor = models.ForeignKey(
        Unit, verbose_name=_("successor unit"), on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=MoveKind.choices)
    staff_moved = models.BooleanField(_("staff moved to the successor"), default=True)
    line = models.PositiveIntegerField(_("line in the file"), null=True, blank=True)

    class Meta:
        verbose_name = _("unit moved")
        verbose_name_plural = _("units moved")
        ordering = ["reorganisation", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["reorganisation", "unit"], name="unitmove_unique"),
            models.CheckConstraint(name="unitmove_not_itself", condition=~Q(unit=F("successor"))),
        ]

    def __str__(self) -> str:
        return f"{self.unit} → {self.successor}"


class EstimateMove(models.Model):
    """An estimate in flight moved to the successor of its unit, with its history,
    versions and money."""

    reorganisation = models.ForeignKey(
        Reorganisation, on_delete=models.PROTECT, related_name="estimate_moves"
    )
    estimate = models.ForeignKey(
        Estimate, verbose_name=_("estimate"), on_delete=models.PROTECT, related_name="moves"
    )
    from_unit = models.ForeignKey(
        Unit, verbose_name=_("from"), on_delete=models.PROTECT, related_name="+"
    )
    to_unit = models.ForeignKey(
        Unit, verbose_name=_("to"), on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(_("status when moved"), max_length=20, choices=EstimateStatus.choices)

    class Meta:
        verbose_name = _("estimate moved")
        verbose_name_plural = _("estimates moved")
        ordering = ["reorganisation", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["reorganisation", "estimate"], name="estimatemove_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.estimate} · {self.from_unit} → {self.to_unit}"
