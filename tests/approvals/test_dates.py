"""Dates follow the lifecycle: a payment is not dated before the approval, a settlement not
before the last payment (nor in the future); refused with the date it must be on or after,
at its field, nothing written."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from approvals import services
from approvals.models import AuditEntry
from core.errors import RuleViolation
from estimates.models import Estimate, Plan
from ledger.models import Disbursement, Settlement
from tests.factories import APPROVED_AT, estimate_in_status


@pytest.fixture
def approved(plan: Plan, users: dict[str, Any]) -> Estimate:
    return estimate_in_status("approved", plan=plan, drafter=users["hoi.silolau"])


def pay(users: dict[str, Any], estimate: Estimate, paid_on: dt.date, amount: int = 1_000) -> Any:
    return services.estimate_disburse(
        actor=users["ketoan"],
        estimate_id=estimate.pk,
        kind="payment",
        paid_on=paid_on,
        amount=amount,
        source="current",
        document_type="payment_order",
        document_number="UNC-7",
        payee="Nhà văn hoá",
    )


def settle(users: dict[str, Any], estimate: Estimate, settled_on: dt.date | None) -> Any:
    lines = estimate.lines.order_by("position")
    spent = {line.pk: 0 for line in lines}
    first = next(line for line in lines if line.source == "current")
    spent[first.pk] = 1_000
    return services.estimate_settle(
        actor=users["hoi.silolau"],
        estimate_id=estimate.pk,
        lines=[{"line_id": pk, "spent": amount} for pk, amount in spent.items()],
        settled_on=settled_on,
    )


def test_the_decision_carries_the_approval_date(approved: Estimate) -> None:
    assert approved.decision.issued_on == APPROVED_AT.date()


def test_a_payment_dated_before_the_approval_is_refused(
    users: dict[str, Any], approved: Estimate
) -> None:
    trail = AuditEntry.objects.filter(estimate=approved).count()
    with pytest.raises(RuleViolation) as refused:
        pay(users, approved, APPROVED_AT.date() - dt.timedelta(days=1))
    assert refused.value.field == "paid_on"
    assert "01/06/2024" in refused.value.message and "before the approval" in refused.value.message
    assert approved.decision.symbol in refused.value.message
    assert not Disbursement.objects.filter(estimate=approved).exists()
    assert AuditEntry.objects.filter(estimate=approved).count() == trail


def test_a_payment_on_the_approval_day_is_accepted(
    users: dict[str, Any], approved: Estimate
) -> None:
    assert pay(users, approved, APPROVED_AT.date()).paid_on == APPROVED_AT.date()


def test_the_disbursement_page_shows_the_date_to_pay_from(
    client: Client, users: dict[str, Any], approved: Estimate
) -> None:
    client.force_login(users["ketoan"])
    response = client.post(
        reverse("estimates:disburse", args=[approved.pk]),
        {
            "kind": "payment",
            "paid_on": "31/05/2024",
            "amount": "1.000",
            "source": "current",
            "document_type": "payment_order",
            "document_number": "UNC-7",
            "payee": "Nhà văn hoá",
        },
    )
    assert response.status_code == 400
    errors = " ".join(response.context["form"].errors["paid_on"])
    assert "01/06/2024" in errors
    assert not Disbursement.objects.filter(estimate=approved).exists()


def test_a_settlement_dated_before_the_last_payment_is_refused(
    users: dict[str, Any], approved: Estimate
) -> None:
    pay(users, approved, dt.date(2024, 6, 3))
    pay(users, approved, dt.date(2024, 6, 10), amount=500)
    with pytest.raises(RuleViolation) as refused:
        settle(users, approved, dt.date(2024, 6, 9))
    assert refused.value.field == "settled_on"
    assert "10/06/2024" in refused.value.message
    assert not Settlement.objects.filter(estimate=approved).exists()
    approved.refresh_from_db()
    assert approved.status == "approved"


def test_a_settlement_in_the_future_is_refused(users: dict[str, Any], approved: Estimate) -> None:
    pay(users, approved, dt.date(2024, 6, 3))
    with pytest.raises(RuleViolation) as refused:
        settle(users, approved, timezone.localdate() + dt.timedelta(days=1))
    assert refused.value.field == "settled_on"


def test_a_settlement_on_the_last_payment_day_is_kept_with_its_date(
    users: dict[str, Any], approved: Estimate
) -> None:
    pay(users, approved, dt.date(2024, 6, 10))
    settle(users, approved, dt.date(2024, 6, 10))
    assert Settlement.objects.get(estimate=approved).settled_on == dt.date(2024, 6, 10)
    entry = AuditEntry.objects.filter(estimate=approved).latest("seq")
    assert entry.data["settled_on"] == "2024-06-10"


def test_a_settlement_without_a_date_is_dated_today(
    users: dict[str, Any], approved: Estimate
) -> None:
    pay(users, approved, dt.date(2024, 6, 10))
    settle(users, approved, None)
    assert Settlement.objects.get(estimate=approved).settled_on == timezone.localdate()


def test_the_settlement_page_puts_the_date_error_at_its_field(
    client: Client, users: dict[str, Any], approved: Estimate
) -> None:
    pay(users, approved, dt.date(2024, 6, 10))
    lines = list(approved.lines.order_by("position"))
    data = {
        f"spent-{line.pk}": ("1.000" if line.source == "current" and n == 0 else "0")
        for n, line in enumerate(lines)
    }
    data.update({f"note-{line.pk}": "" for line in lines})
    data.update({"returned": "0", "carried": "0", "settled_on": "09/06/2024"})
    client.force_login(users["hoi.silolau"])
    response = client.post(reverse("estimates:settle", args=[approved.pk]), data)
    assert response.status_code == 400
    assert "10/06/2024" in " ".join(response.context["form"].errors["settled_on"])
    assert not Settlement.objects.filter(estimate=approved).exists()
