"""viewflow's own task actions under /workflow/ (assign, unassign, execute, cancel, undo,
revive, the bulk routes, the process's cancel, the admin) pass the same gate as the
services: a role that may complete the task now, and segregation of duties. A superuser
without a role may do nothing; cancelling, undoing and reviving are refused to everybody.
Every refusal changes nothing (estimate, process, tasks, audit trail) and is never a 500.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from viewflow.workflow import STATUS
from viewflow.workflow.models import Task

from approvals import services
from approvals.models import AuditEntry
from estimates.models import Estimate, Plan
from organization.models import Membership, Role, Unit
from organization.permissions import access_sync
from tests.factories import estimate_in_status
from workflows.engine import process_for

#: Everybody the demo knows, and the superuser ``admin``, who holds no role.
EVERYBODY = [
    "hoi.silolau",
    "hoi.namxe",
    "ubnd.silolau",
    "hoi.huyen",
    "tckh",
    "pho.chutich",
    "ketoan",
    "quansat",
    "kiemtoan",
    "admin",
]

#: For an estimate of Sì Lở Lầu in each status: its waiting task, and who may take it
#: (the one who would complete it through the service).
TAKERS = {
    "draft": ("draft", {"hoi.silolau"}),
    "review": ("review", {"hoi.huyen"}),
    "appraisal": ("appraise", {"tckh"}),
    "approval": ("approve", {"pho.chutich"}),
    "approved": ("execute", {"hoi.silolau"}),
    "settlement": ("verify", {"tckh"}),
}

#: Task actions that nobody may take on viewflow's pages.
MANAGER_ACTIONS = ["cancel", "undo", "revive"]


def snapshot(estimate: Estimate) -> tuple[Any, ...]:
    """Everything a viewflow action could change."""
    process = process_for(estimate)
    estimate.refresh_from_db()
    tasks = list(
        Task.objects.filter(process=process)
        .order_by("pk")
        .values_list("pk", "flow_task", "status", "owner_id", "started", "finished")
    )
    audit = list(AuditEntry.objects.order_by("seq").values_list("seq", "action"))
    return estimate.status, process.status, process.finished, tasks, audit


def task_url(estimate: Estimate, task: Task, action: str) -> str:
    process = process_for(estimate)
    return f"/workflow/estimate/{process.pk}/{task.flow_task.name}/{task.pk}/{action}/"


def waiting_task(estimate: Estimate, node: str) -> Task:
    process = process_for(estimate)
    task: Task = Task.objects.get(
        process=process, flow_task=getattr(type(process.flow_class.instance), node)
    )
    return task


def tried(client: Client, method: str, url: str) -> int:
    response = client.get(url) if method == "GET" else client.post(url)
    assert response.status_code < 500, url
    return response.status_code


@pytest.mark.parametrize("status", list(TAKERS))
def test_only_the_right_role_may_take_a_task(
    client: Client, plan: Plan, users: dict[str, Any], status: str
) -> None:
    estimate = estimate_in_status(status, plan=plan, drafter=users["hoi.silolau"])
    node, takers = TAKERS[status]
    task = waiting_task(estimate, node)
    assert task.status == STATUS.NEW
    before = snapshot(estimate)
    for username in EVERYBODY:
        if username in takers:
            continue
        client.force_login(users[username])
        for method, action in [
            ("POST", "assign"),
            ("GET", "assign"),
            ("POST", "unassign"),
            ("GET", "execute"),
            ("POST", "execute"),
        ]:
            assert tried(client, method, task_url(estimate, task, action)) in (403, 404), (
                username,
                method,
                action,
            )
        assert snapshot(estimate) == before, username

    taker = users[sorted(takers)[0]]
    client.force_login(taker)
    assert client.post(task_url(estimate, task, "assign")).status_code == 302
    task.refresh_from_db()
    assert (task.status, task.owner_id) == (STATUS.ASSIGNED, taker.pk)
    response = client.get(task_url(estimate, task, "execute"))
    assert response.status_code == 302
    assert response["Location"] == f"/estimates/{estimate.pk}/"

    # Assigned: nobody else may execute it, take it over or give it back.
    held = snapshot(estimate)
    for username in EVERYBODY:
        if username in takers:
            continue
        client.force_login(users[username])
        for method, action in [("POST", "unassign"), ("POST", "assign"), ("GET", "execute")]:
            assert tried(client, method, task_url(estimate, task, action)) in (403, 404)
        assert snapshot(estimate) == held, username

    client.force_login(taker)
    assert client.post(task_url(estimate, task, "unassign")).status_code == 302
    task.refresh_from_db()
    assert (task.status, task.owner_id) == (STATUS.NEW, None)


@pytest.mark.parametrize("status", ["review", "closed", "withdrawn"])
def test_nobody_may_cancel_undo_or_revive_a_task(
    client: Client, plan: Plan, users: dict[str, Any], status: str
) -> None:
    """On the waiting task, on the tasks already done (undo) and on a cancelled one
    (revive): refused to every role and to the superuser, nothing written. The estimate
    then still moves on through its service."""
    estimate = estimate_in_status(status, plan=plan, drafter=users["hoi.silolau"])
    process = process_for(estimate)
    tasks = list(Task.objects.filter(process=process).order_by("pk"))
    before = snapshot(estimate)
    for username in EVERYBODY:
        client.force_login(users[username])
        for task in tasks:
            for action in MANAGER_ACTIONS:
                code = tried(client, "POST", task_url(estimate, task, action))
                assert code in (403, 404, 405), (username, task.flow_task.name, action)
        response = client.post(f"/workflow/estimate/{process.pk}/cancel/", {"_cancel_process": "1"})
        assert response.status_code in (403, 404), username
        assert snapshot(estimate) == before, username
    if status == "review":
        services.estimate_forward(actor=users["hoi.huyen"], estimate_id=estimate.pk)
        estimate.refresh_from_db()
        assert estimate.status == "appraisal"


def test_the_superuser_cannot_freeze_an_estimate_any_more(
    client: Client, plan: Plan, users: dict[str, Any]
) -> None:
    """The attack as reported: ``admin`` assigned, executed and cancelled the draft task,
    and every submit then answered 409."""
    estimate = estimate_in_status("draft", plan=plan, drafter=users["hoi.silolau"])
    task = waiting_task(estimate, "draft")
    client.force_login(users["admin"])
    for action in ["assign", "execute", "cancel"]:
        assert client.post(task_url(estimate, task, action)).status_code == 403
    task.refresh_from_db()
    assert (task.status, task.owner_id) == (STATUS.NEW, None)
    services.estimate_submit(actor=users["hoi.silolau"], estimate_id=estimate.pk)
    estimate.refresh_from_db()
    assert estimate.status == "review"


def test_segregation_of_duties_binds_viewflows_pages(
    client: Client, plan: Plan, users: dict[str, Any]
) -> None:
    """A person holding the review and the appraisal roles who forwarded the estimate may
    not take its appraisal task; Finance-Planning may."""
    both = get_user_model().objects.create_user("hai.vai", password="x")
    Membership.objects.create(
        user=both, unit=Unit.objects.get(code="phong-tho.hlhpn"), role=Role.DISTRICT_WU
    )
    Membership.objects.create(
        user=both, unit=Unit.objects.get(code="phong-tho.tckh"), role=Role.FINANCE_OFFICER
    )
    access_sync()
    estimate = estimate_in_status("review", plan=plan, drafter=users["hoi.silolau"])
    services.estimate_forward(actor=both, estimate_id=estimate.pk)
    task = waiting_task(estimate, "appraise")
    before = snapshot(estimate)
    client.force_login(both)
    assert client.post(task_url(estimate, task, "assign")).status_code == 403
    assert snapshot(estimate) == before
    client.force_login(users["tckh"])
    assert client.post(task_url(estimate, task, "assign")).status_code == 302


def test_the_bulk_assign_and_unassign_routes_are_gone(
    client: Client, plan: Plan, users: dict[str, Any]
) -> None:
    """They failed with "'EstimateProcess' object has no attribute 'activation'"."""
    estimate = estimate_in_status("review", plan=plan, drafter=users["hoi.silolau"])
    task = waiting_task(estimate, "review")
    before = snapshot(estimate)
    for username in EVERYBODY:
        client.force_login(users[username])
        for url in ["/workflow/estimate/queue/assign/", "/workflow/estimate/inbox/unassign/"]:
            assert client.get(url).status_code == 404
            assert client.post(url, {"pk": [task.pk], "select_all": "1"}).status_code == 404
        assert snapshot(estimate) == before, username
        # The lists that offered them still answer.
        assert client.get("/workflow/estimate/queue/").status_code in (200, 403)
        assert client.get("/workflow/estimate/inbox/").status_code in (200, 403)


def test_the_admin_shows_viewflows_tasks_read_only(
    client: Client, plan: Plan, users: dict[str, Any]
) -> None:
    estimate = estimate_in_status("review", plan=plan, drafter=users["hoi.silolau"])
    task = waiting_task(estimate, "review")
    process = process_for(estimate)
    before = snapshot(estimate)
    client.force_login(users["admin"])
    assert client.get(f"/admin/viewflow/task/{task.pk}/change/").status_code == 200
    for url in [
        f"/admin/viewflow/task/{task.pk}/delete/",
        f"/admin/viewflow/process/{process.pk}/delete/",
    ]:
        assert client.post(url, {"post": "yes"}).status_code == 403
    client.post(f"/admin/viewflow/task/{task.pk}/change/", {"status": "CANCELED"})
    client.post(f"/admin/viewflow/process/{process.pk}/change/", {"status": "CANCELED"})
    assert snapshot(estimate) == before
