"""The daily digest (only when something waits, once a day) and the overdue list."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail

from estimates.models import Estimate, EstimateStatus
from notifications import services
from notifications.models import Delivery, Digest, EventKind, Notification
from notifications.selectors import overdue_for_user
from tests.notifications.helpers import People

pytestmark = pytest.mark.django_db

HCM = ZoneInfo("Asia/Ho_Chi_Minh")
MONDAY = datetime.datetime(2026, 11, 2, 9, 0, tzinfo=HCM)


def test_a_digest_goes_to_whoever_has_work_once_a_day(
    lived: Callable[..., Estimate], people: People, django_capture_on_commit_callbacks
) -> None:
    estimate = lived(EstimateStatus.REVIEW)
    returned = lived(EstimateStatus.RETURNED)
    # What the submissions and the return told people is in the bell already.
    bell = Notification.objects.count()
    with time_machine.travel(datetime.datetime(2026, 11, 3, 7, 0, tzinfo=HCM), tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            assert services.digests_run() == 3
        assert services.digests_run() == 0
    assert set(Digest.objects.values_list("user__username", flat=True)) == people.names(
        "reviewer", "reviewer2", "drafter"
    )
    by_address = {m.to[0]: m for m in mail.outbox}
    assert sorted(by_address) == people.emails("reviewer", "reviewer2", "drafter")
    reviewer, drafter = people.reviewer.email, people.drafter.email
    assert estimate.number in by_address[reviewer].body
    assert returned.number in by_address[drafter].body
    assert returned.number not in by_address[reviewer].body
    # The digest is an e-mail only: the bell stays for things that happen.
    assert Notification.objects.count() == bell
    digests = Delivery.objects.filter(event__kind=EventKind.DIGEST)
    assert digests.count() == 3
    assert set(digests.values_list("channel", flat=True)) == {"email"}
    with time_machine.travel(datetime.datetime(2026, 11, 4, 7, 0, tzinfo=HCM), tick=False):
        assert services.digests_run() == 3


def test_no_digest_when_nothing_waits(estimate: Estimate, people: People) -> None:
    assert services.digests_run() == 0  # the estimate is a draft: nobody but its drafter acts


def test_overdue_work_shows_how_late_it_is_to_those_who_act(
    lived: Callable[..., Estimate], people: People
) -> None:
    with time_machine.travel(MONDAY, tick=False):
        estimate = lived(EstimateStatus.REVIEW)
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
