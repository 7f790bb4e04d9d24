"""The bell, the list, opening a notification, preferences and the overdue page."""

from __future__ import annotations

import datetime

import pytest
import time_machine
from django.test import Client, RequestFactory
from django.utils import timezone
from django.utils.html import escape

from approvals import services as approvals
from estimates.models import Estimate, EstimateStatus, Plan
from notifications.context_processors import bell
from notifications.models import ChannelPreference, EventKind, Notification, UserPreference
from notifications.services import PREFERENCE_KINDS
from tests.factories import estimate_in_status
from tests.notifications.helpers import People, event_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def submitted(estimate: Estimate, people: People, django_capture_on_commit_callbacks) -> Estimate:
    with django_capture_on_commit_callbacks(execute=True):
        approvals.estimate_submit(actor=people.drafter, estimate_id=estimate.pk)
    return estimate


def test_the_bell_costs_one_query(
    submitted: Estimate, people: People, django_assert_num_queries
) -> None:
    request = RequestFactory().get("/")
    request.user = people.reviewer
    context = bell(request)
    with django_assert_num_queries(1):
        assert str(context["bell_unread"]) == "1"


def test_the_bell_shows_the_unread_count(
    submitted: Estimate, people: People, client: Client
) -> None:
    client.force_login(people.reviewer)
    page = client.get("/").content.decode()
    assert '<span class="badge">1</span>' in page
    client.force_login(people.approver)
    assert 'class="badge"' not in client.get("/").content.decode()


def test_opening_a_notification_marks_it_read_and_follows_its_link(
    submitted: Estimate, people: People, client: Client
) -> None:
    note = Notification.objects.get(recipient=people.reviewer)
    client.force_login(people.reviewer)
    listing = client.get("/notifications/").content.decode()
    assert escape(note.title) in listing
    response = client.get(f"/notifications/{note.pk}/")
    assert response.status_code == 302
    assert response["Location"] == f"/estimates/{submitted.pk}/"
    note.refresh_from_db()
    assert note.read_at is not None
    client.force_login(people.reviewer2)
    assert client.get(f"/notifications/{note.pk}/").status_code == 404  # not theirs


def test_mark_all_read(submitted: Estimate, people: People, client: Client) -> None:
    client.force_login(people.reviewer)
    assert client.post("/notifications/read-all/").status_code == 302
    assert not Notification.objects.filter(recipient=people.reviewer, read_at__isnull=True).exists()


def test_preferences_page(people: People, client: Client) -> None:
    client.force_login(people.reviewer)
    assert client.get("/notifications/preferences/").status_code == 200
    kept = [k for k in PREFERENCE_KINDS if k != EventKind.DIGEST]
    response = client.post("/notifications/preferences/", {"language": "en", "email": kept})
    assert response.status_code == 302
    assert UserPreference.objects.get(user=people.reviewer).language == "en"
    assert list(
        ChannelPreference.objects.filter(user=people.reviewer).values_list("kind", "enabled")
    ) == [(EventKind.DIGEST, False)]
    response = client.post(
        "/notifications/preferences/", {"language": "vi", "email": list(PREFERENCE_KINDS)}
    )
    assert response.status_code == 302
    assert list(
        ChannelPreference.objects.filter(user=people.reviewer).values_list("kind", "enabled")
    ) == [(EventKind.DIGEST, True)]


def in_review_since(days: int, plan: Plan, people: People) -> Estimate:
    """An estimate submitted ``days`` ago (time travel: the services stamp the time)."""
    with time_machine.travel(timezone.now() - datetime.timedelta(days=days)):
        estimate = estimate_in_status(EstimateStatus.REVIEW, plan=plan, drafter=people.drafter)
    assert (timezone.now() - estimate.status_changed_at).days >= days
    return estimate


def test_overdue_page(plan: Plan, people: People, client: Client) -> None:
    estimate = in_review_since(30, plan, people)
    client.force_login(people.reviewer)
    page = client.get("/notifications/overdue/").content.decode()
    assert estimate.number in page
    client.force_login(people.accountant)
    assert estimate.number not in client.get("/notifications/overdue/").content.decode()


def test_overdue_counts_stop_at_the_limit_and_printing_lists_every_one(
    plan: Plan, people: People, client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A stage's count stops at ``COUNT_UP_TO`` ("1000+" at scale; 2 here); its pages walk
    on, and the printed list holds every late estimate."""
    from notifications import selectors, views

    monkeypatch.setattr(selectors, "COUNT_UP_TO", 2)
    monkeypatch.setattr(views, "OVERDUE_PAGE", 1)
    late = [in_review_since(30, plan, people) for _ in range(3)]
    client.force_login(people.reviewer)
    page = client.get("/notifications/overdue/").content.decode()
    assert "2+ dự toán trễ hạn" in page
    assert [e.number in page for e in late] == [True, False, False]  # the most late first
    assert "page=2" in page and "2+" in page
    second = client.get("/notifications/overdue/", {"page": 2}).content.decode()
    assert [e.number in second for e in late] == [False, True, False]
    printed = client.get("/notifications/overdue/", {"print": 1}).content.decode()
    assert all(e.number in printed for e in late)
    work = selectors.overdue_work(people.reviewer)
    assert [(s.status, str(s.count)) for s in work.stages()] == [("review", "2+")]
    monkeypatch.setattr(selectors, "COUNT_UP_TO", 3)
    assert [(s.status, s.count) for s in work.stages()] == [("review", 3)]


def _queries(client: Client, url: str) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def test_list_and_overdue_pages_do_not_grow_with_the_data(
    plan: Plan, people: People, client: Client
) -> None:
    from notifications import services

    def add(n: int) -> None:
        for _ in range(n):
            e = in_review_since(30, plan, people)
            services.event_handle(event_id=event_of(e, EventKind.SUBMITTED).pk)

    client.force_login(people.reviewer)
    add(2)
    _queries(client, "/notifications/")  # warm the caches (the grants)
    _queries(client, "/notifications/overdue/")  # (and whether the user is anyone's delegate)
    few = (_queries(client, "/notifications/"), _queries(client, "/notifications/overdue/"))
    add(8)
    many = (_queries(client, "/notifications/"), _queries(client, "/notifications/overdue/"))
    assert few == many


def test_failures_are_visible_to_the_administrator(
    estimate: Estimate, people: People, client: Client, django_capture_on_commit_callbacks
) -> None:
    people.reviewer2.email = ""
    people.reviewer2.save()
    with django_capture_on_commit_callbacks(execute=True):
        approvals.estimate_submit(actor=people.drafter, estimate_id=estimate.pk)
    client.force_login(people.admin)
    page = client.get("/admin/notifications/delivery/?status__exact=failed").content.decode()
    assert "The recipient has no e-mail address." in page
    assert "reviewer2" in page
    for model in ("outboxevent", "notification", "reminder", "digest", "stagedeadline", "holiday"):
        assert client.get(f"/admin/notifications/{model}/").status_code == 200, model
    assert client.get("/admin/delegations/delegation/").status_code == 200
