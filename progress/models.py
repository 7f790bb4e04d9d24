"""The plan's indicators, its reporting periods and the progress reports (plan section V.4).

An ``Indicator`` is a target attached to a content or an activity of a plan: what is
counted, in which unit, at which level, and the target for the plan's period. The target
comes from the plan (``target_source = plan``, with the plan's words cited) or, where the
plan gives no number, is entered by the district Women's Union (``district``); an indicator
without a target says so, nothing is invented.

A ``Period`` is a reporting period of a plan (month, quarter, half-year, year) with the
day the communes' reports are due. A ``ProgressReport`` is one unit's report for one period:
a commune's (to the district Women's Union) or the district's consolidation of the accepted
commune reports (to the province). Its status moves only in ``progress.services``, by the
table in ``progress.lifecycle``. A report accepted is final: a correction is a new version
(``previous``), and the consolidation reads the latest accepted version of each commune.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from beneficiaries.models import PriorityGroup
from core.money import MAX_AMOUNT
from core.text import LONG_TEXT
from estimates.models import Activity, Content, Level, Plan
from organization.models import Unit
from progress.words import area_word, area_words


class PlanReporting(models.Model):
    """How a plan is reported on: the working days after a period's end by which the
    communes report, and the recipients (the plan's "Nơi nhận") printed on the district
    report. Loaded from the plan's reporting file (``manage.py load_reporting``)."""

    plan = models.OneToOneField(Plan, on_delete=models.CASCADE, related_name="reporting")
    due_working_days = models.PositiveSmallIntegerField(
        _("reports due (working days after the period)"), default=5
    )
    place = models.CharField(_("place printed on the report"), max_length=100)
    recipients = models.JSONField(_("recipients (Nơi nhận)"), default=list, blank=True)

    class Meta:
        verbose_name = _("reporting rules of a plan")
        verbose_name_plural = _("reporting rules of plans")

    def __str__(self) -> str:
        return str(self.plan)


class PeriodKind(models.TextChoices):
    MONTH = "month", _("Month")
    QUARTER = "quarter", _("Quarter")
    HALF = "half", _("Half-year")
    YEAR = "year", _("Year")


class Period(models.Model):
    """A reporting period of a plan, and the day the communes' reports are due."""

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="periods")
    kind = models.CharField(_("kind"), max_length=10, choices=PeriodKind.choices)
    label = models.CharField(_("label"), max_length=60)
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"))
    due_on = models.DateField(_("reports due on"))

    class Meta:
        verbose_name = _("reporting period")
        verbose_name_plural = _("reporting periods")
        ordering = ["plan", "starts_on", "ends_on"]
        constraints = [
            models.UniqueConstraint(
                fields=["plan", "kind", "starts_on"], name="period_unique_per_plan"
            ),
            models.CheckConstraint(
                name="period_dates_ordered",
                condition=Q(ends_on__gte=F("starts_on")) & Q(due_on__gte=F("ends_on")),
            ),
        ]

    def __str__(self) -> str:
        return self.label

    @property
    def words(self) -> dict[str, Any]:
        """The period's words for the level above the commune, after its plan's area (no
        query when read with ``plan__area``)."""
        return area_words(self.plan.area.kind)


class TargetSource(models.TextChoices):
    PLAN = "plan", _("Set by the plan")
    DISTRICT = "district", _("Entered by the Women's Union above the commune")


class Indicator(models.Model):
    """A target of the plan attached to a content or an activity."""

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="indicators")
    content = models.ForeignKey(
        Content, verbose_name=_("content"), on_delete=models.CASCADE, related_name="indicators"
    )
    activity = models.ForeignKey(
        Activity,
        verbose_name=_("activity"),
        on_delete=models.CASCADE,
        related_name="indicators",
        null=True,
        blank=True,
    )
    code = models.SlugField(_("code"), max_length=40)
    name = models.CharField(_("what is counted"), max_length=300)
    unit_of_measure = models.CharField(_("unit"), max_length=50)
    level = models.CharField(_("level"), max_length=20, choices=Level.choices)
    target = models.PositiveBigIntegerField(
        _("target for the plan's period"), null=True, blank=True
    )
    target_source = models.CharField(
        _("target set by"), max_length=10, choices=TargetSource.choices, blank=True
    )
    citation = models.CharField(_("where the plan says it"), max_length=300, blank=True)
    target_set_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    target_set_at = models.DateTimeField(_("target entered at"), null=True, blank=True)
    sort_order = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("indicator")
        verbose_name_plural = _("indicators")
        ordering = ["plan", "sort_order", "code"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "code"], name="indicator_code_unique"),
            models.CheckConstraint(
                name="indicator_target_has_source",
                condition=(Q(target__isnull=True) & Q(target_source=""))
                | (Q(target__isnull=False) & ~Q(target_source="")),
            ),
            models.CheckConstraint(
                name="indicator_plan_target_cited",
                condition=~Q(target_source="plan") | ~Q(citation=""),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    @property
    def level_label(self) -> Any:
        """The indicator's level; above the commune, in the words of the plan's area (the
        stored ``district`` is the area's level whatever its kind)."""
        if self.level == Level.COMMUNE:
            return self.get_level_display()
        return area_word("area_level", self.plan.area.kind)

    @property
    def target_source_label(self) -> Any:
        """Who set the target, in the words of the plan's area (no query when read with
        ``plan__area``)."""
        if self.target_source == TargetSource.DISTRICT:
            return area_word("target_entered", self.plan.area.kind)
        return self.get_target_source_display()


class ReportStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", pgettext_lazy("report status", "Submitted")
    RETURNED = "returned", _("Returned for correction")
    ACCEPTED = "accepted", _("Accepted")


class ProgressReport(models.Model):
    """One unit's report for one period: a commune's, or the district's consolidation."""

    plan = models.ForeignKey(Plan, on_delete=models.PROTECT, related_name="progress_reports")
    period = models.ForeignKey(
        Period, verbose_name=_("period"), on_delete=models.PROTECT, related_name="reports"
    )
    unit = models.ForeignKey(
        Unit, verbose_name=_("reporting unit"), on_delete=models.PROTECT, related_name="+"
    )
    level = models.CharField(_("level"), max_length=20, choices=Level.choices)
    version = models.PositiveIntegerField(_("version"), default=1)
    previous = models.ForeignKey(
        "self",
        verbose_name=_("corrects"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="corrections",
    )
    status = models.CharField(
        _("status"), max_length=20, choices=ReportStatus.choices, default=ReportStatus.DRAFT
    )
    status_changed_at = models.DateTimeField(_("in this status since"), null=True, blank=True)
    difficulties = models.TextField(_("difficulties"), blank=True, max_length=LONG_TEXT)
    proposals = models.TextField(_("proposals"), blank=True, max_length=LONG_TEXT)
    return_reason = models.TextField(_("reason for return"), blank=True, max_length=LONG_TEXT)
    #: The district report: the consolidated figures as they were when it was consolidated
    #: (and submitted upward). A commune report: empty.
    snapshot = models.JSONField(_("consolidated figures"), default=dict, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    submitted_at = models.DateTimeField(_("submitted"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("progress report")
        verbose_name_plural = _("progress reports")
        ordering = ["-period__starts_on", "unit__sort_order", "unit__name", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["period", "unit", "version"], name="report_version_unique"
            ),
            models.UniqueConstraint(
                fields=["period", "unit"],
                condition=Q(status__in=["draft", "returned"])
                | Q(level="commune", status="submitted"),
                name="report_one_open_version",
            ),
            models.CheckConstraint(name="report_version_positive", condition=Q(version__gte=1)),
        ]
        indexes = [models.Index(fields=["period", "status"])]

    def __str__(self) -> str:
        return f"{self.unit} · {self.period} · v{self.version}"

    @property
    def area_kind(self) -> str:
        """The kind of the plan's area (district, province): the words its pages use (no
        query when read with ``plan__area``)."""
        return str(self.plan.area.kind)

    @property
    def words(self) -> dict[str, Any]:
        """The report's words for the level above the commune, after its plan's area."""
        return area_words(self.area_kind)


class ReportActivity(models.Model):
    """What a commune held under one activity in the period. The money is the ledger's
    (paid in the period), copied when the report is submitted, never typed."""

    report = models.ForeignKey(ProgressReport, on_delete=models.CASCADE, related_name="activities")
    activity = models.ForeignKey(Activity, verbose_name=_("activity"), on_delete=models.PROTECT)
    held = models.TextField(_("what was held"), blank=True, max_length=LONG_TEXT)
    held_from = models.DateField(_("from"), null=True, blank=True)
    held_to = models.DateField(_("until"), null=True, blank=True)
    place = models.CharField(_("where"), max_length=300, blank=True)
    participants_women = models.PositiveIntegerField(_("women"), default=0)
    participants_girls = models.PositiveIntegerField(_("girls"), default=0)
    participants_men = models.PositiveIntegerField(_("men and boys"), default=0)
    spent = models.BigIntegerField(_("paid in the period (đồng)"), default=0)

    class Meta:
        verbose_name = _("activity in a report")
        verbose_name_plural = _("activities in a report")
        ordering = ["report", "activity__content__sort_order", "activity__sort_order"]
        constraints = [
            models.UniqueConstraint(fields=["report", "activity"], name="report_activity_unique"),
            models.CheckConstraint(
                name="report_activity_spent_range",
                condition=Q(spent__gte=0) & Q(spent__lte=MAX_AMOUNT),
            ),
            models.CheckConstraint(
                name="report_activity_dates_ordered",
                condition=Q(held_from__isnull=True)
                | Q(held_to__isnull=True)
                | Q(held_to__gte=F("held_from")),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.report} · {self.activity_id}"

    @property
    def participants(self) -> int:
        return self.participants_women + self.participants_girls + self.participants_men


class ReportGroupCount(models.Model):
    """How many of an activity line's participants belong to one of the plan's priority
    groups (``beneficiaries.PriorityGroup``: the groups are data, the same table the
    estimates count by). A group counted in a report cannot be deleted."""

    line = models.ForeignKey(ReportActivity, on_delete=models.CASCADE, related_name="groups")
    group = models.ForeignKey(
        PriorityGroup,
        verbose_name=_("priority group"),
        on_delete=models.PROTECT,
        related_name="report_counts",
    )
    count = models.PositiveIntegerField(_("participants"))

    class Meta:
        verbose_name = _("participants of a priority group in a report")
        verbose_name_plural = _("participants of priority groups in reports")
        ordering = ["line", "group__sort_order"]
        constraints = [
            models.UniqueConstraint(fields=["line", "group"], name="report_group_count_unique"),
            models.CheckConstraint(
                name="report_group_count_range",
                condition=Q(count__gte=0) & Q(count__lte=1_000_000),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.group_id}: {self.count}"


class IndicatorValue(models.Model):
    """A report's result against one indicator."""

    report = models.ForeignKey(ProgressReport, on_delete=models.CASCADE, related_name="values")
    indicator = models.ForeignKey(Indicator, on_delete=models.PROTECT, related_name="values")
    value = models.PositiveBigIntegerField(_("result"))
    note = models.CharField(_("note"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("indicator result")
        verbose_name_plural = _("indicator results")
        ordering = ["report", "indicator__sort_order"]
        constraints = [
            models.UniqueConstraint(fields=["report", "indicator"], name="indicator_value_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.indicator_id}: {self.value}"


class ReportReminder(models.Model):
    """A reminder sent to a commune that has not reported for a period: one per (period,
    commune, day), so a button pressed twice and the daily job remind once a day."""

    period = models.ForeignKey(Period, on_delete=models.CASCADE, related_name="reminders")
    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="+")
    sent_on = models.DateField(_("sent on"))
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("report reminder")
        verbose_name_plural = _("report reminders")
        ordering = ["-sent_on", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["period", "unit", "sent_on"], name="report_reminder_once_a_day"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.unit_id} · {self.period_id} · {self.sent_on}"
