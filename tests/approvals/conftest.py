"""People of every role (the demo users, on PostgreSQL) and estimates made through the
services, for the approvals tests."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractUser

from approvals import services
from estimates.models import Activity, Estimate, Plan
from organization.demo import demo_users_create
from organization.models import Membership, Role, Unit
from organization.permissions import access_sync


@pytest.fixture
def people(plan: Plan) -> dict[str, AbstractUser]:
    """One user per role: the demo users, plus a second commune (Nậm Xe) officer and a
    superuser who also holds the commune officer role in Sì Lở Lầu."""
    demo_users_create()
    user_model = get_user_model()
    users = {u.username: u for u in user_model.objects.all()}
    boss = user_model.objects.create_user("sep", password="x", is_superuser=True, is_staff=True)
    Membership.objects.create(
        user=boss, unit=Unit.objects.get(code="si-lo-lau.hlhpn"), role=Role.COMMUNE_WU_OFFICER
    )
    access_sync()
    users["sep"] = boss
    return users


def line(**kw: Any) -> services.LineInput:
    values: dict[str, Any] = {
        "description": "Nước uống cho người tham dự",
        "unit_of_measure": "người",
        "quantity": 30,
        "unit_price": 20_000,
        "times": 2,
        "source": "current",
    }
    values.update(kw)
    return services.LineInput(**values)


def estimate_input(plan: Plan, **kw: Any) -> services.EstimateInput:
    values: dict[str, Any] = {
        "activity_id": Activity.objects.get(content__plan=plan, code="3.2").pk,
        "title": "Sinh hoạt CLB Thủ lĩnh của sự thay đổi",
        "start_date": dt.date(2024, 6, 1),
        "end_date": dt.date(2024, 6, 2),
        "lines": [
            line(),
            line(
                description="Tài liệu",
                unit_of_measure="bộ",
                quantity=30,
                unit_price=15_000,
                times=1,
                source="carried",
            ),
        ],
    }
    values.update(kw)
    return services.EstimateInput(**values)


@pytest.fixture
def make_estimate(plan: Plan, people: dict[str, AbstractUser]) -> Callable[..., Estimate]:
    """A commune estimate of Sì Lở Lầu drafted by its officer, moved to ``status``."""

    def make(
        status: str = "draft",
        *,
        unit_code: str = "si-lo-lau",
        drafter: str = "hoi.silolau",
        **kw: Any,
    ) -> Estimate:
        unit = Unit.objects.get(code=unit_code)
        est = services.estimate_create(
            actor=people[drafter], plan=plan, unit=unit, data=estimate_input(plan, **kw)
        )
        steps: list[Callable[[], Any]] = []
        if status in ("review", "appraisal", "approval", "approved", "returned"):
            steps.append(
                lambda: services.estimate_submit(actor=people[drafter], estimate_id=est.pk)
            )
        if status == "returned":
            steps.append(
                lambda: services.estimate_return(
                    actor=people["hoi.huyen"], estimate_id=est.pk, reason="Thiếu"
                )
            )
        if status in ("appraisal", "approval", "approved") and est.level == "commune":
            steps.append(
                lambda: services.estimate_forward(actor=people["hoi.huyen"], estimate_id=est.pk)
            )
        if status in ("approval", "approved"):
            steps.append(
                lambda: services.estimate_appraise(actor=people["tckh"], estimate_id=est.pk)
            )
        if status == "approved":
            steps.append(
                lambda: services.estimate_approve(actor=people["pho.chutich"], estimate_id=est.pk)
            )
        for step in steps:
            step()
        est.refresh_from_db()
        assert est.status == status
        return est

    return make
