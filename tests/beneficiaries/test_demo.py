"""The demo's beneficiaries: made through the services, once."""

from __future__ import annotations

from typing import Any

import pytest

from beneficiaries.demo import demo_beneficiaries_create
from beneficiaries.models import Beneficiary
from estimates.models import Plan

pytestmark = pytest.mark.django_db


def test_demo_beneficiaries(register_data: None, plan: Plan, users: dict[str, Any]) -> None:
    made = demo_beneficiaries_create(plan)
    assert len(made) == 5
    assert all(b.full_name.startswith("Bà mẹ mẫu") for b in made)
    made = list(Beneficiary.objects.select_related("estimate__unit"))
    approved = {b.estimate.status for b in made if b.estimate.unit.code == "si-lo-lau"}
    assert approved == {"approved"}
    for b in made:
        est = b.estimate
        assert est.total_amount == sum(x.total_amount for x in est.beneficiaries.all())
    assert demo_beneficiaries_create(plan) == []
    assert Beneficiary.objects.count() == 5
