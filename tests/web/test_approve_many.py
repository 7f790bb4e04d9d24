"""The vice chair approves several appraised estimates at once: one confirmation that
lists each and the total; each approved by its own service call (own decision number,
audit entry); one that cannot be approved is named with the reason, the others go
through."""

from __future__ import annotations

from typing import Any

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from approvals import services
from approvals.models import AuditEntry, Decision
from estimates.models import Estimate, EstimateStatus, Plan
from tests.factories import estimate_in_status
from web.views.bulk import _approvable

#: The choice page: session, user, the estimates with their amounts, their plans (one
#: query, whatever their statuses), the audit stages, the inbox badge (the open
#: amendments, the tally) and the bell; the grants and whether the approver is anyone's
#: delegate are kept between requests.
PAGE_QUERIES = 9


def _two(plan: Plan, users: dict[str, Any]) -> tuple[Estimate, Estimate]:
    return (
        estimate_in_status("approval", plan=plan, drafter=users["hoi.silolau"]),
        estimate_in_status("approval", plan=plan, drafter=users["hoi.namxe"]),
    )


def test_choose_confirm_and_approve_two(client: Client, plan: Plan, users: dict[str, Any]) -> None:
    one, two = _two(plan, users)
    client.force_login(users["pho.chutich"])
    assert "/estimates/approve-many/" in client.get("/estimates/inbox/").content.decode()
    page = client.get("/estimates/approve-many/").content.decode()
    assert one.number in page and two.number in page
    ids = [str(one.pk), str(two.pk)]
    confirm = client.post("/estimates/approve-many/", {"estimate": ids}).content.decode()
    total = (one.appraised_amount or 0) + (two.appraised_amount or 0)
    assert f"{total:,}".replace(",", ".") in confirm  # the total, stated before approving
    assert Estimate.objects.get(pk=one.pk).status == EstimateStatus.APPROVAL  # not yet
    done = client.post("/estimates/approve-many/", {"estimate": ids, "confirmed": "1"})
    assert done.status_code == 200
    for e in (one, two):
        e.refresh_from_db()
        assert e.status == EstimateStatus.APPROVED
        assert AuditEntry.objects.filter(estimate=e, action="estimate.approved").count() == 1
    numbers = sorted(
        Decision.objects.filter(estimate__in=[one, two]).values_list("number", flat=True)
    )
    assert numbers[1] == numbers[0] + 1  # each its own decision


def test_one_that_moved_on_is_named_and_the_others_go_through(
    client: Client, plan: Plan, users: dict[str, Any]
) -> None:
    one, two = _two(plan, users)
    client.force_login(users["pho.chutich"])
    ids = [str(one.pk), str(two.pk)]
    client.post("/estimates/approve-many/", {"estimate": ids})  # the confirmation shown
    services.estimate_return(actor=users["pho.chutich"], estimate_id=two.pk, reason="Xem lại")
    page = client.post(
        "/estimates/approve-many/", {"estimate": ids, "confirmed": "1"}
    ).content.decode()
    one.refresh_from_db()
    two.refresh_from_db()
    assert one.status == EstimateStatus.APPROVED
    assert two.status != EstimateStatus.APPROVED
    approved, refused = page.split("1 estimate was not approved")
    assert one.number in approved and two.number not in approved
    assert two.number in refused and "Someone else has just acted" in refused


def test_only_what_waits_for_the_user_can_be_chosen(
    client: Client, plan: Plan, users: dict[str, Any]
) -> None:
    """A reviewer is offered nothing; an id posted that is not waiting is ignored."""
    one, _ = _two(plan, users)
    assert _approvable(users["hoi.huyen"]) == []
    client.force_login(users["hoi.huyen"])
    client.post("/estimates/approve-many/", {"estimate": [str(one.pk)], "confirmed": "1"})
    one.refresh_from_db()
    assert one.status == EstimateStatus.APPROVAL
    client.force_login(users["pho.chutich"])
    response = client.post("/estimates/approve-many/", {"estimate": ["999999"]}, follow=True)
    assert "Choose at least one estimate" in response.content.decode()


def test_the_choice_page_costs_the_same_queries_whatever_waits(
    client: Client, plan: Plan, users: dict[str, Any]
) -> None:
    client.force_login(users["pho.chutich"])
    estimate_in_status("approval", plan=plan, drafter=users["hoi.silolau"])
    client.get("/estimates/approve-many/")  # warm the per-process caches
    with CaptureQueriesContext(connection) as few:
        client.get("/estimates/approve-many/")
    _two(plan, users)
    with CaptureQueriesContext(connection) as more:
        page = client.get("/estimates/approve-many/").content.decode()
    assert page.count('name="estimate"') == 3
    assert len(more.captured_queries) == len(few.captured_queries) == PAGE_QUERIES
