"""Monitoring notes (plan sections V.2 and V.3): a line department, the Fatherland Front or
the auditor records a supervision visit on an estimate, a commune or an activity — when,
who, what was checked, the findings, the recommendations and the follow-up due date. The
unit concerned is told and answers; the recommendations stay open until the monitor closes
them. Statuses move only in ``monitoring.services`` by the table in ``monitoring.lifecycle``.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.text import LONG_TEXT
from estimates.models import Activity, Estimate, Plan
from organization.models import Unit


class NoteStatus(models.TextChoices):
    OPEN = "open", _("Open: awaiting the unit's answer")
    ANSWERED = "answered", _("Answered: awaiting the monitor")
    CLOSED = "closed", _("Closed")


class MonitoringNote(models.Model):
    plan = models.ForeignKey(Plan, on_delete=models.PROTECT, related_name="monitoring_notes")
    unit = models.ForeignKey(
        Unit,
        verbose_name=_("unit concerned"),
        on_delete=models.PROTECT,
        related_name="monitoring_notes",
        help_text=_("The commune (or the district) whose work was checked."),
    )
    estimate = models.ForeignKey(
        Estimate,
        verbose_name=_("estimate"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="monitoring_notes",
    )
    activity = models.ForeignKey(
        Activity,
        verbose_name=_("activity"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="monitoring_notes",
    )
    visited_on = models.DateField(_("date of the visit"))
    visitors = models.CharField(_("who visited"), max_length=300)
    checked = models.TextField(_("what was checked"), max_length=LONG_TEXT)
    findings = models.TextField(_("findings"), max_length=LONG_TEXT)
    recommendations = models.TextField(_("recommendations"), blank=True, max_length=LONG_TEXT)
    follow_up_due = models.DateField(_("follow-up due"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=NoteStatus.choices, default=NoteStatus.OPEN
    )
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    author_role = models.CharField(_("role"), max_length=30)
    author_agency = models.CharField(_("agency"), max_length=200)
    answer = models.TextField(_("answer of the unit"), blank=True, max_length=LONG_TEXT)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    answered_at = models.DateTimeField(_("answered"), null=True, blank=True)
    closing_note = models.TextField(_("closing note"), blank=True, max_length=LONG_TEXT)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    created_at = models.DateTimeField(_("recorded"), auto_now_add=True)

    class Meta:
        verbose_name = _("monitoring note")
        verbose_name_plural = _("monitoring notes")
        ordering = ["-visited_on", "-pk"]
        indexes = [models.Index(fields=["unit", "status"])]
        constraints = [
            models.CheckConstraint(
                name="monitoring_follow_up_after_visit",
                condition=Q(follow_up_due__isnull=True)
                | Q(follow_up_due__gte=models.F("visited_on")),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.unit} · {self.visited_on:%d/%m/%Y}"
