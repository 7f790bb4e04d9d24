"""The organisation as data: a tree of units, and people holding roles in them.

Territorial units (province, district, commune, village) and agencies (a Women's Union, a
Finance-Planning office, a People's Committee, ...) are rows of one table. Nothing in code
assumes a district exists: since 1 July 2025 a commune's parent can be the province, and
the agency that acts for a commune is found by walking up the tree
(:meth:`Unit.nearest_agency`).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class UnitKind(models.TextChoices):
    PROVINCE = "province", _("Province")
    DISTRICT = "district", _("District")
    COMMUNE = "commune", _("Commune")
    VILLAGE = "village", _("Village")
    AGENCY = "agency", _("Agency")


class AgencyType(models.TextChoices):
    WOMENS_UNION = "womens_union", _("Women's Union")
    FINANCE_PLANNING = "finance_planning", _("Finance-Planning office")
    PEOPLES_COMMITTEE = "peoples_committee", _("People's Committee")
    LINE_DEPARTMENT = "line_department", _("Line department")
    FATHERLAND_FRONT = "fatherland_front", _("Fatherland Front")


TERRITORIAL_KINDS = (UnitKind.PROVINCE, UnitKind.DISTRICT, UnitKind.COMMUNE, UnitKind.VILLAGE)


class UnitQuerySet(models.QuerySet["Unit"]):
    def communes(self) -> UnitQuerySet:
        return self.filter(kind=UnitKind.COMMUNE)

    def villages(self) -> UnitQuerySet:
        return self.filter(kind=UnitKind.VILLAGE)

    def agencies(self, agency_type: str | None = None) -> UnitQuerySet:
        qs = self.filter(kind=UnitKind.AGENCY)
        return qs.filter(agency_type=agency_type) if agency_type else qs


class Unit(models.Model):
    code = models.SlugField(
        _("code"),
        max_length=120,
        unique=True,
        help_text=_("A stable key used by data files, e.g. “si-lo-lau” or “phong-tho.tckh”."),
    )
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=20, choices=UnitKind.choices)
    agency_type = models.CharField(
        _("agency type"), max_length=30, choices=AgencyType.choices, blank=True
    )
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent unit"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
    )
    sort_order = models.PositiveIntegerField(_("order"), default=0)
    is_active = models.BooleanField(_("active"), default=True)
    # Validity and lineage, written by a reorganisation (``reorganisations``): a unit
    # exists from ``established_on`` (None: always has) until the day before
    # ``abolished_on`` (None: still exists); from that day its work belongs to
    # ``successor``. Reports for a day before ``abolished_on`` show the unit as it was.
    established_on = models.DateField(_("established on"), null=True, blank=True)
    abolished_on = models.DateField(_("abolished on"), null=True, blank=True)
    successor = models.ForeignKey(
        "self",
        verbose_name=_("successor unit"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="predecessors",
        help_text=_("The unit that took over this unit's work when it was abolished."),
    )

    objects = UnitQuerySet.as_manager()

    class Meta:
        verbose_name = _("unit")
        verbose_name_plural = _("units")
        ordering = ["sort_order", "name"]
        constraints = [
            models.CheckConstraint(
                name="unit_agency_type_iff_agency",
                condition=(Q(kind=UnitKind.AGENCY) & ~Q(agency_type=""))
                | (~Q(kind=UnitKind.AGENCY) & Q(agency_type="")),
            ),
            models.CheckConstraint(
                name="unit_only_province_is_root",
                condition=Q(kind=UnitKind.PROVINCE) | Q(parent__isnull=False),
            ),
            models.CheckConstraint(name="unit_not_own_parent", condition=~Q(parent=models.F("pk"))),
            models.CheckConstraint(
                name="unit_not_own_successor", condition=~Q(successor=models.F("pk"))
            ),
            models.CheckConstraint(
                name="unit_successor_when_abolished",
                condition=Q(successor__isnull=True) | Q(abolished_on__isnull=False),
            ),
            models.CheckConstraint(
                name="unit_validity_ordered",
                condition=Q(established_on__isnull=True)
                | Q(abolished_on__isnull=True)
                | Q(abolished_on__gt=models.F("established_on")),
            ),
        ]
        indexes = [models.Index(fields=["kind", "agency_type"])]
        # Object permissions, granted per unit (a commune, or the district for district-level
        # estimates) to the group of a role in an agency; see ``organization.access_sync``.
        # None of these may ever be granted globally: a global grant overrides every object.
        permissions = [
            ("view_unit_estimates", "Can view the estimates of a unit"),
            ("draft_unit_estimates", "Can draft, submit, withdraw and settle for a unit"),
            ("review_unit_estimates", "Can review the estimates of a unit"),
            ("appraise_unit_estimates", "Can appraise the estimates of a unit"),
            ("approve_unit_estimates", "Can approve the estimates of a unit"),
            ("disburse_unit_estimates", "Can record disbursements for a unit"),
            ("verify_unit_settlements", "Can verify the settlements of a unit"),
            ("monitor_unit_estimates", "Can record monitoring notes for a unit"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_agency(self) -> bool:
        return self.kind == UnitKind.AGENCY

    def exists_on(self, day: dt.date) -> bool:
        """Whether the unit existed on ``day`` (its validity dates)."""
        return (self.established_on is None or self.established_on <= day) and (
            self.abolished_on is None or day < self.abolished_on
        )

    def ancestors(self) -> list[Unit]:
        """This unit's parents, nearest first (one query per level; trees are shallow)."""
        chain: list[Unit] = []
        node = self.parent
        while node is not None:
            chain.append(node)
            node = node.parent
        return chain

    def territory(self) -> Unit:
        """The territorial unit an agency belongs to (itself for a territorial unit)."""
        node: Unit = self
        while node.kind == UnitKind.AGENCY and node.parent is not None:
            node = node.parent
        return node

    def nearest_agency(self, agency_type: str, *, above: bool = False) -> Unit | None:
        """The agency of ``agency_type`` that serves this unit: one attached to its own
        territory, else to the nearest territory above it. With ``above=True`` the search
        starts one level up (e.g. the district Women's Union that reviews a commune's)."""
        territory = self.territory()
        levels = territory.ancestors() if above else [territory, *territory.ancestors()]
        for level in levels:
            agency = level.children.filter(
                kind=UnitKind.AGENCY, agency_type=agency_type, is_active=True
            ).first()
            if agency is not None:
                return agency
        return None


class Role(models.TextChoices):
    """What a person does in a unit (plan section V). Permissions follow from roles."""

    COMMUNE_WU_OFFICER = "commune_wu_officer", _("Commune Women's Union officer")
    COMMUNE_PC = "commune_pc", _("Commune People's Committee")
    COMMUNE_CHAIR = "commune_chair", _("Commune chair (account holder, approver)")
    COMMUNE_ACCOUNTANT = "commune_accountant", _("Commune accountant")
    DISTRICT_WU = "district_wu", _("Women's Union officer above the commune")
    FINANCE_OFFICER = "finance_officer", _("Finance-Planning officer")
    APPROVER = "approver", _("People's Committee vice chair (approver)")
    ACCOUNTANT = "accountant", _("Treasurer / accountant")
    OBSERVER = "observer", _("Line department / Fatherland Front observer")
    AUDITOR = "auditor", _("Auditor")


#: The Women's Union officer above the commune in the words of the plan's area (a plan of a
#: district, or of a province with no district): what a page shows for a given plan.
AREA_ROLE_LABELS: dict[tuple[str, str], Any] = {
    (Role.DISTRICT_WU, UnitKind.DISTRICT): _("District Women's Union officer"),
    (Role.DISTRICT_WU, UnitKind.PROVINCE): _("Province Women's Union officer"),
}


def role_label(role: str, area_kind: str = "") -> Any:
    """A role's words; with the kind of a plan's area, in that plan's words."""
    if (role, area_kind) in AREA_ROLE_LABELS:
        return AREA_ROLE_LABELS[(role, area_kind)]
    return Role(role).label if role in Role.values else role


class MembershipQuerySet(models.QuerySet["Membership"]):
    def active(self) -> MembershipQuerySet:
        return self.filter(is_active=True, user__is_active=True)


class Membership(models.Model):
    """A person holds a role in a unit; a person may hold several."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="memberships",
    )
    unit = models.ForeignKey(
        Unit, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="memberships"
    )
    role = models.CharField(_("role"), max_length=30, choices=Role.choices)
    is_head = models.BooleanField(
        _("head of unit"), default=False, help_text=_("Receives escalations for the unit.")
    )
    is_active = models.BooleanField(_("active"), default=True)

    objects = MembershipQuerySet.as_manager()

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            models.UniqueConstraint(fields=["user", "unit", "role"], name="membership_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_role_display()} · {self.unit}"
