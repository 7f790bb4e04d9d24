"""The daily digest (only when something waits, once a day) and the overdue list."""

from __future__ import annotations

import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail

from estimates.models import Estimate, EstimateStatus, Plan
from notifications import services
from notifications.models import Delivery, Digest, Notification
from notifications.selectors import overdue_for_user
from tests.factories import estimate_make
from tests.notifications.helpers import People

pytestmark = pytest.mark.django_db

HCM = ZoneInfo("Asia/Ho_Chi_Minh")
MONDAY = datetime.datetime(2026, 11, 2, 9, 0, tzinfo=HCM)


def test_a_digest_goes_to_whoever_has_work_once_a_day(
    plan: Plan, estimate: Estimate, people: People, django_capture_on_commit_callbacks
) -> None:
    Estimate.objects.filter(pk=estimate.pk).update(status=EstimateStatus.REVIEW)
    returned = estimate_make(plan, created_by=people.drafter, status=EstimateStatus.RETURNED)
    with time_machine.travel(datetime.datetime(2026, 11, 3, 7, 0, tzinfo=HCM), tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            assert services.digests_run() == 3
        assert services.digests_run() == 0
    assert set(Digest.objects.values_list("user__username", flat=True)) == {
        "reviewer",
        "reviewer2",
        "drafter",
    }
    by_address = {m.to[0]: m for m in mail.outbox}
    assert set(by_address) == {
        "reviewer@example.org",
        "reviewer2@example.org",
        "drafter@example.org",
    }
    assert estimate.number in by_address["reviewer@example.org"].body
    assert returned.number in by_address["drafter@example.org"].body
    assert returned.number not in by_address["reviewer@example.org"].body
    # The digest is an e-mail only: the bell stays for things that happen.
    assert not Notification.objects.exists()
    assert set(Delivery.objects.values_list("channel", flat=True)) == {"email"}
    with time_machine.travel(datetime.datetime(2026, 11, 4, 7, 0, tzinfo=HCM), tick=False):
        assert services.digests_run() == 3


def test_no_digest_when_nothing_waits(estimate: Estimate, people: People) -> None:
    assert services.digests_run() == 0  # the estimate is a draft: nobody but its drafter acts


def test_overdue_work_shows_how_late_it_is_to_those_who_act(
    estimate: Estimate, people: People
) -> None:
    Estimate.objects.filter(pk=estimate.pk).update(
        status=EstimateStatus.REVIEW, status_changed_at=MONDAY
    )
    day = datetime.date(2026, 11, 11)  # deadline Monday 9: two working days late
    (item,) = overdue_for_user(people.reviewer, day)
    assert (item.estimate.pk, item.deadline, item.days_late) == (
        estimate.pk,
        datetime.date(2026, 11, 9),
        2,
    )
    assert item.url == f"/estimates/{estimate.pk}/"
    assert overdue_for_user(people.reviewer, datetime.date(2026, 11, 9)) == []  # due, not late
    assert overdue_for_user(people.appraiser, day) == []
    assert overdue_for_user(people.drafter, day) == []
    assert overdue_for_user(people.admin, day) == []
