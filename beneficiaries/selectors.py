"""Reading the register through the access gate, with personal data shown only to those
entitled to it, and the participants per priority group.

Who sees personal data (names, dates of birth, ethnicity, births, ID numbers) of a
commune's beneficiaries: those who hold ``view_unit_estimates`` on the commune through a
group of one of ``PERSONAL_DATA_ROLES`` — the commune's own Women's Union officers, and the
roles that appraise, approve, pay and audit. Others who may see the estimate (the district
Women's Union reviewing it, the commune's People's Committee, observers) see the list as
numbered records: village and amounts only. The national ID number is shown whole only to
those who pay (``disburse_unit_estimates``), masked to the others.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Sum
from django.utils.translation import gettext as _

from approvals import lifecycle
from approvals.access import unit_ids_with
from core.errors import Forbidden
from estimates.models import Estimate, EstimateStatus, Norm
from organization import permissions as perms
from organization.models import Role

from .models import Beneficiary, Component, GroupCount, PriorityGroup, RegisterActivity

#: The roles that see a commune's beneficiaries' personal data.
PERSONAL_DATA_ROLES = (
    Role.COMMUNE_WU_OFFICER,
    Role.FINANCE_OFFICER,
    Role.APPROVER,
    Role.ACCOUNTANT,
    Role.AUDITOR,
)


def personal_data_unit_ids(user: Any) -> frozenset[int]:
    return perms.unit_ids_through_roles(user, perms.VIEW, PERSONAL_DATA_ROLES)


def full_id_unit_ids(user: Any) -> frozenset[int]:
    return unit_ids_with(user, perms.DISBURSE)


def sees_personal_data(user: Any, estimate: Estimate) -> bool:
    return estimate.unit_id in personal_data_unit_ids(user)


def id_masked(number: str) -> str:
    """'••••••••6789': the last four digits only."""
    return "•" * (len(number) - 4) + number[-4:]


@dataclass
class Row:
    """One line of the list as the reader may see it."""

    number: int
    pk: int
    name: str
    village: str
    amounts: dict[str, int]
    total: int
    personal: bool
    ethnicity: str = ""
    date_of_birth: Any = None
    national_id: str = ""
    birth_date: Any = None
    place: str = ""
    facility: str = ""
    delivery: str = ""
    babies: int = 0
    groups: list[str] = field(default_factory=list)

    @property
    def amount_list(self) -> list[int | None]:
        """The amount of each component, in the columns' order (None: not paid)."""
        return [self.amounts.get(c) for c in Component.values]


@dataclass
class Register:
    estimate: Estimate
    rows: list[Row]
    personal: bool
    full_ids: bool
    totals: dict[str, int]
    total: int
    norms: list[Norm]

    @property
    def components(self) -> list[tuple[str, str]]:
        return [(c.value, str(c.label)) for c in Component]

    @property
    def total_list(self) -> list[int]:
        return [self.totals.get(c, 0) for c in Component.values]


def register_activity(estimate: Estimate) -> RegisterActivity | None:
    return RegisterActivity.objects.filter(activity_id=estimate.activity_id).first()


def estimate_register(user: Any, estimate: Estimate) -> Register:
    """The estimate's beneficiary list as ``user`` may see it (the caller went through
    ``approvals.access.access_estimate``): two queries whatever the number of rows, once
    the user's grants are read."""
    personal = sees_personal_data(user, estimate)
    full_ids = personal and estimate.unit_id in full_id_unit_ids(user)
    beneficiaries = (
        Beneficiary.objects.filter(estimate=estimate)
        .select_related("village", "ethnicity")
        .prefetch_related("payments__norm", "groups")
        .order_by("pk")
    )
    rows: list[Row] = []
    totals: dict[str, int] = defaultdict(int)
    norms: dict[int, Norm] = {}
    for number, b in enumerate(beneficiaries, start=1):
        amounts: dict[str, int] = {}
        for p in b.payments.all():
            amounts[p.component] = p.amount
            totals[p.component] += p.amount
            norms[p.norm_id] = p.norm
        row = Row(
            number=number,
            pk=b.pk,
            name=b.full_name if personal else str(b),
            village=b.village.name,
            amounts=amounts,
            total=b.total_amount,
            personal=personal,
        )
        if personal:
            row.ethnicity = b.ethnicity.name
            row.date_of_birth = b.date_of_birth
            row.national_id = b.national_id if full_ids else id_masked(b.national_id)
            row.birth_date = b.birth_date
            row.place = b.get_place_display()
            row.facility = b.facility
            row.delivery = b.get_delivery_display()
            row.babies = b.babies
            row.groups = [g.name for g in b.groups.all()]
        rows.append(row)
    return Register(
        estimate=estimate,
        rows=rows,
        personal=personal,
        full_ids=full_ids,
        totals=dict(totals),
        total=sum(r.total for r in rows),
        norms=sorted(norms.values(), key=lambda n: n.code),
    )


def payment_list_register(user: Any, estimate: Estimate) -> Register:
    """The list for the payment list (names and signatures): only for those who see
    personal data; others are refused (403)."""
    if not sees_personal_data(user, estimate):
        raise Forbidden(
            _("Your role does not allow seeing the beneficiaries' personal data."),
            estimate_id=estimate.pk,
        )
    return estimate_register(user, estimate)


def estimate_group_counts(estimate: Estimate) -> list[tuple[PriorityGroup, int]]:
    """Every priority group with the estimate's count (0 where none): two queries."""
    counts = dict(GroupCount.objects.filter(estimate=estimate).values_list("group_id", "count"))
    return [(g, counts.get(g.pk, 0)) for g in PriorityGroup.objects.order_by("sort_order")]


@dataclass(frozen=True)
class GroupTotal:
    group: PriorityGroup
    planned: int  # every estimate not withdrawn
    approved: int  # approved, in settlement or closed


def group_totals(user: Any, query: Any) -> list[GroupTotal]:
    """The participants per priority group summed over the estimates of a report's
    selection (``reports.filters.ReportQuery``: plan, unit, content, activity, statuses,
    start dates) that ``user`` may see: two queries whatever the number of estimates."""
    visible = unit_ids_with(user, perms.VIEW)
    counts = GroupCount.objects.filter(
        estimate__plan=query.plan, estimate__unit_id__any=visible
    ).exclude(estimate__status=EstimateStatus.WITHDRAWN)
    if query.unit is not None:
        counts = counts.filter(estimate__unit=query.unit)
    if query.content is not None:
        counts = counts.filter(estimate__content=query.content)
    if query.activity is not None:
        counts = counts.filter(estimate__activity=query.activity)
    if query.statuses:
        counts = counts.filter(estimate__status__in=query.statuses)
    if query.start_from:
        counts = counts.filter(estimate__start_date__gte=query.start_from)
    if query.start_to:
        counts = counts.filter(estimate__start_date__lte=query.start_to)
    planned: dict[int, int] = defaultdict(int)
    approved: dict[int, int] = defaultdict(int)
    for group_id, status, total in counts.values_list("group_id", "estimate__status").annotate(
        total=Sum("count")
    ):
        planned[group_id] += total or 0
        if status in lifecycle.MONEY_STATUSES:  # approved: carried out
            approved[group_id] += total or 0
    return [
        GroupTotal(g, planned.get(g.pk, 0), approved.get(g.pk, 0))
        for g in PriorityGroup.objects.order_by("sort_order")
    ]
