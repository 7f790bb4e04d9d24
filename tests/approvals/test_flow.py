"""Every path through the flow, driven through the services as the right person."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.contrib.auth.models import AbstractUser
from viewflow.workflow import PROCESS, STATUS

from approvals import services
from approvals.models import AuditEntry
from core.errors import Conflict, RuleViolation
from estimates.models import Estimate, EstimateVersion, Plan
from organization.models import Unit
from tests.factories import club_input, club_line
from workflows.engine import active_task, process_for

People = dict[str, AbstractUser]
Make = Callable[..., Estimate]


def _actions(est: Estimate) -> list[tuple[str, str, str, str]]:
    return list(
        AuditEntry.objects.filter(estimate=est)
        .order_by("seq")
        .values_list("action", "from_status", "to_status", "actor__username")
    )


def _waiting_node(est: Estimate) -> str:
    return active_task(est).flow_task.name


def test_happy_path_commune_estimate(make_estimate: Make, people: People) -> None:
    est = make_estimate("draft")
    assert est.total_amount == 30 * 20_000 * 2 + 30 * 15_000
    assert _waiting_node(est) == "draft"
    services.estimate_submit(actor=people["hoi.silolau"], estimate_id=est.pk)
    est.refresh_from_db()
    assert (est.status, est.version, _waiting_node(est)) == ("review", 1, "review")
    services.estimate_forward(actor=people["hoi.huyen"], estimate_id=est.pk, comment="Đạt")
    est.refresh_from_db()
    assert (est.status, _waiting_node(est)) == ("appraisal", "appraise")
    first, _second = est.lines.order_by("position")
    services.estimate_appraise(
        actor=people["tckh"],
        estimate_id=est.pk,
        cuts=[services.LineCut(first.pk, 1_000_000, "Giảm số người theo thực tế")],
    )
    est.refresh_from_db()
    assert (est.status, _waiting_node(est)) == ("approval", "approve")
    assert est.appraised_amount == 1_000_000 + 450_000
    services.estimate_approve(actor=people["pho.chutich"], estimate_id=est.pk)
    est.refresh_from_db()
    assert (est.status, _waiting_node(est)) == ("approved", "execute")
    assert est.approved_amount == 1_450_000
    assert {ln.source: ln.approved_amount for ln in est.lines.all()} == {
        "current": 1_000_000,
        "carried": 450_000,
    }
    assert [a[:3] for a in _actions(est)] == [
        ("estimate.created", "", "draft"),
        ("estimate.submitted", "draft", "review"),
        ("estimate.forwarded", "review", "appraisal"),
        ("estimate.appraised", "appraisal", "approval"),
        ("estimate.approved", "approval", "approved"),
    ]
    history = AuditEntry.objects.get(estimate=est, action="estimate.appraised")
    assert history.role == "finance_officer"
    assert history.unit_name == "Phòng Tài chính - Kế hoạch"
    assert history.amount == 1_450_000
    assert history.data["cuts"][0]["reason"] == "Giảm số người theo thực tế"


def test_district_estimate_goes_straight_to_appraisal(plan: Plan, people: People) -> None:
    est = services.estimate_create(
        actor=people["hoi.huyen"],
        plan=plan,
        unit=Unit.objects.get(code="phong-tho"),
        data=club_input(plan),
    )
    assert est.level == "district"
    services.estimate_submit(actor=people["hoi.huyen"], estimate_id=est.pk)
    est.refresh_from_db()
    assert (est.status, _waiting_node(est)) == ("appraisal", "appraise")
    with pytest.raises(RuleViolation):
        services.estimate_return(actor=people["tckh"], estimate_id=est.pk, reason="x", to="review")
    services.estimate_appraise(actor=people["tckh"], estimate_id=est.pk)
    services.estimate_approve(actor=people["pho.chutich"], estimate_id=est.pk)
    est.refresh_from_db()
    assert est.status == "approved"


def test_return_from_review_goes_back_to_the_drafter_with_the_reason(
    make_estimate: Make, people: People
) -> None:
    est = make_estimate("review")
    services.estimate_return(
        actor=people["hoi.huyen"], estimate_id=est.pk, reason="Bổ sung danh sách thôn bản"
    )
    est.refresh_from_db()
    assert (est.status, _waiting_node(est)) == ("returned", "draft")
    entry = AuditEntry.objects.filter(estimate=est).latest("seq")
    assert (entry.action, entry.comment) == ("estimate.returned", "Bổ sung danh sách thôn bản")
    # revise and resubmit: a new numbered version is frozen
    services.estimate_update(
        actor=people["hoi.silolau"],
        estimate_id=est.pk,
        data=club_input(est.plan, lines=[club_line(quantity=40)]),
    )
    services.estimate_submit(actor=people["hoi.silolau"], estimate_id=est.pk)
    est.refresh_from_db()
    assert (est.status, est.version) == ("review", 2)
    v1, v2 = EstimateVersion.objects.filter(estimate=est).order_by("number")
    assert (v1.total_amount, v2.total_amount) == (1_650_000, 1_600_000)


def test_returns_from_appraisal_to_drafter_or_review(make_estimate: Make, people: People) -> None:
    est = make_estimate("appraisal")
    services.estimate_return(
        actor=people["tckh"], estimate_id=est.pk, reason="Xem lại", to="review"
    )
    est.refresh_from_db()
    assert (est.status, _waiting_node(est)) == ("review", "review")
    services.estimate_forward(actor=people["hoi.huyen"], estimate_id=est.pk)
    services.estimate_return(
        actor=people["tckh"], estimate_id=est.pk, reason="Sai định mức", to="drafter"
    )
    est.refresh_from_db()
    assert (est.status, _waiting_node(est)) == ("returned", "draft")


def test_return_from_approval_goes_to_appraisal(make_estimate: Make, people: People) -> None:
    est = make_estimate("approval")
    services.estimate_return(
        actor=people["pho.chutich"], estimate_id=est.pk, reason="Đề nghị thẩm định lại"
    )
    est.refresh_from_db()
    assert (est.status, _waiting_node(est)) == ("appraisal", "appraise")


@pytest.mark.parametrize("status", ["draft", "returned", "review", "appraisal", "approval"])
def test_withdrawal_ends_the_process(make_estimate: Make, people: People, status: str) -> None:
    est = make_estimate(status)
    services.estimate_withdraw(
        actor=people["hoi.silolau"], estimate_id=est.pk, reason="Hoạt động lồng ghép với xã khác"
    )
    est.refresh_from_db()
    assert est.status == "withdrawn"
    process = process_for(est)
    assert process.status == PROCESS.CANCELED
    assert not process.task_set.filter(status__in=[STATUS.NEW, STATUS.ASSIGNED]).exists()


def test_approved_estimate_cannot_be_withdrawn(make_estimate: Make, people: People) -> None:
    est = make_estimate("approved")
    with pytest.raises(Conflict):
        services.estimate_withdraw(actor=people["hoi.silolau"], estimate_id=est.pk, reason="x")


@pytest.mark.parametrize("reason", ["", "   ", "\n"])
def test_empty_reasons_are_refused(make_estimate: Make, people: People, reason: str) -> None:
    est = make_estimate("review")
    with pytest.raises(RuleViolation):
        services.estimate_return(actor=people["hoi.huyen"], estimate_id=est.pk, reason=reason)
    with pytest.raises(RuleViolation):
        services.estimate_withdraw(actor=people["hoi.silolau"], estimate_id=est.pk, reason=reason)
    est.refresh_from_db()
    assert est.status == "review"


def test_appraisal_may_cut_but_never_raise(make_estimate: Make, people: People) -> None:
    est = make_estimate("appraisal")
    first = est.lines.order_by("position").first()
    assert first is not None
    with pytest.raises(RuleViolation, match="never raise"):
        services.estimate_appraise(
            actor=people["tckh"],
            estimate_id=est.pk,
            cuts=[services.LineCut(first.pk, first.amount + 1, "x")],
        )
    with pytest.raises(RuleViolation, match="reason"):
        services.estimate_appraise(
            actor=people["tckh"],
            estimate_id=est.pk,
            cuts=[services.LineCut(first.pk, first.amount - 1, "")],
        )
    with pytest.raises(RuleViolation):
        services.estimate_appraise(
            actor=people["tckh"], estimate_id=est.pk, cuts=[services.LineCut(first.pk, -5, "âm")]
        )
    est.refresh_from_db()
    first.refresh_from_db()
    assert est.status == "appraisal"
    assert first.appraised_amount is None
    assert not AuditEntry.objects.filter(estimate=est, action="estimate.appraised").exists()


def test_stale_action_is_a_conflict(make_estimate: Make, people: People) -> None:
    est = make_estimate("review")
    services.estimate_forward(actor=people["hoi.huyen"], estimate_id=est.pk)
    with pytest.raises(Conflict, match="Someone else has just acted"):
        services.estimate_forward(actor=people["hoi.huyen"], estimate_id=est.pk)
    assert AuditEntry.objects.filter(estimate=est, action="estimate.forwarded").count() == 1


def test_appraisal_cutting_everything_is_refused(make_estimate: Make, people: People) -> None:
    est = make_estimate("appraisal")
    cuts = [services.LineCut(ln.pk, 0, "Không cần thiết") for ln in est.lines.all()]
    with pytest.raises(RuleViolation, match="return the estimate instead"):
        services.estimate_appraise(actor=people["tckh"], estimate_id=est.pk, cuts=cuts)
    est.refresh_from_db()
    assert (est.status, est.appraised_amount) == ("appraisal", None)
