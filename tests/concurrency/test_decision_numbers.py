"""Two approvals at the same instant, on PostgreSQL with real threads and a barrier, get
two different consecutive decision numbers from the issuer's register."""

from __future__ import annotations

from typing import Any

import pytest

from approvals import services
from approvals.models import Decision
from estimates.models import Plan
from tests.concurrency.test_approve_return_race import race
from tests.factories import estimate_in_status

pytestmark = pytest.mark.django_db(transaction=True)

ROUNDS = 5


def test_parallel_approvals_get_consecutive_numbers(plan: Plan, users: dict[str, Any]) -> None:
    for _round in range(ROUNDS):
        estimates = [estimate_in_status("approval", plan=plan) for _ in range(2)]
        last = max(Decision.objects.values_list("number", flat=True), default=0)

        def approve(pk: int) -> str:
            services.estimate_approve(actor=users["pho.chutich"], estimate_id=pk)
            return "approved"

        outcomes = race([lambda pk=e.pk: approve(pk) for e in estimates])
        assert outcomes == ["approved", "approved"], outcomes
        numbers = sorted(
            Decision.objects.filter(estimate__in=estimates).values_list("number", flat=True)
        )
        assert numbers == [last + 1, last + 2]
