"""The safe-childbirth beneficiary register and the plan's priority groups.

A beneficiary (a mother supported under a register activity, e.g. the plan's "04 policy
packages for safe childbirth") belongs to one estimate of her commune; what she is paid is
one row per payment component, each held to its cost norm (``estimates.Norm``) and equal to
its factors by a constraint. The estimate's cost lines are derived from these rows
(``services.register_lines_for``). Personal data rules: docs/ARCHITECTURE.md, "Beneficiaries".

Priority groups and ethnicities are data (``data/register.yaml``, the admin); nothing in code
names a group, an ethnicity or an activity.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from core.money import MAX_AMOUNT
from estimates.models import Activity, Estimate, Norm
from organization.models import Unit


class Ethnicity(models.Model):
    """One of Vietnam's ethnic groups; ``is_minority`` says whether it is an ethnic
    minority (every group but the majority)."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=80)
    is_minority = models.BooleanField(_("ethnic minority"), default=True)
    sort_order = models.PositiveIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("ethnicity")
        verbose_name_plural = _("ethnicities")
        ordering = ["sort_order", "name"]

    def __str__(self) -> str:
        return self.name


class PriorityGroup(models.Model):
    """A group the plan gives priority to (section II: ethnic-minority women and children,
    poor and near-poor households, victims of trafficking, violence and abuse, women
    returning from across the border, women with disabilities).

    ``counts_minority``: a beneficiary of an ethnic minority counts in it without being
    ticked. ``safe_birth_eligible``: belonging to it makes a mother eligible for the
    safe-childbirth support even if she is not of an ethnic minority (none by default: the
    plan names ethnic-minority women only)."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=200)
    counts_minority = models.BooleanField(
        _("counts every ethnic-minority beneficiary"), default=False
    )
    safe_birth_eligible = models.BooleanField(
        _("eligible for safe-childbirth support"), default=False
    )
    sort_order = models.PositiveIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("priority group")
        verbose_name_plural = _("priority groups")
        ordering = ["sort_order", "name"]

    def __str__(self) -> str:
        return self.name


class RegisterActivity(models.Model):
    """An activity of a plan whose estimates list their beneficiaries: the estimate's cost
    lines come from the list (safe-childbirth support)."""

    activity = models.OneToOneField(
        Activity, verbose_name=_("activity"), on_delete=models.CASCADE, related_name="register"
    )
    min_age = models.PositiveSmallIntegerField(
        _("minimum age of the mother at the birth"), default=18
    )

    class Meta:
        verbose_name = _("activity with a beneficiary register")
        verbose_name_plural = _("activities with a beneficiary register")

    def __str__(self) -> str:
        return str(self.activity)


class Delivery(models.TextChoices):
    NORMAL = "normal", _("Normal birth")
    CAESAREAN = "caesarean", _("Caesarean")


class Place(models.TextChoices):
    """Where the birth took place: support is paid for a birth at a health facility."""

    COMMUNE_STATION = "commune_station", _("Commune health station")
    HOSPITAL = "hospital", _("Hospital or health centre")
    OTHER_FACILITY = "other_facility", _("Other health facility")
    HOME = "home", _("At home")
    ELSEWHERE = "elsewhere", _("Elsewhere (on the way, ...)")


#: The places that are health facilities.
FACILITY_PLACES = frozenset({Place.COMMUNE_STATION, Place.HOSPITAL, Place.OTHER_FACILITY})


class Component(models.TextChoices):
    """What is paid per birth (Circular 15/2022/TT-BTC, article 38)."""

    TRAVEL = "travel", _("Travel")
    KIT = "kit", _("Birth kit")
    MEALS = "meals", _("Meals")
    NUTRITION = "nutrition", _("Nutrition")


class Beneficiary(models.Model):
    """A mother supported under a register activity, in one estimate of her commune."""

    estimate = models.ForeignKey(
        Estimate, verbose_name=_("estimate"), on_delete=models.PROTECT, related_name="beneficiaries"
    )
    full_name = models.CharField(_("full name"), max_length=120)
    #: The name folded (lower case, no accents): the duplicate check compares it.
    name_key = models.CharField(max_length=120, editable=False)
    date_of_birth = models.DateField(_("date of birth"))
    ethnicity = models.ForeignKey(Ethnicity, verbose_name=_("ethnicity"), on_delete=models.PROTECT)
    village = models.ForeignKey(
        Unit, verbose_name=_("village of residence"), on_delete=models.PROTECT, related_name="+"
    )
    national_id = models.CharField(_("national ID number"), max_length=12)
    groups = models.ManyToManyField(
        PriorityGroup, verbose_name=_("priority groups"), blank=True, related_name="beneficiaries"
    )
    birth_date = models.DateField(_("date of the birth"))
    place = models.CharField(_("place of the birth"), max_length=20, choices=Place.choices)
    facility = models.CharField(_("health facility"), max_length=200, blank=True)
    delivery = models.CharField(_("delivery"), max_length=20, choices=Delivery.choices)
    babies = models.PositiveSmallIntegerField(_("number of babies"), default=1)
    total_amount = models.BigIntegerField(_("total paid (đồng)"), default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("registered"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    #: Set when the estimate was withdrawn: the record stays (what was asked, for the
    #: audit), but no longer holds the birth, which may then be registered on another
    #: estimate.
    released_at = models.DateTimeField(_("released"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("beneficiary")
        verbose_name_plural = _("beneficiaries")
        ordering = ["estimate", "pk"]
        constraints = [
            # One payment per birth, whatever the commune or the estimate; a record
            # released by a withdrawn estimate holds it no longer.
            models.UniqueConstraint(
                fields=["national_id", "birth_date"],
                condition=Q(released_at__isnull=True),
                name="beneficiary_one_payment_per_birth_id",
            ),
            models.UniqueConstraint(
                fields=["name_key", "date_of_birth", "birth_date"],
                condition=Q(released_at__isnull=True),
                name="beneficiary_one_payment_per_birth_mother",
            ),
            models.CheckConstraint(
                name="beneficiary_national_id_shape", condition=Q(national_id__regex=r"^[0-9]{12}$")
            ),
            models.CheckConstraint(
                name="beneficiary_babies_range", condition=Q(babies__gte=1) & Q(babies__lte=10)
            ),
            models.CheckConstraint(
                name="beneficiary_total_range",
                condition=Q(total_amount__gte=0) & Q(total_amount__lte=MAX_AMOUNT),
            ),
            models.CheckConstraint(
                name="beneficiary_birth_after_own", condition=Q(birth_date__gt=F("date_of_birth"))
            ),
        ]

    def __str__(self) -> str:
        # Never the name: a record is referred to by its number outside the register's pages.
        return _("Beneficiary #%(n)s") % {"n": self.pk}


class Payment(models.Model):
    """One component paid to a beneficiary: quantity × unit price × days, under its norm."""

    beneficiary = models.ForeignKey(Beneficiary, on_delete=models.CASCADE, related_name="payments")
    component = models.CharField(_("component"), max_length=20, choices=Component.choices)
    norm = models.ForeignKey(Norm, verbose_name=_("cost norm"), on_delete=models.PROTECT)
    quantity = models.PositiveIntegerField(_("quantity"))
    unit_price = models.BigIntegerField(_("unit price (đồng)"))
    times = models.PositiveIntegerField(_("days / times"), default=1)
    amount = models.BigIntegerField(_("amount (đồng)"))

    class Meta:
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        ordering = ["beneficiary", "component"]
        constraints = [
            models.UniqueConstraint(
                fields=["beneficiary", "component"], name="payment_component_unique"
            ),
            models.CheckConstraint(name="payment_quantity_positive", condition=Q(quantity__gt=0)),
            models.CheckConstraint(name="payment_times_positive", condition=Q(times__gt=0)),
            models.CheckConstraint(
                name="payment_unit_price_range",
                condition=Q(unit_price__gt=0) & Q(unit_price__lte=MAX_AMOUNT),
            ),
            models.CheckConstraint(
                name="payment_amount_is_product",
                condition=Q(amount=F("quantity") * F("unit_price") * F("times"))
                & Q(amount__lte=MAX_AMOUNT),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_component_display()}: {self.amount}"


class GroupCount(models.Model):
    """How many of an estimate's participants belong to a priority group."""

    estimate = models.ForeignKey(Estimate, on_delete=models.CASCADE, related_name="group_counts")
    group = models.ForeignKey(
        PriorityGroup, verbose_name=_("priority group"), on_delete=models.PROTECT
    )
    count = models.PositiveIntegerField(_("participants"))

    class Meta:
        verbose_name = _("participants of a priority group")
        verbose_name_plural = _("participants of priority groups")
        ordering = ["estimate", "group__sort_order"]
        constraints = [
            models.UniqueConstraint(fields=["estimate", "group"], name="group_count_unique"),
            models.CheckConstraint(
                name="group_count_range", condition=Q(count__gte=0) & Q(count__lte=1_000_000)
            ),
        ]

    def __str__(self) -> str:
        return f"{self.group}: {self.count}"
