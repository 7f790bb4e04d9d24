"""The inbox, the estimate list and the detail page cost a fixed number of queries,
whatever the number of estimates (10 or 500)."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from estimates.models import Estimate, Plan
from tests.factories import estimates_bulk, estimates_in_status

#: Pinned query counts, for the district Women's Union officer (who sees every commune).
#: Session and user (2), the permission look-ups (none: the grants are kept between
#: requests, ``organization.permissions._grants``),
#: the page's own reads (the detail page's attachments: 1), and the menu's inbox count.
#: The list reads the plans for its plan filter (one query, whatever the number of rows).
#: The menu's badge and the inbox read the open amendments of the user's stages first (one
#: query each: ``approvals.access.estimate_inbox_for_user``), so their estimates query uses
#: the indexes; the count of what waits is read from the estimates' tally (one query, and
#: the amendments again), on the inbox page once for the page and the badge.
#: Whether the user is anyone's delegate is kept with the grants: the detail page offering
#: actions reads no delegation (one fewer).
PINNED = {"list": 10, "inbox": 7, "detail": 15}
STATUSES = ("draft", "review", "appraisal", "returned")


def pages(estimate: Estimate) -> dict[str, str]:
    return {
        "list": reverse("estimates:list"),
        "inbox": reverse("estimates:inbox"),
        "detail": reverse("estimates:detail", args=[estimate.pk]),
    }


@pytest.mark.parametrize("name", sorted(PINNED))
def test_query_counts_are_pinned_and_do_not_grow(
    plan: Plan,
    client: Client,
    users: dict[str, Any],
    django_assert_num_queries: Any,
    name: str,
) -> None:
    officer = users["hoi.silolau"]
    estimates_in_status(10, plan=plan, drafter=officer, statuses=STATUSES)
    estimate = Estimate.objects.filter(status="returned").earliest("pk")
    url = pages(estimate)[name]
    client.force_login(users["hoi.huyen"])
    assert client.get(url).status_code == 200  # warm the content-type cache

    with django_assert_num_queries(PINNED[name]):
        small = client.get(url)
    estimates_in_status(90, plan=plan, drafter=officer, statuses=STATUSES)
    estimates_bulk(estimate, 400, STATUSES)
    assert Estimate.objects.count() == 500
    with django_assert_num_queries(PINNED[name]):
        large = client.get(url)
    assert small.status_code == large.status_code == 200
    if name == "list":
        assert len(large.context["page"].object_list) == 25
    if name == "inbox":
        waiting = Estimate.objects.filter(status="review").count()
        assert large.context["page"].paginator.count == waiting > 25


def test_the_commune_officer_list_is_pinned_too(
    plan: Plan, client: Client, users: dict[str, Any], django_assert_max_num_queries: Any
) -> None:
    estimates_in_status(30, plan=plan, drafter=users["hoi.silolau"], statuses=STATUSES)
    estimates_in_status(5, plan=plan, drafter=users["hoi.namxe"])
    client.force_login(users["hoi.silolau"])
    client.get(reverse("estimates:list"))
    with django_assert_max_num_queries(PINNED["list"]):
        response = client.get(reverse("estimates:list"))
    assert response.context["page"].paginator.count == 30


#: The vice chair's inbox, which offers the bulk selection ("Approve several") and lists the
#: estimates waiting for approval: the same queries with one estimate waiting or thirty.
APPROVER_INBOX = 7


def test_the_approvers_inbox_with_bulk_selection_is_pinned(
    plan: Plan, client: Client, users: dict[str, Any], django_assert_num_queries: Any
) -> None:
    officer = users["hoi.silolau"]
    estimates_in_status(1, plan=plan, drafter=officer, statuses=("approval",))
    client.force_login(users["pho.chutich"])
    url = reverse("estimates:inbox")
    assert client.get(url).status_code == 200  # warm the content-type cache
    with django_assert_num_queries(APPROVER_INBOX):
        one = client.get(url)
    assert reverse("estimates:approve_many") in one.content.decode()
    estimates_in_status(4, plan=plan, drafter=officer, statuses=("approval",))
    estimates_bulk(Estimate.objects.filter(status="approval").earliest("pk"), 25, ("approval",))
    with django_assert_num_queries(APPROVER_INBOX):
        many = client.get(url)
    assert many.context["page"].paginator.count == 30
