"""Pages at province scale: viewflow's own pages cost the same number of queries with a
few estimates and with hundreds (their queue and menu read through the access gate, not
one query per object-permission row; their board asks the gate once for all its cards),
the menu's badge stops counting at 99, and the indexes the lists read exist."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from viewflow.workflow.models import Process

from bench._scale import estimates_grow
from core.pagination import BoundedPaginator
from estimates.models import Estimate, Plan
from organization.models import Unit
from tests.factories import estimates_bulk, estimates_in_status

STATUSES = ("draft", "review", "appraisal", "returned")
#: Queries of each of viewflow's pages for the district Women's Union officer (who sees
#: every commune and reviews): the same at 8 and at 308 estimates.
#: (Before: 159 on the lists and 416 on the board with two communes; thousands with a
#: thousand communes.)
#: (The menu's queue counted part by part, its amendments a subquery: one fewer.)
#: (The board's columns read in one query when the user's units are few: five fewer.)
#: (A page shown again no longer writes viewflow's pin to the session: three fewer.)
#: (The board asks nothing about delegations of a user who is nobody's delegate: one fewer.)
PINNED = {
    "/workflow/estimate/": 10,
    "/workflow/estimate/inbox/": 7,
    "/workflow/estimate/queue/": 9,
    "/workflow/estimate/archive/": 8,
    "/workflow/estimate/tasks/": 8,
    "/workflow/estimate/flows/": 8,
}


def _queries(client: Client, path: str) -> tuple[int, Any]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path)
    return len(captured.captured_queries), response


@pytest.mark.parametrize("path", sorted(PINNED))
def test_flow_pages_cost_the_same_with_few_and_many_estimates(
    plan: Plan, client: Client, users: dict[str, Any], path: str
) -> None:
    estimates_in_status(8, plan=plan, drafter=users["hoi.silolau"], statuses=STATUSES)
    client.force_login(users["hoi.huyen"])
    assert client.get(path).status_code == 200  # warm the content-type cache
    few, small = _queries(client, path)
    communes = list(
        Unit.objects.filter(code__in=["si-lo-lau", "nam-xe"]).values_list("pk", flat=True)
    )
    estimates_grow(308, communes)
    assert Estimate.objects.count() == 308
    many, large = _queries(client, path)
    assert small.status_code == large.status_code == 200
    assert few == many == PINNED[path]


def test_the_queue_lists_the_tasks_the_gate_offers(
    plan: Plan, client: Client, users: dict[str, Any]
) -> None:
    drafter = users["hoi.silolau"]
    review = estimates_in_status(3, plan=plan, drafter=drafter, statuses=["review"])
    appraisal = estimates_in_status(2, plan=plan, drafter=drafter, statuses=["appraisal"])
    approval = estimates_in_status(2, plan=plan, drafter=drafter, statuses=["approval"])

    def queued(username: str) -> set[int]:
        client.force_login(users[username])
        page = client.get("/workflow/estimate/queue/").content.decode()
        return {
            e.pk
            for e in [*review, *appraisal, *approval]
            if f"#{Process.objects.get(artifact_object_id=e.pk).pk}/" in page
        }

    assert queued("hoi.huyen") == {e.pk for e in review}  # the reviewer's
    assert queued("tckh") == {e.pk for e in appraisal}  # Finance-Planning's
    # Each queue names its stages' nodes (the approver's one: the index's fast path).
    assert queued("pho.chutich") == {e.pk for e in approval}
    assert queued("hoi.silolau") == set()  # the drafter waits on nobody's queue


def test_the_inbox_badge_stops_counting_at_99(
    plan: Plan, client: Client, users: dict[str, Any]
) -> None:
    (first,) = estimates_in_status(1, plan=plan, drafter=users["hoi.silolau"], statuses=["review"])
    estimates_bulk(first, 120, ("review",))
    client.force_login(users["hoi.huyen"])
    page = client.get("/estimates/").content.decode()
    assert '<span class="badge">99+</span>' in page
    assert client.get("/estimates/inbox/").context["page"].paginator.count == 121


def test_viewflows_lists_count_up_to_a_limit(
    plan: Plan, client: Client, users: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    estimates_in_status(3, plan=plan, drafter=users["hoi.silolau"], statuses=["review"])
    client.force_login(users["hoi.huyen"])
    exact = client.get("/workflow/estimate/tasks/").context["paginator"].count
    assert exact >= 3
    monkeypatch.setattr(BoundedPaginator, "LIMIT", 2)
    response = client.get("/workflow/estimate/tasks/")
    count = response.context["paginator"].count
    assert (count, str(count)) == (2, "2+")
    assert "of 2+" in response.content.decode()


#: The indexes the lists read (``EXPLAIN`` on 100,000 estimates: ``python -m bench pages``).
INDEXES = {
    "estimate_newest": "(created_at DESC, id DESC)",
    "estimate_waiting_since": "(status_changed_at, id)",
    "estimate_unit_status": (
        "(unit_id, status) INCLUDE (total_amount, appraised_amount, approved_amount)"
    ),
    "flow_process_estimate": "(artifact_object_id)",
    "flow_process_newest": "(created DESC, id DESC)",
}


@pytest.mark.django_db
def test_the_lists_indexes_exist() -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE indexname = ANY(%s)", [list(INDEXES)]
        )
        found = dict(cursor.fetchall())
    assert set(found) == set(INDEXES)
    for name, columns in INDEXES.items():
        assert found[name].endswith(columns), found[name]


def test_the_inbox_counts_exactly_from_the_tally(
    plan: Plan, client: Client, users: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The inbox's count comes from the estimates' tally: exact, however many wait (no
    "1000+"), without counting the rows."""
    (first,) = estimates_in_status(1, plan=plan, drafter=users["hoi.silolau"], statuses=["review"])
    estimates_bulk(first, 60, ("review",))
    client.force_login(users["hoi.huyen"])
    monkeypatch.setattr(BoundedPaginator, "LIMIT", 30)
    with CaptureQueriesContext(connection) as queries:
        page = client.get("/estimates/inbox/").context["page"]
    assert (page.paginator.count, page.paginator.num_pages, len(page.object_list)) == (61, 3, 25)
    assert not any("COUNT(" in q["sql"] and "estimates_estimate" in q["sql"] for q in queries)
    assert client.get("/estimates/inbox/", {"page": 3}).context["page"].object_list.__len__() == 11
    printed = client.get("/estimates/inbox/", {"print": "1"}).context["page"]
    assert printed.paginator.count == 61  # the printed list holds every row
    assert client.get("/estimates/inbox/", {"plan": plan.pk}).context["page"].paginator.count == 61
    assert client.get("/estimates/inbox/", {"plan": "x"}).context["page"].paginator.count == 0
