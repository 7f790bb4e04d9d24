"""Approve and return at the same instant on one estimate, on PostgreSQL with real threads
and a barrier: through the services and through two browsers posting the pages. Exactly
one act wins, the other is told the estimate moved on (Conflict, 409), one audit entry is
written, and the ledger reconciles (a commitment, or the reservation released)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client
from django.urls import reverse

from approvals import services
from approvals.models import AuditEntry
from core.errors import Conflict
from estimates.models import Estimate, Plan
from ledger.models import EstimateAccount
from ledger.selectors import ledger_reconcile
from organization.models import Membership, Role, Unit
from organization.permissions import access_sync
from tests.factories import estimate_in_status

ROUNDS = 10
DECISIONS = ("estimate.approved", "estimate.returned")

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def deputy(users: dict[str, Any]) -> Any:
    """A second vice chair: one approves while the other returns."""
    user = get_user_model().objects.create_user("pho.chutich2", password="x")
    Membership.objects.create(
        user=user, unit=Unit.objects.get(code="phong-tho.ubnd"), role=Role.APPROVER
    )
    access_sync()
    return user


def race(jobs: list[Callable[[], str]]) -> list[str]:
    """Run the jobs in threads released together by a barrier; their outcomes."""
    barrier = threading.Barrier(len(jobs))
    outcomes: list[str] = []
    lock = threading.Lock()

    def run(job: Callable[[], str]) -> None:
        try:
            Estimate.objects.exists()  # open this thread's connection before the start
            barrier.wait(timeout=30)
            outcome = job()
        except Exception as exc:  # recorded, and fails the assertions
            outcome = f"error: {type(exc).__name__}: {exc}"
        finally:
            connection.close()
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=run, args=(job,)) for job in jobs]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert len(outcomes) == len(jobs), outcomes
    return outcomes


def held(estimate: Estimate) -> tuple[int, int]:
    """What the ledger holds for the estimate: (reserved, approved), over its sources."""
    accounts = EstimateAccount.objects.filter(estimate=estimate)
    return (sum(a.reserved for a in accounts), sum(a.approved for a in accounts))


def one_decision(plan: Plan, estimate: Estimate) -> str:
    """The one decision recorded; the estimate and the ledger agree with it."""
    estimate.refresh_from_db()
    decisions = list(
        AuditEntry.objects.filter(estimate=estimate, action__in=DECISIONS).values_list(
            "action", flat=True
        )
    )
    assert len(decisions) == 1, decisions
    if decisions == ["estimate.approved"]:
        assert estimate.status == "approved"
        assert held(estimate) == (0, estimate.approved_amount)
    else:
        assert estimate.status == "appraisal"
        assert held(estimate) == (0, 0)
    assert ledger_reconcile(plan) == []
    return decisions[0]


def test_approve_and_return_at_once_one_wins(
    plan: Plan, users: dict[str, Any], deputy: Any
) -> None:
    for _round in range(ROUNDS):
        estimate = estimate_in_status("approval", plan=plan)
        assert held(estimate) == (estimate.appraised_amount, 0)

        def approve(pk: int = estimate.pk) -> str:
            try:
                services.estimate_approve(actor=users["pho.chutich"], estimate_id=pk)
            except Conflict:
                return "conflict"
            return "approved"

        def return_(pk: int = estimate.pk) -> str:
            try:
                services.estimate_return(actor=deputy, estimate_id=pk, reason="Xem lại định mức")
            except Conflict:
                return "conflict"
            return "returned"

        outcomes = race([approve, return_])
        assert sorted(outcomes) in (["approved", "conflict"], ["conflict", "returned"]), outcomes
        decision = one_decision(plan, estimate)
        assert ("approved" in outcomes) == (decision == "estimate.approved")


def test_two_browsers_approve_and_return_at_once_one_gets_409(
    plan: Plan, users: dict[str, Any], deputy: Any
) -> None:
    approver, returner = Client(), Client()
    for client, user in ((approver, users["pho.chutich"]), (returner, deputy)):
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
        client.force_login(user)
    for _round in range(ROUNDS):
        estimate = estimate_in_status("approval", plan=plan)

        def approve(pk: int = estimate.pk) -> str:
            response = approver.post(
                reverse("estimates:approve", args=[pk]),
                {"confirm": "on", "seen_status": "approval"},
            )
            return f"approve {response.status_code}"

        def return_(pk: int = estimate.pk) -> str:
            response = returner.post(
                reverse("estimates:return", args=[pk]),
                {"reason": "Xem lại định mức", "to": "appraisal", "seen_status": "approval"},
            )
            return f"return {response.status_code}"

        outcomes = sorted(race([approve, return_]))
        assert outcomes in (["approve 302", "return 409"], ["approve 409", "return 302"]), outcomes
        decision = one_decision(plan, estimate)
        assert ("approve 302" in outcomes) == (decision == "estimate.approved")
