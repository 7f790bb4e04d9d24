"""People of every role (the demo users, plus a superuser drafter) and estimates made
through the services, for the approvals and API tests."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractUser

from estimates.models import Estimate, Plan
from organization.models import Membership, Role, Unit
from organization.permissions import access_sync
from tests.factories import club_input, estimate_in_status


@pytest.fixture
def people(users: dict[str, Any]) -> dict[str, AbstractUser]:
    """One user per role: the demo users, plus a second commune (Nậm Xe) officer and a
    superuser who also holds the commune officer role in Sì Lở Lầu."""
    boss = get_user_model().objects.create_user(
        "sep", password="x", is_superuser=True, is_staff=True
    )
    Membership.objects.create(
        user=boss, unit=Unit.objects.get(code="si-lo-lau.hlhpn"), role=Role.COMMUNE_WU_OFFICER
    )
    access_sync()
    return {**users, "sep": boss}


@pytest.fixture
def make_estimate(plan: Plan, people: dict[str, AbstractUser]) -> Callable[..., Estimate]:
    """A club meeting (``tests.factories.club_input``) of ``unit_code`` drafted by
    ``drafter``, driven to ``status`` by :func:`tests.factories.estimate_in_status`."""

    def make(
        status: str = "draft",
        *,
        unit_code: str = "si-lo-lau",
        drafter: str = "hoi.silolau",
        **kw: Any,
    ) -> Estimate:
        return estimate_in_status(
            status,
            plan=plan,
            unit_code=unit_code,
            drafter=people[drafter],
            data=club_input(plan, **kw),
        )

    return make
