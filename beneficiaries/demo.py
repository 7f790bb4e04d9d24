"""Demo beneficiaries for the embedded default (``manage.py seed_register_demo``, run by
``make setup``): made through the real services, once. The records are labelled as demo
data ("Bà mẹ mẫu 01"): no invented personal names; ID numbers have the right shape only."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction

from approvals import lifecycle
from approvals import services as approvals
from approvals.services import EstimateInput
from estimates.models import Activity, Estimate, Plan
from organization.models import Unit, UnitKind

from .loader import register_data_load
from .models import Beneficiary, Ethnicity, PriorityGroup
from .services import (
    BeneficiaryInput,
    PaymentInput,
    beneficiary_register,
    estimate_groups_set,
)

#: (label, year of birth, ethnicity code, birth date, delivery, priority group codes)
MOTHERS = {
    "si-lo-lau": [
        ("Bà mẹ mẫu 01", 1996, "mong", dt.date(2024, 5, 14), "normal", ["ho-ngheo-can-ngheo"]),
        ("Bà mẹ mẫu 02", 1999, "dao", dt.date(2024, 6, 3), "caesarean", []),
        ("Bà mẹ mẫu 03", 2001, "ha-nhi", dt.date(2024, 6, 21), "normal", ["khuyet-tat"]),
    ],
    "nam-xe": [
        ("Bà mẹ mẫu 04", 1994, "mong", dt.date(2024, 7, 9), "normal", []),
        ("Bà mẹ mẫu 05", 1998, "dao", dt.date(2024, 8, 2), "normal", ["ho-ngheo-can-ngheo"]),
    ],
}


def _payments(delivery: str) -> dict[str, PaymentInput]:
    return {
        "travel": PaymentInput(2, 100_000),
        "kit": PaymentInput(1, 500_000),
        "meals": PaymentInput(2, 50_000, 3 if delivery == "normal" else 5),
        "nutrition": PaymentInput(1, 1_200_000),
    }


def _demo_id(year: int, n: int) -> str:
    """12 digits: Lai Châu's code (012), a woman of her century, her year, then 9990NN."""
    century = 1 + 2 * ((year - 1900) // 100)
    return f"012{century}{year % 100:02d}9990{n:02d}"


@transaction.atomic
def demo_beneficiaries_create(plan: Plan) -> list[Beneficiary]:
    """A safe-childbirth estimate approved in Sì Lở Lầu (three mothers: its payment list is
    ready for the accountant) and a draft in Nậm Xe (two mothers); participants per
    priority group on a returned estimate. Nothing happens if any beneficiary exists."""
    register_data_load()
    if Beneficiary.objects.exists():
        return []
    activity = Activity.objects.filter(content__plan=plan, register__isnull=False).first()
    if activity is None:
        return []
    users = {u.username: u for u in get_user_model().objects.all()}
    drafters = {"si-lo-lau": users.get("hoi.silolau"), "nam-xe": users.get("hoi.namxe")}
    if None in drafters.values():
        return []
    made: list[Beneficiary] = []
    n = 0
    estimates: dict[str, Estimate] = {}
    for code, rows in MOTHERS.items():
        commune = Unit.objects.get(code=code)
        drafter = drafters[code]
        est = approvals.estimate_create(
            actor=drafter,
            plan=plan,
            unit=commune,
            data=EstimateInput(
                activity_id=activity.pk,
                title="Hỗ trợ phụ nữ DTTS sinh đẻ an toàn (dữ liệu mẫu)",
                purpose="Chi hỗ trợ theo 04 gói chính sách cho các bà mẹ sinh con tại cơ sở y tế.",
                start_date=dt.date(2024, 5, 1),
                end_date=dt.date(2024, 9, 30),
            ),
        )
        estimates[code] = est
        villages = list(
            Unit.objects.filter(kind=UnitKind.VILLAGE, parent=commune).order_by("sort_order")
        )
        for i, (label, year, ethnicity, birth, delivery, groups) in enumerate(rows):
            n += 1
            made.append(
                beneficiary_register(
                    actor=drafter,
                    estimate_id=est.pk,
                    data=BeneficiaryInput(
                        full_name=label,
                        date_of_birth=dt.date(year, 3, 1 + n),
                        ethnicity_id=Ethnicity.objects.get(code=ethnicity).pk,
                        village_id=villages[i % len(villages)].pk,
                        national_id=_demo_id(year, n),
                        birth_date=birth,
                        place="commune_station" if delivery == "normal" else "hospital",
                        facility=(
                            f"Trạm y tế xã {commune.name}"
                            if delivery == "normal"
                            else "Trung tâm Y tế huyện"
                        ),
                        delivery=delivery,
                        group_ids=list(
                            PriorityGroup.objects.filter(code__in=groups).values_list(
                                "pk", flat=True
                            )
                        ),
                        payments=_payments(delivery),
                    ),
                )
            )
    _approve(estimates["si-lo-lau"], users)
    _count_groups(plan, users)
    return made


def _approve(est: Estimate, users: dict[str, Any]) -> None:
    approvals.estimate_submit(actor=users["hoi.silolau"], estimate_id=est.pk)
    approvals.estimate_forward(actor=users["hoi.huyen"], estimate_id=est.pk)
    approvals.estimate_appraise(actor=users["tckh"], estimate_id=est.pk)
    approvals.estimate_approve(actor=users["pho.chutich"], estimate_id=est.pk)


def _count_groups(plan: Plan, users: dict[str, Any]) -> None:
    """The participants per group of the demo's editable estimates of other activities."""
    groups = {g.code: g.pk for g in PriorityGroup.objects.all()}
    for est in Estimate.objects.filter(plan=plan, status__in=lifecycle.EDITABLE_STATUSES).exclude(
        activity__register__isnull=False
    ):
        drafter = est.created_by
        women = est.participants_women + est.participants_girls
        estimate_groups_set(
            actor=drafter,
            estimate_id=est.pk,
            counts={groups["dtts"]: women * 4 // 5, groups["ho-ngheo-can-ngheo"]: women // 3},
        )
