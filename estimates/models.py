"""Plans, their envelopes and catalogues, activity estimates and their lines, cost norms.

Money is whole đồng in 64-bit integer columns held by database constraints. Models hold
fields and constraints only; every state change is in ``approvals.services`` and every
movement of money in the ledger.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from core.money import MAX_AMOUNT
from core.text import LONG_TEXT
from organization.models import Unit


class Level(models.TextChoices):
    """Which budget level spends the money (plan section IV)."""

    DISTRICT = "district", _("District level")
    COMMUNE = "commune", _("Commune level")


class Source(models.TextChoices):
    """Where the money comes from (plan section IV)."""

    CURRENT = "current", _("Current-year allocation")
    CARRIED = "carried", _("Carried-over funds")


class Plan(models.Model):
    number = models.CharField(_("number"), max_length=50, unique=True)
    title = models.TextField(_("title"))
    issued_on = models.DateField(_("date issued"))
    issuer = models.ForeignKey(
        Unit, verbose_name=_("issuer"), on_delete=models.PROTECT, related_name="plans_issued"
    )
    area = models.ForeignKey(
        Unit,
        verbose_name=_("area"),
        on_delete=models.PROTECT,
        related_name="plans",
        help_text=_("The territory the plan covers (a district, or a province)."),
    )
    signatory_name = models.CharField(_("signatory"), max_length=120)
    signatory_title = models.CharField(_("signatory's title"), max_length=200)
    programme = models.TextField(_("programme"))
    project = models.TextField(_("project"))
    year = models.PositiveSmallIntegerField(_("budget year"))
    period_start = models.DateField(_("period start"))
    period_end = models.DateField(_("period end"))
    current_source_label = models.CharField(
        _("name of the current-year source"), max_length=120, blank=True
    )
    carried_source_label = models.CharField(
        _("name of the carried-over source"), max_length=120, blank=True
    )
    carried_use_by = models.DateField(
        _("carried-over funds usable until"),
        null=True,
        blank=True,
        help_text=_(
            "Carried-over funds must be used by this date (e.g. Resolution 104/2023/QH15)."
        ),
    )
    total_amount = models.BigIntegerField(_("stated total (đồng)"))

    class Meta:
        verbose_name = _("plan")
        verbose_name_plural = _("plans")
        ordering = ["-year", "number"]
        constraints = [
            models.CheckConstraint(name="plan_total_nonnegative", condition=Q(total_amount__gte=0)),
            models.CheckConstraint(
                name="plan_period_ordered", condition=Q(period_end__gte=F("period_start"))
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} ({self.year})"


class PlanCommune(models.Model):
    """A commune in the plan's area, with the number of villages the plan counts there."""

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="communes")
    commune = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="plan_entries")
    village_count = models.PositiveIntegerField(_("villages"))
    sort_order = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("commune in a plan")
        verbose_name_plural = _("communes in a plan")
        ordering = ["plan", "sort_order"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "commune"], name="plan_commune_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.commune} ({self.village_count})"


class Content(models.Model):
    """A programme content of the plan (section III): 1-4, and monitoring/evaluation."""

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="contents")
    code = models.CharField(_("code"), max_length=10)
    title = models.TextField(_("title"))
    sort_order = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("programme content")
        verbose_name_plural = _("programme contents")
        ordering = ["plan", "sort_order"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "code"], name="content_code_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.code}. {self.title}"


class Activity(models.Model):
    """An activity of the catalogue, under one programme content."""

    content = models.ForeignKey(Content, on_delete=models.CASCADE, related_name="activities")
    code = models.CharField(_("code"), max_length=20)
    title = models.TextField(_("title"))
    levels = models.CharField(
        _("levels"),
        max_length=40,
        default="district,commune",
        help_text=_("Comma-separated levels that may run this activity."),
    )
    sort_order = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("activity")
        verbose_name_plural = _("activities")
        ordering = ["content", "sort_order"]
        constraints = [
            models.UniqueConstraint(fields=["content", "code"], name="activity_code_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.title}"

    def allows_level(self, level: str) -> bool:
        return level in {part.strip() for part in self.levels.split(",")}


class EnvelopeCell(models.Model):
    """One cell of the plan's envelope (level × source): the legal ceiling."""

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="envelope")
    level = models.CharField(_("level"), max_length=20, choices=Level.choices)
    source = models.CharField(_("source"), max_length=20, choices=Source.choices)
    amount = models.BigIntegerField(_("allocated (đồng)"))

    class Meta:
        verbose_name = _("envelope cell")
        verbose_name_plural = _("envelope cells")
        ordering = ["plan", "level", "source"]
        constraints = [
            models.UniqueConstraint(
                fields=["plan", "level", "source"], name="envelope_cell_unique"
            ),
            models.CheckConstraint(
                name="envelope_cell_amount_range",
                condition=Q(amount__gte=0) & Q(amount__lte=MAX_AMOUNT),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.plan} · {self.get_level_display()} · {self.get_source_display()}"


class Norm(models.Model):
    """An effective-dated cost norm: a ceiling on the unit price (and quantity or days) of a
    kind of line, with its legal citation. Entered by an administrator; no amount is in code."""

    code = models.SlugField(_("code"), max_length=80)
    item = models.CharField(_("item"), max_length=200)
    unit = models.CharField(_("unit of measure"), max_length=50)
    max_unit_price = models.BigIntegerField(_("maximum unit price (đồng)"))
    max_quantity = models.PositiveIntegerField(_("maximum quantity"), null=True, blank=True)
    max_times = models.PositiveIntegerField(_("maximum days / times"), null=True, blank=True)
    valid_from = models.DateField(_("valid from"))
    valid_to = models.DateField(_("valid until"), null=True, blank=True)
    citation = models.CharField(_("legal citation"), max_length=300)

    class Meta:
        verbose_name = _("cost norm")
        verbose_name_plural = _("cost norms")
        ordering = ["code", "valid_from"]
        constraints = [
            models.UniqueConstraint(fields=["code", "valid_from"], name="norm_code_from_unique"),
            models.CheckConstraint(
                name="norm_price_range",
                condition=Q(max_unit_price__gt=0) & Q(max_unit_price__lte=MAX_AMOUNT),
            ),
            models.CheckConstraint(
                name="norm_validity_ordered",
                condition=Q(valid_to__isnull=True) | Q(valid_to__gte=F("valid_from")),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.item} ({self.citation})"


class EstimateStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    RETURNED = "returned", _("Returned for revision")
    REVIEW = "review", _("Awaiting district Women's Union review")
    APPRAISAL = "appraisal", _("Awaiting Finance-Planning appraisal")
    APPROVAL = "approval", _("Awaiting approval")
    APPROVED = "approved", _("Approved, disbursing")
    SETTLEMENT = "settlement", _("Settlement awaiting verification")
    CLOSED = "closed", _("Closed")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class Estimate(models.Model):
    """An activity estimate (dự toán): what, where, for how many, each cost line."""

    plan = models.ForeignKey(Plan, on_delete=models.PROTECT, related_name="estimates")
    number = models.CharField(_("number"), max_length=30, unique=True)
    level = models.CharField(_("level"), max_length=20, choices=Level.choices)
    unit = models.ForeignKey(
        Unit,
        verbose_name=_("spending unit"),
        on_delete=models.PROTECT,
        related_name="estimates",
        help_text=_("The commune (or the district) where the money is spent."),
    )
    content = models.ForeignKey(Content, verbose_name=_("content"), on_delete=models.PROTECT)
    activity = models.ForeignKey(Activity, verbose_name=_("activity"), on_delete=models.PROTECT)
    title = models.CharField(_("title"), max_length=300)
    purpose = models.TextField(_("purpose"), blank=True, max_length=LONG_TEXT)
    villages = models.ManyToManyField(
        Unit, verbose_name=_("villages served"), blank=True, related_name="+"
    )
    participants_women = models.PositiveIntegerField(_("women"), default=0)
    participants_girls = models.PositiveIntegerField(_("girls"), default=0)
    participants_men = models.PositiveIntegerField(_("men"), default=0)
    start_date = models.DateField(_("start date"))
    end_date = models.DateField(_("end date"))
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=EstimateStatus.choices,
        default=EstimateStatus.DRAFT,
        db_index=True,
    )
    status_changed_at = models.DateTimeField(_("in this status since"), null=True, blank=True)
    version = models.PositiveIntegerField(_("version"), default=0)
    total_amount = models.BigIntegerField(_("requested total (đồng)"), default=0)
    appraised_amount = models.BigIntegerField(_("appraised total (đồng)"), null=True, blank=True)
    approved_amount = models.BigIntegerField(_("approved total (đồng)"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="estimates_created"
    )
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="estimates_submitted",
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("estimate")
        verbose_name_plural = _("estimates")
        ordering = ["-created_at", "-pk"]
        indexes = [
            # The lists and their totals: visible units and a status, with the amounts
            # the totals add (read from the index alone).
            models.Index(
                fields=["unit", "status"],
                include=["total_amount", "appraised_amount", "approved_amount"],
                name="estimate_unit_status",
            ),
            models.Index(fields=["plan", "level"]),
            # The list's order (newest first) and the inbox's (waiting longest first): a
            # page of 25 is read from the index, not sorted out of every visible row.
            models.Index(fields=["-created_at", "-id"], name="estimate_newest"),
            models.Index(fields=["status_changed_at", "id"], name="estimate_waiting_since"),
        ]
        constraints = [
            models.CheckConstraint(
                name="estimate_total_range",
                condition=Q(total_amount__gte=0) & Q(total_amount__lte=MAX_AMOUNT),
            ),
            models.CheckConstraint(
                name="estimate_appraised_le_total",
                condition=Q(appraised_amount__isnull=True)
                | (Q(appraised_amount__gte=0) & Q(appraised_amount__lte=F("total_amount"))),
            ),
            models.CheckConstraint(
                name="estimate_approved_le_appraised",
                condition=Q(approved_amount__isnull=True)
                | (
                    Q(approved_amount__gte=0)
                    & Q(appraised_amount__isnull=False)
                    & Q(approved_amount__lte=F("appraised_amount"))
                ),
            ),
            models.CheckConstraint(
                name="estimate_dates_ordered", condition=Q(end_date__gte=F("start_date"))
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} · {self.title}"


class EstimateLine(models.Model):
    """A cost line: quantity × unit price × days/times, from one funding source.

    The amount is computed on the server and held equal to its factors by a constraint.
    Appraisal may only lower it; approval fixes it.
    """

    estimate = models.ForeignKey(Estimate, on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveIntegerField(_("no."))
    description = models.CharField(_("description"), max_length=300)
    unit_of_measure = models.CharField(_("unit of measure"), max_length=50)
    quantity = models.PositiveIntegerField(_("quantity"))
    unit_price = models.BigIntegerField(_("unit price (đồng)"))
    times = models.PositiveIntegerField(_("days / times"), default=1)
    source = models.CharField(_("funding source"), max_length=20, choices=Source.choices)
    norm = models.ForeignKey(
        Norm, verbose_name=_("cost norm"), on_delete=models.PROTECT, null=True, blank=True
    )
    amount = models.BigIntegerField(_("amount (đồng)"))
    appraised_amount = models.BigIntegerField(_("appraised (đồng)"), null=True, blank=True)
    appraisal_note = models.CharField(_("reason for the change"), max_length=500, blank=True)
    approved_amount = models.BigIntegerField(_("approved (đồng)"), null=True, blank=True)

    class Meta:
        verbose_name = _("cost line")
        verbose_name_plural = _("cost lines")
        ordering = ["estimate", "position"]
        constraints = [
            models.UniqueConstraint(fields=["estimate", "position"], name="line_position_unique"),
            models.CheckConstraint(name="line_quantity_positive", condition=Q(quantity__gt=0)),
            models.CheckConstraint(name="line_times_positive", condition=Q(times__gt=0)),
            models.CheckConstraint(
                name="line_unit_price_range",
                condition=Q(unit_price__gt=0) & Q(unit_price__lte=MAX_AMOUNT),
            ),
            models.CheckConstraint(
                name="line_amount_is_product",
                condition=Q(amount=F("quantity") * F("unit_price") * F("times"))
                & Q(amount__lte=MAX_AMOUNT),
            ),
            models.CheckConstraint(
                name="line_appraised_le_amount",
                condition=Q(appraised_amount__isnull=True)
                | (Q(appraised_amount__gte=0) & Q(appraised_amount__lte=F("amount"))),
            ),
            models.CheckConstraint(
                name="line_approved_le_appraised",
                condition=Q(approved_amount__isnull=True)
                | (
                    Q(approved_amount__gte=0)
                    & Q(appraised_amount__isnull=False)
                    & Q(approved_amount__lte=F("appraised_amount"))
                ),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.position}. {self.description}"


class EstimateVersion(models.Model):
    """A frozen copy of an estimate as it was submitted: what a reviewer compares against."""

    estimate = models.ForeignKey(Estimate, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField(_("version"))
    snapshot = models.JSONField(_("content"))
    total_amount = models.BigIntegerField(_("total (đồng)"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("estimate version")
        verbose_name_plural = _("estimate versions")
        ordering = ["estimate", "number"]
        constraints = [
            models.UniqueConstraint(fields=["estimate", "number"], name="version_number_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.estimate.number} v{self.number}"
