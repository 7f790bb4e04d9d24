"""The inbox's count read from the estimates' tally equals counting the inbox itself, for
every role, with the plan, status and commune filters, open amendments included (an
amended estimate waits in the inbox of whoever acts on its amendment)."""

from __future__ import annotations

from typing import Any

import pytest

from approvals.access import estimate_inbox_for_user, inbox_count
from estimates.models import Estimate, Plan
from tests.factories import estimate_amended, estimate_in_status

ROLES = ("hoi.silolau", "hoi.namxe", "hoi.huyen", "tckh", "pho.chutich", "ketoan", "quansat")


def _counted(user: Any, **filters: Any) -> int:
    rows = estimate_inbox_for_user(user, [filters["status"]] if filters.get("status") else None)
    if filters.get("plan_id") is not None:
        rows = rows.filter(plan_id=filters["plan_id"])
    if filters.get("unit_id") is not None:
        rows = rows.filter(unit_id=filters["unit_id"])
    return rows.count()


def test_the_inbox_count_from_the_tally_is_the_inbox_s(plan: Plan, users: dict[str, Any]) -> None:
    made = [
        estimate_in_status(status, plan=plan, drafter=users[drafter])
        for status, drafter in [
            ("draft", "hoi.silolau"),
            ("review", "hoi.silolau"),
            ("review", "hoi.namxe"),
            ("appraisal", "hoi.namxe"),
            ("approval", "hoi.silolau"),
            ("settlement", "hoi.namxe"),
            ("returned", "hoi.silolau"),
        ]
    ]
    made.append(estimate_in_status("draft", plan=plan, level="district"))
    # An approved estimate whose amendment waits for the district Women's Union.
    amended = estimate_amended(plan)
    communes = sorted({e.unit_id for e in made})
    waiting = 0
    for username in ROLES:
        user = users[username]
        for filters in [
            {},
            {"plan_id": plan.pk},
            {"plan_id": plan.pk + 1000},
            *({"status": s} for s in ("draft", "review", "approved", "settlement")),
            *({"unit_id": u} for u in communes),
            {"status": "review", "unit_id": communes[0]},
        ]:
            expected = _counted(user, **filters)
            assert inbox_count(user, **filters) == expected, (username, filters)
            waiting += expected
    assert waiting > 0
    # The amendment is counted once for the district Women's Union, with what else waits.
    assert _counted(users["hoi.huyen"], status="approved") == 1
    assert Estimate.objects.filter(pk=amended.pk, status="approved").exists()


@pytest.mark.parametrize("username", ROLES)
def test_a_role_with_nothing_waiting_counts_zero(
    plan: Plan, users: dict[str, Any], username: str
) -> None:
    assert inbox_count(users[username]) == _counted(users[username]) == 0
