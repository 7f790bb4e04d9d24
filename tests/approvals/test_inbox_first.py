"""The inbox read one stage at a time (``approvals.access.inbox_first``) gives the same
rows, in the same order, as the inbox read whole: for every role, page after page, with
the plan, status and commune filters, an amended estimate included; on the inbox page
and the API's task list alike."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from approvals.access import INBOX_ORDER, estimate_inbox_for_user, inbox_first
from estimates.models import Estimate, Plan
from tests.factories import estimates_at_every_stage

ROLES = ("hoi.silolau", "hoi.namxe", "hoi.huyen", "tckh", "pho.chutich", "ketoan")


@pytest.fixture
def waiting(plan: Plan, users: dict[str, Any]) -> list[Estimate]:
    """Estimates in every stage of several roles, their waiting dates interleaved across
    the stages (the order of the inbox mixes them), and an approved estimate whose
    amendment waits for the district Women's Union."""
    made = estimates_at_every_stage(plan)
    # Waiting dates interleaved, two of them equal (the key breaks the tie).
    start = timezone.now() - timedelta(days=30)
    for n, estimate in enumerate(made):
        Estimate.objects.filter(pk=estimate.pk).update(
            status_changed_at=start + timedelta(hours=(n * 7) % 11)
        )
    return made


def _inbox(user: Any, **filters: Any) -> Any:
    status = filters.get("status")
    rows = estimate_inbox_for_user(user, [status] if status else None)
    for key in ("plan_id", "unit_id"):
        if filters.get(key) is not None:
            rows = rows.filter(**{key: filters[key]})
    return rows.order_by(*INBOX_ORDER)


@pytest.mark.django_db
def test_the_first_rows_found_stage_by_stage_are_the_inbox_s(
    waiting: list[Estimate], plan: Plan, users: dict[str, Any]
) -> None:
    communes = sorted({e.unit_id for e in waiting})
    windowed = 0
    for username in ROLES:
        user = users[username]
        for filters in [
            {},
            {"plan_id": plan.pk},
            *({"status": s} for s in ("draft", "review", "approved", "settlement")),
            *({"unit_id": u} for u in communes),
        ]:
            whole = _inbox(user, **filters)
            expected = list(whole.values_list("pk", flat=True))
            status = filters.get("status")
            for size in (1, 2, 3, 5):
                for bottom in range(0, len(expected) + size, size):
                    top = bottom + size
                    first = inbox_first(
                        user,
                        whole,
                        top,
                        statuses=[status] if status else None,
                        plan_id=filters.get("plan_id"),
                        unit_id=filters.get("unit_id"),
                    )
                    windowed += first is not whole
                    got = list(first.values_list("pk", flat=True)[bottom:top])
                    assert got == expected[bottom:top], (username, filters, bottom, top)
    # The district roles acting at several stages were read stage by stage.
    assert windowed > 0


@pytest.mark.django_db
def test_a_role_acting_at_several_stages_reads_each_stage_in_its_order(
    waiting: list[Estimate], users: dict[str, Any]
) -> None:
    user = users["hoi.huyen"]
    whole = _inbox(user)
    with CaptureQueriesContext(connection) as captured:
        got = list(inbox_first(user, whole, 25).values_list("pk", flat=True)[:25])
    assert got == list(whole.values_list("pk", flat=True)[:25])
    (sql,) = [q["sql"] for q in captured.captured_queries]
    assert sql.count("UNION ALL") >= 2  # draft, returned, review, and the amendment
    # A role acting at one stage reads its one ordered list; so does one asking for one.
    approver = users["pho.chutich"]
    one = _inbox(approver)
    assert inbox_first(approver, one, 25) is one
    review = _inbox(user, status="review")
    assert inbox_first(user, review, 25, statuses=["review"]) is review


@pytest.mark.django_db
def test_the_inbox_page_and_the_api_list_page_after_page(
    waiting: list[Estimate], client: Any, users: dict[str, Any]
) -> None:
    user = users["hoi.huyen"]
    expected = [e.number for e in _inbox(user)]
    assert len(expected) > 3
    client.force_login(user)
    shown: list[str] = []
    for page in range(1, 4):
        answer = client.get("/api/v1/tasks/", {"page": page, "page_size": 3})
        if answer.status_code == 404:
            break
        assert answer.status_code == 200
        shown += [row["number"] for row in answer.json()["results"]]
    assert shown == expected[: len(shown)] and len(shown) == min(9, len(expected))
    answer = client.get("/estimates/inbox/")
    assert answer.status_code == 200
    assert [e.number for e in answer.context["page"].object_list] == expected[:25]
