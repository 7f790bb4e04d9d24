"""The audited repair of a stuck task (viewflow's cancel, undo and revive, refused on its
own pages): only a staff member granted the repair, only a repair that brings the flow in
line with the estimate, with a reason, in the audit trail; the page asks the second factor
again."""

from __future__ import annotations

import time
from typing import Any

import pytest
from django.contrib.auth.models import Group, Permission
from django.test import Client
from django.urls import reverse
from viewflow.workflow import STATUS

from accounts.second_factor import VERIFIED_AT
from approvals import services
from approvals.models import AuditEntry
from approvals.services.repair import flow_task_repair
from core.errors import Conflict, Forbidden, RuleViolation
from estimates.models import Estimate, Plan
from tests.factories import estimate_in_status, user_make
from workflows.engine import active_task, process_for
from workflows.flows import EstimateFlow
from workflows.locking import holding


@pytest.fixture
def repairer(db: None) -> Any:
    group, _ = Group.objects.get_or_create(name="flow repair")
    group.permissions.add(Permission.objects.get(codename="repair_estimateprocess"))
    user = user_make("quantri", is_staff=True)
    user.groups.add(group)
    return user


@pytest.fixture
def stuck(plan: Plan, users: dict[str, Any]) -> Estimate:
    """An estimate in review whose review task was cancelled from outside (as viewflow's
    own cancel page did): every forward then answered 409."""
    estimate = estimate_in_status("review", plan=plan, drafter=users["hoi.silolau"])
    task = active_task(estimate)
    with holding(estimate), EstimateFlow.lock(task.process_id):
        task.flow_task.activation_class(task).cancel()
    assert active_task(estimate) is None
    return estimate


def cancelled_task(estimate: Estimate) -> Any:
    return process_for(estimate).task_set.get(flow_task=EstimateFlow.review)


def repairs_of(estimate: Estimate) -> int:
    return AuditEntry.objects.filter(estimate=estimate, action="flow.task_repaired").count()


def test_reviving_the_cancelled_task_unfreezes_the_estimate(
    repairer: Any, users: dict[str, Any], stuck: Estimate
) -> None:
    old = cancelled_task(stuck)
    new = flow_task_repair(
        actor=repairer, task_id=old.pk, action="revive", reason="Nhiệm vụ bị hủy nhầm"
    )
    assert new.pk != old.pk and new.status == STATUS.NEW
    entry = AuditEntry.objects.get(estimate=stuck, action="flow.task_repaired")
    assert entry.actor_id == repairer.pk and entry.comment == "Nhiệm vụ bị hủy nhầm"
    assert entry.data["repair"] == "revive" and entry.data["task"] == old.pk
    assert entry.data["new_task"] == new.pk
    assert (entry.from_status, entry.to_status) == ("review", "review")
    services.estimate_forward(actor=users["hoi.huyen"], estimate_id=stuck.pk)
    stuck.refresh_from_db()
    assert stuck.status == "appraisal"


def test_a_superuser_without_the_grant_may_not_repair(stuck: Estimate) -> None:
    admin = user_make("sieuquantri", is_staff=True, is_superuser=True)
    with pytest.raises(Forbidden):
        flow_task_repair(
            actor=admin, task_id=cancelled_task(stuck).pk, action="revive", reason="Thử"
        )
    assert active_task(stuck) is None and repairs_of(stuck) == 0


def test_a_role_holder_may_not_repair(users: dict[str, Any], stuck: Estimate) -> None:
    with pytest.raises(Forbidden):
        flow_task_repair(
            actor=users["hoi.huyen"],
            task_id=cancelled_task(stuck).pk,
            action="revive",
            reason="Thử",
        )


def test_a_repair_needs_its_reason(repairer: Any, stuck: Estimate) -> None:
    with pytest.raises(RuleViolation) as refused:
        flow_task_repair(
            actor=repairer, task_id=cancelled_task(stuck).pk, action="revive", reason="  "
        )
    assert refused.value.field == "reason"
    assert active_task(stuck) is None and repairs_of(stuck) == 0


def test_the_task_an_estimate_waits_on_cannot_be_cancelled(
    repairer: Any, plan: Plan, users: dict[str, Any]
) -> None:
    estimate = estimate_in_status("review", plan=plan, drafter=users["hoi.silolau"])
    task = active_task(estimate)
    with pytest.raises(Conflict):
        flow_task_repair(actor=repairer, task_id=task.pk, action="cancel", reason="Thử")
    assert active_task(estimate).pk == task.pk and repairs_of(estimate) == 0


def test_a_completed_task_is_not_revived_nor_undone_when_the_estimate_moved_on(
    repairer: Any, plan: Plan, users: dict[str, Any]
) -> None:
    estimate = estimate_in_status("appraisal", plan=plan, drafter=users["hoi.silolau"])
    review = process_for(estimate).task_set.get(flow_task=EstimateFlow.review)
    for action in ("undo", "revive", "cancel"):
        with pytest.raises(Conflict):
            flow_task_repair(actor=repairer, task_id=review.pk, action=action, reason="Thử")
    assert repairs_of(estimate) == 0


def test_the_repair_page_asks_the_second_factor_again_then_repairs(
    client: Client, repairer: Any, stuck: Estimate
) -> None:
    task = cancelled_task(stuck)
    url = reverse("task_repair", args=[task.pk])
    client.force_login(repairer)
    session = client.session
    session[VERIFIED_AT] = time.time() - 3600
    session.save()
    response = client.get(url)
    assert response.status_code == 302 and response["Location"].startswith("/accounts/2fa/")
    client.force_login(repairer)  # the second factor just passed
    page = client.get(url)
    assert page.status_code == 200 and 'value="revive"' in page.content.decode()
    response = client.post(url, {"action": "revive", "reason": "Hủy nhầm"})
    assert response.status_code == 302
    assert active_task(stuck) is not None and repairs_of(stuck) == 1


def test_the_repair_page_is_refused_to_others(
    client: Client, users: dict[str, Any], stuck: Estimate
) -> None:
    client.force_login(users["hoi.huyen"])
    url = reverse("task_repair", args=[cancelled_task(stuck).pk])
    assert client.get(url).status_code == 403
    assert client.post(url, {"action": "revive", "reason": "x"}).status_code == 403
    assert active_task(stuck) is None
