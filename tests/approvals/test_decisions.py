"""The approval decision: numbered from the issuer's register inside the approval, frozen."""

from __future__ import annotations

from typing import Any

import pytest

from approvals import services
from approvals.models import Decision, DecisionIssuer
from approvals.services.decisions import decision_issuer_for
from core.errors import Forbidden, RuleViolation
from estimates.models import Estimate, EstimateStatus, Plan
from organization.models import Unit
from tests.factories import estimate_in_status

pytestmark = pytest.mark.django_db


def test_approval_issues_a_frozen_decision(plan: Plan, users: dict[str, Any]) -> None:
    estimate = estimate_in_status("approved", plan=plan)
    decision = Decision.objects.get(estimate=estimate)
    snap = decision.snapshot
    assert decision.symbol == f"{decision.number}/QĐ-UBND"
    assert snap["symbol"] == decision.symbol
    assert snap["issuer"]["name"] == "ỦY BAN NHÂN DÂN HUYỆN PHONG THỔ"
    assert snap["issuer"]["place"] == "Phong Thổ"
    assert snap["plan"]["number"] == "117/KH-UBND"
    assert snap["estimate"]["number"] == estimate.number
    assert snap["total"] == estimate.approved_amount == decision.amount
    assert snap["total_words"].endswith("đồng")
    assert sum(s["amount"] for s in snap["sources"]) == snap["total"]
    assert sum(line["approved"] for line in snap["lines"]) == snap["total"]
    assert snap["signer"]["capacity"] == ["KT. CHỦ TỊCH", "PHÓ CHỦ TỊCH"]
    assert snap["signer"]["acting_for"] == ""


def test_consecutive_numbers_and_a_return_burns_none(plan: Plan, users: dict[str, Any]) -> None:
    first = estimate_in_status("approved", plan=plan)
    returned = estimate_in_status("approval", plan=plan)
    services.estimate_return(
        actor=users["pho.chutich"], estimate_id=returned.pk, reason="Xem lại", to="appraisal"
    )
    assert not Decision.objects.filter(estimate=returned).exists()
    second = estimate_in_status("approved", plan=plan)
    numbers = [Decision.objects.get(estimate=e).number for e in (first, second)]
    assert numbers[1] == numbers[0] + 1


def test_a_refused_approval_takes_no_number(plan: Plan, users: dict[str, Any]) -> None:
    before = estimate_in_status("approved", plan=plan)
    waiting = estimate_in_status("approval", plan=plan)
    with pytest.raises(Forbidden):
        services.estimate_approve(actor=users["tckh"], estimate_id=waiting.pk)
    after = estimate_in_status("approved", plan=plan)
    assert Decision.objects.get(estimate=after).number == (
        Decision.objects.get(estimate=before).number + 1
    )


def test_later_edits_do_not_change_an_issued_decision(plan: Plan, users: dict[str, Any]) -> None:
    estimate = estimate_in_status("approved", plan=plan)
    before = Decision.objects.get(estimate=estimate).snapshot
    approver = users["pho.chutich"]
    approver.first_name, approver.last_name = "Tên", "Mới"
    approver.save()
    Unit.objects.filter(pk=estimate.unit_id).update(name="Xã Đổi Tên")
    DecisionIssuer.objects.update(name="ỦY BAN NHÂN DÂN XÃ KHÁC", signer_capacity=["CHỦ TỊCH"])
    assert Decision.objects.get(estimate=estimate).snapshot == before


def test_the_plans_approving_level_issues_not_the_nearest_unit(
    plan: Plan, users: dict[str, Any]
) -> None:
    """Plan 117 has the district approve its communes' estimates: a commune's own issuer
    (as the 2025 reform brings) does not issue them; the plan's level decides."""
    estimate = Estimate.objects.select_related("unit").get(
        pk=estimate_in_status("approval", plan=plan).pk
    )
    assert estimate.level == "commune"
    assert decision_issuer_for(estimate).unit.code == "phong-tho"
    DecisionIssuer.objects.create(
        unit=estimate.unit,
        name="ỦY BAN NHÂN DÂN XÃ SÌ LỞ LẦU",
        place="Sì Lở Lầu",
        signer_capacity=["CHỦ TỊCH"],
    )
    assert decision_issuer_for(estimate).unit.code == "phong-tho"
    services.estimate_approve(actor=users["pho.chutich"], estimate_id=estimate.pk)
    decision = Decision.objects.get(estimate=estimate)
    assert decision.snapshot["issuer"]["name"] == "ỦY BAN NHÂN DÂN HUYỆN PHONG THỔ"


def test_no_issuer_refuses_the_approval_clearly(plan: Plan, users: dict[str, Any]) -> None:
    estimate = estimate_in_status("approval", plan=plan)
    DecisionIssuer.objects.all().delete()
    with pytest.raises(RuleViolation, match="decision issuer"):
        services.estimate_approve(actor=users["pho.chutich"], estimate_id=estimate.pk)
    estimate.refresh_from_db()
    assert estimate.status == EstimateStatus.APPROVAL


def test_loading_the_issuers_twice_changes_nothing(plan: Plan) -> None:
    from django.core.management import call_command

    call_command("load_issuers")
    call_command("load_issuers")
    issuer = DecisionIssuer.objects.get()
    assert issuer.unit.code == "phong-tho"
    assert issuer.recipients[-1] == "Lưu: VT."
    assert "  " not in issuer.executors
