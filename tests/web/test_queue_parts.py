"""viewflow's queue counted and paged part by part (``web.viewsets.queue_parts``): the
same count as the queue counted whole, and the same tasks on every page in the same
order, for every role, with an amendment waiting, whichever way each node's part reads
its estimates (from the node's index, each task tested on its estimate, or from the
estimates first)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from viewflow.workflow.models import Task

from core.pagination import AtLeast, count_up_to
from estimates.models import Plan
from tests.factories import estimates_at_every_stage
from web import viewsets

ROLES = ("hoi.silolau", "hoi.namxe", "hoi.huyen", "tckh", "pho.chutich", "ketoan")


@pytest.fixture
def queued(plan: Plan, users: dict[str, Any]) -> None:
    """Open tasks at every stage of several roles, created at interleaved times (two at
    the same instant: the key breaks the tie), and an approved estimate whose amendment
    waits for the district Women's Union."""
    estimates_at_every_stage(plan)
    start = timezone.now() - timedelta(days=3)
    for n, pk in enumerate(Task.objects.order_by("pk").values_list("pk", flat=True)):
        Task.objects.filter(pk=pk).update(created=start + timedelta(minutes=(n * 7) % 13))


@pytest.mark.django_db
@pytest.mark.parametrize("few_units", [0, 50])
def test_the_queue_counted_and_paged_by_parts_is_the_queue(
    queued: None, users: dict[str, Any], monkeypatch: pytest.MonkeyPatch, few_units: int
) -> None:
    monkeypatch.setattr(viewsets, "FEW_UNITS", few_units)
    queued_somewhere = 0
    for username in ROLES:
        user = users[username]
        whole = viewsets.task_queue(user).order_by(*viewsets.QUEUE_ORDER)
        expected = list(whole.values_list("pk", flat=True))
        queued_somewhere += bool(expected)
        for limit in (1, 2, 3, 99):
            counted = count_up_to(whole, limit)
            by_parts = viewsets.queue_count_up_to(user, limit)
            assert (by_parts, type(by_parts)) == (counted, type(counted)), (username, limit)
        window = viewsets.queue_window(viewsets.queue_parts(user), whole)
        assert window is not None
        for size in (1, 2, 5):
            for bottom in range(0, len(expected) + size, size):
                top = bottom + size
                got = list(window(top).values_list("pk", flat=True)[bottom:top])
                assert got == expected[bottom:top], (username, bottom, top)
    assert queued_somewhere >= 4
    # The district Women's Union's queue holds the amended estimate's open task.
    assert isinstance(viewsets.queue_count_up_to(users["hoi.huyen"], 2), AtLeast)


@pytest.mark.django_db
def test_the_queue_page_shows_the_queue_in_order(
    queued: None, client: Client, users: dict[str, Any]
) -> None:
    user = users["hoi.huyen"]
    expected = list(
        viewsets.task_queue(user).order_by(*viewsets.QUEUE_ORDER).values_list("pk", flat=True)
    )
    assert len(expected) >= 3
    client.force_login(user)
    answer = client.get("/workflow/estimate/queue/")
    assert answer.status_code == 200
    page = answer.context["page_obj"]
    assert [task.pk for task in page.object_list] == expected[:25]
    assert page.paginator.count == len(expected)
    # Filtered, the page is read whole, and filtered.
    first = Task.objects.get(pk=expected[0])
    answer = client.get("/workflow/estimate/queue/", {"flow_task": str(first.flow_task)})
    shown = [task.pk for task in answer.context["page_obj"].object_list]
    assert shown and set(shown) <= set(expected) and expected[0] in shown
