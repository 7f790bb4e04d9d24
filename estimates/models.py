"""Plans, their envelopes and catalogues, activity estimates and their lines, cost norms.

Money is whole đồng in 64-bit integer columns held by database constraints. Models hold
fields and constraints only; every state change is in ``approvals.services`` and every
movement of money in the ledger.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from core.money import MAX_AMOUNT
from core.text import LONG_TEXT
from organization.models import Unit


class Level(models.TextChoices):
    """The budget levels a plan's money may be split by (plan section IV). Which of them a
    plan uses, what they are called and who acts at each is the plan's data
    (``Plan.levels``, read through :meth:`Plan.level_spec`); these are only the keys."""

    PROVINCE = "province", _("Province level")
    DISTRICT = "district", _("District level")
    COMMUNE = "commune", _("Commune level")


class Scope(models.TextChoices):
    """Who spends a level's money: the plan's area itself (one spending unit: the district
    or the province), or its communes (each with a share of the cell)."""

    AREA = "area", _("The plan's area")
    COMMUNES = "communes", _("The communes")


class Actor(models.TextChoices):
    """Whose agencies act at a stage: the plan's area (its offices), or the commune itself
    (the commune as the spending unit: its chair approves, its accountant pays)."""

    AREA = "area", _("The plan's area")
    COMMUNE = "commune", _("The commune")


#: The stages whose acting unit a plan's level names, with the unit permission each needs.
STAGES = ("review", "appraise", "approve", "disburse", "verify")

#: Submit routes: to review first, or straight to appraisal.
ROUTE_REVIEWED = "reviewed"
ROUTE_DIRECT = "direct"


@dataclass(frozen=True)
class LevelSpec:
    """One level of a plan: its key, its words, who spends and who acts at each stage
    (``""``: nobody, the stage is skipped; only review may be skipped)."""

    code: str
    label: str
    scope: str
    review: str = ""
    appraise: str = Actor.AREA
    approve: str = Actor.AREA
    disburse: str = Actor.AREA
    verify: str = Actor.AREA

    @property
    def route(self) -> str:
        return ROUTE_REVIEWED if self.review else ROUTE_DIRECT

    def actor(self, stage: str) -> str:
        return str(getattr(self, stage))

    def as_dict(self) -> dict[str, str]:
        return {
            "code": self.code,
            "label": self.label,
            "scope": self.scope,
            **{stage: self.actor(stage) for stage in STAGES},
        }


#: The structure of Plan 117 (a district and its communes): what a plan without its own
#: ``levels`` uses. The commune Women's Union drafts, the district Women's Union reviews,
#: the district's offices appraise, approve, pay and verify.
DEFAULT_LEVELS: tuple[dict[str, str], ...] = (
    {
        "code": "district",
        "label": "Cấp huyện",
        "scope": "area",
        "review": "",
        "appraise": "area",
        "approve": "area",
        "disburse": "area",
        "verify": "area",
    },
    {
        "code": "commune",
        "label": "Cấp xã",
        "scope": "communes",
        "review": "area",
        "appraise": "area",
        "approve": "area",
        "disburse": "area",
        "verify": "area",
    },
)


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
    carried_use_by_ground = models.CharField(
        _("legal ground of the use-by date"),
        max_length=300,
        blank=True,
        help_text=_("The rule that sets how long carried-over funds may be used."),
    )
    carried_from = models.ForeignKey(
        "self",
        verbose_name=_("carried over from"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="carried_into",
        help_text=_("The earlier plan whose carried-over money this plan's carried cells hold."),
    )
    carry_over_levels = models.JSONField(
        _("levels carried into"),
        default=dict,
        blank=True,
        help_text=_("Which level of this plan each level of the earlier plan carries into."),
    )
    levels = models.JSONField(
        _("levels"),
        default=list,
        blank=True,
        help_text=_(
            "The levels the money is split by, their names, and who acts at each stage "
            "(set by the plan file; empty: a district and its communes, as Plan 117)."
        ),
    )
    note = models.TextField(
        _("note"), blank=True, max_length=LONG_TEXT, help_text=_("Shown with the plan.")
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

    def level_specs(self) -> list[LevelSpec]:
        """The plan's levels, in order (no query: the plan row holds them)."""
        rows: Any = self.levels or DEFAULT_LEVELS
        return [LevelSpec(**row) for row in rows]

    def level_spec(self, code: str) -> LevelSpec:
        for spec in self.level_specs():
            if spec.code == code:
                return spec
        return LevelSpec(code=code, label=str(Level(code).label), scope=Scope.AREA)

    def level_label(self, code: str) -> str:
        return self.level_spec(code).label

    def level_for_unit(self, unit: Unit) -> str | None:
        """The level whose money ``unit`` spends: a commune spends at the communes' level,
        the plan's area at the area's level; None when the plan has no such level."""
        from organization.models import UnitKind

        scope = Scope.COMMUNES if unit.kind == UnitKind.COMMUNE else Scope.AREA
        for spec in self.level_specs():
            if spec.scope == scope:
                return spec.code
        return None

    def commune_level(self) -> str | None:
        """The code of the level split among the communes (None if the plan has none)."""
        for spec in self.level_specs():
            if spec.scope == Scope.COMMUNES:
                return spec.code
        return None


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
    REVIEW = "review", _("Awaiting Women's Union review")
    APPRAISAL = "appraisal", _("Awaiting Finance-Planning appraisal")
    APPROVAL = "approval", _("Awaiting approval")
    APPROVED = "approved", _("Approved, disbursing")
    SETTLEMENT = "settlement", _("Settlement awaiting verification")
    CLOSED = "closed", _("Closed")
    WITHDRAWN = "withdrawn", _("Withdrawn")


#: Statuses in the words of the plan's area (the Women's Union reviewing is the area's): what
#: a page shows for a given plan. The stored values and their neutral labels stay.
AREA_STATUS_LABELS: dict[tuple[str, str], Any] = {
    (EstimateStatus.REVIEW, "district"): _("Awaiting district Women's Union review"),
    (EstimateStatus.REVIEW, "province"): _("Awaiting province Women's Union review"),
}


def status_label(status: str, area_kind: str = "") -> Any:
    """A status's words; with the kind of a plan's area, in that plan's words. (Looked up,
    not asked of the enums: ``EstimateStatus.values`` builds its list at each call, and the
    exports ask for every row.)"""
    found = AREA_STATUS_LABELS.get((status, area_kind))
    if found is not None:
        return found
    return _STATUS_LABELS.get(status, status)


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
            # The same two orders within one status (the list and the API filtered by
            # status; approving several): a district's page of one status was read by
            # walking every estimate newest first past the other statuses.
            models.Index(fields=["status", "-created_at", "-id"], name="estimate_status_newest"),
            models.Index(
                fields=["status", "status_changed_at", "id"], name="estimate_status_waiting"
            ),
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

    @property
    def route(self) -> str:
        """Reviewed first or straight to appraisal: the plan level's data (no query when
        the plan is read with the estimate)."""
        return self.plan.level_spec(self.level).route

    @property
    def level_label(self) -> str:
        return self.plan.level_label(self.level)

    @property
    def area_kind(self) -> str:
        """The kind of the plan's area (district, province): the words its pages use (no
        query when read with ``plan__area``)."""
        return str(self.plan.area.kind)

    @property
    def status_label(self) -> Any:
        """The status in the words of the estimate's plan."""
        return status_label(self.status, self.area_kind)


class EstimateTally(models.Model):
    """The number of estimates and their requested, appraised and approved totals per plan,
    unit and status, kept by the database (PostgreSQL): a trigger on the estimates table
    appends, for every statement that inserts, updates or deletes estimates, one row per
    (plan, unit, status) it changed with the difference (``estimates/tally.py``). Rows are
    only ever appended and, by ``tally_compact`` (a beat task), folded together in one
    statement, so no transition waits on another's row and the sums are always exact.

    The estimate list reads its totals here when no text or content filter applies: a sum
    over at most a row per unit and status instead of an aggregate over every estimate a
    district role may see (100,000 at province scale)."""

    plan_id = models.BigIntegerField()
    unit_id = models.BigIntegerField()
    status = models.CharField(max_length=20)
    count = models.BigIntegerField()
    total_amount = models.BigIntegerField()
    appraised_amount = models.BigIntegerField()
    approved_amount = models.BigIntegerField()

    class Meta:
        verbose_name = _("estimate tally")
        indexes = [
            models.Index(fields=["unit_id", "status"], name="tally_unit_status"),
            # Every row of one status with what the sums need, read from the index alone,
            # the units tested against a hashed list: the menu's count of what waits for a
            # district or province role (1,015 units) in 0.6 ms instead of a probe of the
            # first index per unit or a scan of the table (2 ms). PostgreSQL only.
            models.Index(
                fields=["status"],
                include=[
                    "unit_id",
                    "plan_id",
                    "count",
                    "total_amount",
                    "appraised_amount",
                    "approved_amount",
                ],
                name="tally_status_cover",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.plan_id}/{self.unit_id}/{self.status}: {self.count}"


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


class AmendmentStatus(models.TextChoices):
    """Where an amendment of an approved estimate (điều chỉnh dự toán) stands. Its own
    short lifecycle (``approvals.lifecycle.AMENDMENT_TRANSITIONS``): the estimate stays
    approved, and keeps disbursing on its decision in force, while the amendment is
    reviewed, appraised and approved."""

    REVIEW = "amend_review", _("Amendment awaiting review")
    APPRAISAL = "amend_appraisal", _("Amendment awaiting appraisal")
    APPROVAL = "amend_approval", _("Amendment awaiting approval")
    APPROVED = "amend_approved", _("Amendment approved")
    RETURNED = "amend_returned", _("Amendment returned")
    WITHDRAWN = "amend_withdrawn", _("Amendment withdrawn")


#: Every status's words (``status_label``): an estimate's where an amendment's value is
#: the same.
_STATUS_LABELS: dict[str, Any] = {**dict(AmendmentStatus.choices), **dict(EstimateStatus.choices)}


#: An estimate has at most one amendment in these statuses (a database constraint).
AMENDMENT_OPEN_STATUSES = (
    AmendmentStatus.REVIEW,
    AmendmentStatus.APPRAISAL,
    AmendmentStatus.APPROVAL,
)


class Amendment(models.Model):
    """A proposed change to an approved estimate: new quantities, prices or days on its
    lines (up or down) and new dates. Nothing of the estimate changes until it is
    approved; then the lines take its figures, the commitment moves by the difference and
    the amendment has its own decision."""

    estimate = models.ForeignKey(
        Estimate, verbose_name=_("estimate"), on_delete=models.PROTECT, related_name="amendments"
    )
    number = models.PositiveIntegerField(_("amendment no."))
    status = models.CharField(
        _("status"), max_length=20, choices=AmendmentStatus.choices, db_index=True
    )
    status_changed_at = models.DateTimeField(_("in this status since"))
    reason = models.TextField(_("reason for the amendment"), max_length=LONG_TEXT)
    start_date = models.DateField(_("start date"))
    end_date = models.DateField(_("end date"))
    previous_start_date = models.DateField(_("start date before"))
    previous_end_date = models.DateField(_("end date before"))
    previous_total = models.BigIntegerField(_("approved total before (đồng)"))
    total = models.BigIntegerField(_("amended total (đồng)"))
    version = models.PositiveIntegerField(
        _("version"), help_text=_("The estimate's version frozen with the amended figures.")
    )
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("proposed by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("proposed"), auto_now_add=True)

    class Meta:
        verbose_name = _("amendment")
        verbose_name_plural = _("amendments")
        ordering = ["estimate", "number"]
        constraints = [
            models.UniqueConstraint(fields=["estimate", "number"], name="amendment_number_unique"),
            models.UniqueConstraint(
                fields=["estimate"],
                condition=Q(status__in=AMENDMENT_OPEN_STATUSES),
                name="amendment_one_open_per_estimate",
            ),
            models.CheckConstraint(name="amendment_number_positive", condition=Q(number__gt=0)),
            models.CheckConstraint(
                name="amendment_totals_range",
                condition=Q(total__gte=0)
                & Q(total__lte=MAX_AMOUNT)
                & Q(previous_total__gte=0)
                & Q(previous_total__lte=MAX_AMOUNT),
            ),
            models.CheckConstraint(
                name="amendment_dates_ordered", condition=Q(end_date__gte=F("start_date"))
            ),
        ]

    def __str__(self) -> str:
        return f"{self.estimate.number} · {self.number}"

    @property
    def is_open(self) -> bool:
        return self.status in AMENDMENT_OPEN_STATUSES

    @property
    def difference(self) -> int:
        return self.total - self.previous_total


class AmendmentLine(models.Model):
    """One line of an amendment: the new factors of an estimate line and its approved
    amount before the change."""

    amendment = models.ForeignKey(Amendment, on_delete=models.CASCADE, related_name="lines")
    line = models.ForeignKey(
        EstimateLine,
        verbose_name=_("cost line"),
        # The database refuses deleting a line an amendment names; DO_NOTHING spares the
        # drafting edits (which delete lines) a query: an amended estimate is approved.
        on_delete=models.DO_NOTHING,
        related_name="+",
    )
    quantity = models.PositiveIntegerField(_("quantity"))
    unit_price = models.BigIntegerField(_("unit price (đồng)"))
    times = models.PositiveIntegerField(_("days / times"))
    amount = models.BigIntegerField(_("amended amount (đồng)"))
    previous_amount = models.BigIntegerField(_("approved before (đồng)"))

    class Meta:
        verbose_name = _("amendment line")
        verbose_name_plural = _("amendment lines")
        ordering = ["amendment", "line__position"]
        constraints = [
            models.UniqueConstraint(fields=["amendment", "line"], name="amendment_line_unique"),
            models.CheckConstraint(
                name="amendment_line_quantity_positive", condition=Q(quantity__gt=0)
            ),
            models.CheckConstraint(name="amendment_line_times_positive", condition=Q(times__gt=0)),
            models.CheckConstraint(
                name="amendment_line_unit_price_range",
                condition=Q(unit_price__gt=0) & Q(unit_price__lte=MAX_AMOUNT),
            ),
            models.CheckConstraint(
                name="amendment_line_amount_is_product",
                condition=Q(amount=F("quantity") * F("unit_price") * F("times"))
                & Q(amount__lte=MAX_AMOUNT),
            ),
            models.CheckConstraint(
                name="amendment_line_previous_range",
                condition=Q(previous_amount__gte=0) & Q(previous_amount__lte=MAX_AMOUNT),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.amendment} · {self.line_id}"
