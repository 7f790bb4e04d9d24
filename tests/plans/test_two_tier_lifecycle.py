"""The example two-tier plan through the whole lifecycle: at commune level the commune is
the spending unit (the province Women's Union reviews, the commune's economic office
appraises and verifies, its chair approves and its accountant pays); at province level
the province's offices act. The ledger reconciles after every step."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine
from django.http import Http404
from django.test import Client
from django.urls import reverse

from approvals import services
from approvals.models import AuditEntry, Decision
from approvals.selectors import estimate_actions, estimate_waiting_on
from core.errors import Forbidden
from estimates.models import Estimate, EstimateStatus, Plan
from ledger.models import Settlement
from ledger.selectors import ledger_reconcile
from notifications.recipients import recipients_for_event
from tests.factories import EXAMPLE_APPROVED_AT, demo_user, estimate_input, lines_of

S = EstimateStatus


def _input(plan: Plan, unit_code: str, lines: Any = None, **kw: Any) -> Any:
    from organization.models import Unit

    unit = Unit.objects.get(code=unit_code)
    return unit, estimate_input(
        plan,
        unit,
        start_date=dt.date(2025, 9, 1),
        end_date=dt.date(2025, 9, 2),
        lines=lines or lines_of(("current", 4_000_000), ("carried", 1_000_000)),
        **kw,
    )


def test_a_commune_estimate_runs_with_the_commune_as_spending_unit(
    two_plans: tuple[Plan, Plan],
) -> None:
    _p117, example = two_plans
    unit, data = _input(example, "vd-xa-mot")
    drafter = demo_user("hoi.xamot")
    estimate = services.estimate_create(actor=drafter, plan=example, unit=unit, data=data)
    assert estimate.level == "commune" and estimate.level_label == "Cấp xã"
    pk = estimate.pk

    services.estimate_submit(actor=drafter, estimate_id=pk)
    assert Estimate.objects.get(pk=pk).status == S.REVIEW  # the plan's commune level is reviewed
    services.estimate_forward(actor=demo_user("hoi.tinh"), estimate_id=pk)

    # The province's finance department does not appraise a commune's estimate here.
    with pytest.raises(Forbidden):
        services.estimate_appraise(actor=demo_user("stc"), estimate_id=pk)
    services.estimate_appraise(actor=demo_user("kinhte.xamot"), estimate_id=pk)
    assert ledger_reconcile(example) == []

    waiting = estimate_waiting_on(Estimate.objects.select_related("plan").get(pk=pk))
    assert waiting is not None
    assert str(waiting.stage) == "The commune chair: approve or return"
    assert [p.username for p in waiting.people] == ["chutich.xamot"]
    with pytest.raises(Forbidden):
        services.estimate_approve(actor=demo_user("pct.tinh"), estimate_id=pk)
    # Approved in the plan's year, before the payments the test dates (a payment is
    # never dated before its approval).
    with time_machine.travel(EXAMPLE_APPROVED_AT, tick=False):
        services.estimate_approve(actor=demo_user("chutich.xamot"), estimate_id=pk)
    decision = Decision.objects.get(estimate_id=pk)
    assert decision.snapshot["issuer"]["name"] == "ỦY BAN NHÂN DÂN XÃ MẪU MỘT (VÍ DỤ)"
    assert ledger_reconcile(example) == []

    paid = {"kind": "payment", "document_type": "payment_order", "payee": "Tổ truyền thông"}
    with pytest.raises(Forbidden):
        services.estimate_disburse(
            actor=demo_user("ketoan.tinh"),
            estimate_id=pk,
            paid_on=dt.date(2025, 9, 3),
            amount=4_000_000,
            source="current",
            document_number="UNC-T",
            **paid,
        )
    for source, amount, number in (
        ("current", 4_000_000, "UNC-1"),
        ("carried", 1_000_000, "UNC-2"),
    ):
        services.estimate_disburse(
            actor=demo_user("ketoan.xamot"),
            estimate_id=pk,
            paid_on=dt.date(2025, 9, 3),
            amount=amount,
            source=source,
            document_number=number,
            **paid,
        )
    assert ledger_reconcile(example) == []

    # The commune is the spending unit: its accountant, who recorded the payments,
    # reports the settlement; the Women's Union that drafted is told so, nothing written.
    lines = Estimate.objects.get(pk=pk).lines.order_by("position")
    report = [{"line_id": line.pk, "spent": line.approved_amount} for line in lines]
    audited = AuditEntry.objects.filter(estimate_id=pk).count()
    with pytest.raises(Forbidden, match="its accountant, who records the payments, reports"):
        services.estimate_settle(actor=drafter, estimate_id=pk, lines=report)
    assert Estimate.objects.get(pk=pk).status == S.APPROVED
    assert not Settlement.objects.filter(estimate_id=pk).exists()
    assert AuditEntry.objects.filter(estimate_id=pk).count() == audited
    accountant = demo_user("ketoan.xamot")
    assert "settle" in estimate_actions(accountant, Estimate.objects.get(pk=pk))
    assert "settle" not in estimate_actions(drafter, Estimate.objects.get(pk=pk))
    # The pages ask the same: the accountant gets the settlement form, the drafter a refusal.
    client = Client()
    client.force_login(accountant)
    assert client.get(reverse("estimates:settle", args=[pk])).status_code == 200
    client.force_login(drafter)
    assert client.get(reverse("estimates:settle", args=[pk])).status_code == 403

    services.estimate_settle(actor=accountant, estimate_id=pk, lines=report)
    assert Estimate.objects.get(pk=pk).status == S.SETTLEMENT
    # Returned, the settlement is resubmitted by the accountant again.
    services.estimate_return_settlement(
        actor=demo_user("kinhte.xamot"), estimate_id=pk, reason="Thiếu chứng từ"
    )
    told = recipients_for_event(
        kind="estimate.settlement_returned",
        estimate=Estimate.objects.get(pk=pk),
        actor=demo_user("kinhte.xamot"),
    )
    assert {accountant.pk, drafter.pk} <= set(told)  # who corrects it is told
    with pytest.raises(Forbidden):
        services.estimate_settle(actor=drafter, estimate_id=pk, lines=report)
    services.estimate_settle(actor=accountant, estimate_id=pk, lines=report)
    settled = AuditEntry.objects.filter(estimate_id=pk, action="estimate.settlement_submitted")
    assert {e.actor.username for e in settled} == {"ketoan.xamot"}
    services.estimate_verify_settlement(actor=demo_user("kinhte.xamot"), estimate_id=pk)
    closed = Estimate.objects.get(pk=pk)
    assert closed.status == S.CLOSED
    assert ledger_reconcile(example) == []


def test_a_province_estimate_goes_straight_to_the_provinces_offices(
    two_plans: tuple[Plan, Plan],
) -> None:
    _p117, example = two_plans
    unit, data = _input(example, "lai-chau", lines_of(("current", 4_000_000)))
    drafter = demo_user("hoi.tinh")
    estimate = services.estimate_create(actor=drafter, plan=example, unit=unit, data=data)
    assert estimate.level == "province" and estimate.level_label == "Cấp tỉnh"
    services.estimate_submit(actor=drafter, estimate_id=estimate.pk)
    assert Estimate.objects.get(pk=estimate.pk).status == S.APPRAISAL  # no review
    with pytest.raises(Http404):  # a commune's office does not even see the province's
        services.estimate_appraise(actor=demo_user("kinhte.xamot"), estimate_id=estimate.pk)
    services.estimate_appraise(actor=demo_user("stc"), estimate_id=estimate.pk)
    with pytest.raises(Http404):
        services.estimate_approve(actor=demo_user("chutich.xamot"), estimate_id=estimate.pk)
    services.estimate_approve(actor=demo_user("pct.tinh"), estimate_id=estimate.pk)
    decision = Decision.objects.get(estimate_id=estimate.pk)
    assert decision.snapshot["issuer"]["name"] == "ỦY BAN NHÂN DÂN TỈNH LAI CHÂU"
    assert ledger_reconcile(example) == []


def test_the_plans_levels_name_the_issuer_of_each_decision(
    two_plans: tuple[Plan, Plan],
) -> None:
    """The body issuing a decision is the one approving at the estimate's level of its
    plan, each with its own register: a commune's People's Committee for its own estimates
    in the example plan, the province for the province's; the tree above is not walked (a
    commune with no issuer is refused, even though the province has one)."""
    from approvals.models import DecisionIssuer, DecisionRegister
    from approvals.services.decisions import decision_issuer_for
    from core.errors import RuleViolation

    _p117, example = two_plans
    unit, data = _input(example, "vd-xa-hai", lines_of(("current", 2_000_000)))
    drafter = demo_user("hoi.xahai")
    estimate = services.estimate_create(actor=drafter, plan=example, unit=unit, data=data)
    estimate = Estimate.objects.select_related("plan", "unit").get(pk=estimate.pk)
    assert decision_issuer_for(estimate).name == "ỦY BAN NHÂN DÂN XÃ MẪU HAI (VÍ DỤ)"
    unit, data = _input(example, "lai-chau", lines_of(("current", 2_000_000)))
    province = services.estimate_create(
        actor=demo_user("hoi.tinh"), plan=example, unit=unit, data=data
    )
    province = Estimate.objects.select_related("plan", "unit").get(pk=province.pk)
    assert decision_issuer_for(province).name == "ỦY BAN NHÂN DÂN TỈNH LAI CHÂU"

    DecisionIssuer.objects.filter(unit__code="vd-xa-hai").delete()
    estimate = Estimate.objects.select_related("plan", "unit").get(pk=estimate.pk)
    with pytest.raises(RuleViolation, match="Xã Mẫu Hai"):
        decision_issuer_for(estimate)

    # Each issuer numbers its own decisions: the commune's register starts at 1.
    unit, data = _input(example, "vd-xa-mot", lines_of(("current", 2_000_000)))
    commune = services.estimate_create(
        actor=demo_user("hoi.xamot"), plan=example, unit=unit, data=data
    )
    services.estimate_submit(actor=demo_user("hoi.xamot"), estimate_id=commune.pk)
    services.estimate_forward(actor=demo_user("hoi.tinh"), estimate_id=commune.pk)
    services.estimate_appraise(actor=demo_user("kinhte.xamot"), estimate_id=commune.pk)
    with time_machine.travel(EXAMPLE_APPROVED_AT, tick=False):
        services.estimate_approve(actor=demo_user("chutich.xamot"), estimate_id=commune.pk)
    decision = Decision.objects.get(estimate_id=commune.pk)
    assert decision.issuer.unit.code == "vd-xa-mot"
    assert decision.number == 1 and decision.year == 2025
    register = DecisionRegister.objects.get(issuer=decision.issuer, year=2025)
    assert register.last_number == 1
