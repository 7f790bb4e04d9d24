"""Carry-over from plan 117 (2024) into the example plan (2025): reconciled per level and
source; carried-over money cannot be paid out after the plan's use-by date, and the refusal
names the date and the legal ground."""

from __future__ import annotations

import datetime as dt
import json
from io import StringIO

import pytest
import time_machine
from django.core.management import CommandError, call_command

from approvals import services
from core.errors import RuleViolation
from estimates.models import Estimate, Plan
from ledger.models import Disbursement, Tranche
from ledger.selectors import carry_over_reconcile, ledger_reconcile
from tests.factories import EXAMPLE_APPROVED_AT, demo_user
from tests.plans.conftest import EXAMPLE_CARRIED, example_draft


def test_carry_over_from_2024_into_the_example_plan_reconciles(
    two_plans: tuple[Plan, Plan],
) -> None:
    p117, example = two_plans
    tranche = Tranche.objects.get(plan=p117)
    assert (tranche.level, tranche.source, tranche.amount) == (
        "commune",
        "current",
        EXAMPLE_CARRIED,
    )
    rec = carry_over_reconcile(example)
    assert rec is not None and rec.earlier == p117
    assert [(r.from_level, r.source, r.into_level, r.carried_out) for r in rec.rows] == [
        ("commune", "current", "commune", EXAMPLE_CARRIED)
    ]
    assert [(c.level, c.carried_in, c.recorded) for c in rec.cells] == [
        ("province", 0, 0),
        ("commune", EXAMPLE_CARRIED, EXAMPLE_CARRIED),
    ]
    assert rec.carried_out == rec.carried_in == EXAMPLE_CARRIED
    assert rec.balanced
    assert ledger_reconcile(p117) == [] and ledger_reconcile(example) == []

    out = StringIO()
    call_command("carry_over", "--plan", example.number, "--json", stdout=out)
    data = json.loads(out.getvalue())
    assert data["from"] == "117/KH-UBND"
    assert (data["carried_out"], data["carried_in"], data["balanced"]) == (
        30_000_000,
        30_000_000,
        True,
    )
    out = StringIO()
    call_command("carry_over", "--plan", example.number, stdout=out)
    assert "30.000.000 ₫" in out.getvalue() and "reconciled" in out.getvalue()
    with pytest.raises(CommandError):
        call_command("carry_over", "--plan", p117.number)  # carries nothing over


def _approved_with_carried_line(example: Plan) -> Estimate:
    drafter = demo_user("hoi.xamot")
    estimate = example_draft(example, ("carried", 5_000_000))
    services.estimate_submit(actor=drafter, estimate_id=estimate.pk)
    services.estimate_forward(actor=demo_user("hoi.tinh"), estimate_id=estimate.pk)
    services.estimate_appraise(actor=demo_user("kinhte.xamot"), estimate_id=estimate.pk)
    # Approved in the plan's year, before the payments the test dates (a payment is
    # never dated before its approval).
    with time_machine.travel(EXAMPLE_APPROVED_AT, tick=False):
        services.estimate_approve(actor=demo_user("chutich.xamot"), estimate_id=estimate.pk)
    return estimate


def _pay(estimate: Estimate, paid_on: dt.date, amount: int) -> None:
    services.estimate_disburse(
        actor=demo_user("ketoan.xamot"),
        estimate_id=estimate.pk,
        kind="payment",
        paid_on=paid_on,
        amount=amount,
        source="carried",
        document_type="payment_order",
        document_number=f"UNC-{paid_on:%m%d}",
        payee="Tổ truyền thông",
    )


def test_carried_money_is_not_paid_after_its_use_by_date(two_plans: tuple[Plan, Plan]) -> None:
    _p117, example = two_plans
    estimate = _approved_with_carried_line(example)
    _pay(estimate, dt.date(2025, 12, 31), 1_000_000)  # the last day is still in time
    with pytest.raises(RuleViolation) as caught:
        _pay(estimate, dt.date(2026, 1, 2), 1_000_000)
    assert caught.value.field == "paid_on"
    assert "31/12/2025" in caught.value.message
    assert "Nghị quyết 104/2023/QH15" in caught.value.message
    assert "02/01/2026" in caught.value.message
    assert Disbursement.objects.filter(estimate=estimate).count() == 1
    assert ledger_reconcile(example) == []
