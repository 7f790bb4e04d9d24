"""A safe-childbirth draft of a commune, with the norms of Circular 15/2022/TT-BTC art. 38
and the register's reference data loaded inside the test's transaction (rolled back)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings

from approvals import services
from approvals.services import EstimateInput
from beneficiaries.loader import register_data_load
from beneficiaries.models import Ethnicity
from beneficiaries.services import BeneficiaryInput, PaymentInput
from estimates.models import Activity, Estimate, Plan
from ledger.norms_file import norms_load_file
from organization.models import Unit, UnitKind

NORMS_FILE = Path(settings.BASE_DIR) / "ledger" / "data" / "norms.yaml"
#: Clearly made-up records: a neutral label for the name, a shape-valid number.
ID_A = "012190000101"  # Lai Châu, a woman born in 1990
ID_B = "012195000202"  # a woman born in 1995


@pytest.fixture
def register_data(plan: Plan) -> None:
    norms_load_file(NORMS_FILE)
    register_data_load()


def safe_birth_activity(plan: Plan) -> Activity:
    return Activity.objects.get(content__plan=plan, register__isnull=False)


def safe_birth_draft(plan: Plan, drafter: Any, commune_code: str) -> Estimate:
    return services.estimate_create(
        actor=drafter,
        plan=plan,
        unit=Unit.objects.get(code=commune_code),
        data=EstimateInput(
            activity_id=safe_birth_activity(plan).pk,
            title="Hỗ trợ sinh đẻ an toàn quý III",
            start_date=dt.date(2024, 7, 1),
            end_date=dt.date(2024, 9, 30),
        ),
    )


@pytest.fixture
def draft(register_data: None, plan: Plan, users: dict[str, Any]) -> Estimate:
    return safe_birth_draft(plan, users["hoi.silolau"], "si-lo-lau")


def village(commune_code: str, n: int = 0) -> Unit:
    return list(
        Unit.objects.filter(kind=UnitKind.VILLAGE, parent__code=commune_code).order_by("pk")
    )[n]


def full_payments(delivery: str = "normal") -> dict[str, PaymentInput]:
    days = 3 if delivery == "normal" else 5
    return {
        "travel": PaymentInput(quantity=2, unit_price=100_000),
        "kit": PaymentInput(quantity=1, unit_price=500_000),
        "meals": PaymentInput(quantity=2, unit_price=50_000, times=days),
        "nutrition": PaymentInput(quantity=1, unit_price=1_200_000),
    }


def mother(commune_code: str = "si-lo-lau", **overrides: Any) -> BeneficiaryInput:
    values: dict[str, Any] = {
        "full_name": "Mẹ mẫu số 1",
        "date_of_birth": dt.date(1990, 5, 4),
        "ethnicity_id": Ethnicity.objects.get(code="mong").pk,
        "village_id": village(commune_code).pk,
        "national_id": ID_A,
        "birth_date": dt.date(2024, 6, 10),
        "place": "commune_station",
        "facility": "Trạm y tế xã",
        "delivery": "normal",
        "babies": 1,
        "payments": full_payments(),
    }
    values.update(overrides)
    return BeneficiaryInput(**values)
