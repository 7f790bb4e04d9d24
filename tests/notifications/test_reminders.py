"""Deadlines, reminders and escalation with frozen time: each notice exactly once."""

from __future__ import annotations

import datetime
import threading
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection

from approvals import services as approvals
from estimates.models import Estimate, EstimateStatus, Plan
from notifications import services
from notifications.deadlines import add_working_days, working_days_between
from notifications.models import EventKind, Holiday, OutboxEvent, Reminder, StageDeadline
from tests.factories import estimate_in_status
from tests.notifications.helpers import People

HCM = ZoneInfo("Asia/Ho_Chi_Minh")
MONDAY = datetime.datetime(2026, 11, 2, 9, 0, tzinfo=HCM)  # in review since; deadline Mon 9 Nov


def on(day: int, hour: int = 8) -> time_machine.travel:
    return time_machine.travel(datetime.datetime(2026, 11, day, hour, 0, tzinfo=HCM), tick=False)


@pytest.fixture
def waiting(plan: Plan, people: People) -> Estimate:
    """Submitted on Monday 2 November: in review since then."""
    with time_machine.travel(MONDAY, tick=False):
        estimate = estimate_in_status(EstimateStatus.REVIEW, plan=plan, drafter=people.drafter)
    assert estimate.status_changed_at == MONDAY
    return estimate


def sent() -> list[tuple[str, int, list[str]]]:
    rows = Reminder.objects.select_related("event").order_by("pk")
    from django.contrib.auth.models import User

    names = dict(User.objects.values_list("pk", "username"))
    return [(r.kind, r.threshold, sorted(names[i] for i in r.event.recipients)) for r in rows]


def test_working_days_skip_weekends_and_holidays() -> None:
    friday = datetime.date(2026, 11, 6)
    assert add_working_days(friday, 1, set()) == datetime.date(2026, 11, 9)
    assert add_working_days(friday, -1, set()) == datetime.date(2026, 11, 5)
    assert add_working_days(friday, 1, {datetime.date(2026, 11, 9)}) == datetime.date(2026, 11, 10)
    assert working_days_between(friday, datetime.date(2026, 11, 11), set()) == 3
    assert working_days_between(friday, friday, set()) == 0


def test_working_days_counted_as_a_calendar_walk_would() -> None:
    """Days late are counted, not walked: the count agrees with going day by day over
    every pair of dates of two months, weekends, a holiday on a weekday and one on a
    Saturday included, and with the day after a deadline."""
    holidays = {datetime.date(2026, 9, 2), datetime.date(2026, 9, 5), datetime.date(2026, 10, 1)}
    days = [datetime.date(2026, 8, 28) + datetime.timedelta(days=n) for n in range(62)]

    def walked(start: datetime.date, end: datetime.date) -> int:
        return sum(
            1 for day in days if start < day <= end and day.weekday() < 5 and day not in holidays
        )

    for start in days:
        for end in days:
            assert working_days_between(start, end, holidays) == walked(start, end), (start, end)
    deadline = add_working_days(datetime.date(2026, 9, 1), 5, holidays)
    assert working_days_between(deadline, add_working_days(deadline, 7, holidays), holidays) == 7


@pytest.mark.django_db
def test_each_threshold_is_sent_once_on_its_day(waiting: Estimate, people: People) -> None:
    reviewers = sorted(people.names("reviewer", "reviewer2"))
    with on(5):
        assert services.reminders_run() == 0
    with on(6):  # Friday: one working day before the deadline
        assert services.reminders_run() == 1
        assert services.reminders_run() == 0
    with on(7):  # Saturday
        assert services.reminders_run() == 0
    with on(9):  # Monday: the deadline
        assert services.reminders_run() == 1
    with on(10):  # a working day late
        assert services.reminders_run() == 1
    with on(11, hour=17):  # two working days late: escalate to the head of the acting unit
        assert services.reminders_run() == 1
        assert services.reminders_run() == 0
    with on(12):
        assert services.reminders_run() == 0
    assert sent() == [
        ("before", -1, reviewers),
        ("due", 0, reviewers),
        ("overdue", 1, reviewers),
        ("escalation", 2, [people.reviewer.username]),
    ]
    escalation = OutboxEvent.objects.get(kind=EventKind.ESCALATED)
    assert escalation.data["days_late"] == 2
    assert escalation.data["deadline"] == "2026-11-09"


@pytest.mark.django_db
def test_a_late_first_run_sends_only_the_latest_reminder_and_the_escalation(
    waiting: Estimate, people: People
) -> None:
    with on(11):
        assert services.reminders_run() == 2
    assert [(kind, t) for kind, t, _ in sent()] == [("overdue", 1), ("escalation", 2)]


@pytest.mark.django_db
def test_holidays_and_the_administrators_deadlines_move_the_dates(
    waiting: Estimate, people: People
) -> None:
    Holiday.objects.create(date=datetime.date(2026, 11, 4), name="Ngày nghỉ")
    with on(6):
        assert services.reminders_run() == 0  # the deadline moved to Tuesday 10
    with on(9):
        assert services.reminders_run() == 1
    StageDeadline.objects.filter(status="review").update(working_days=10)
    with on(10):
        assert services.reminders_run() == 0
    assert [(kind, t) for kind, t, _ in sent()] == [("before", -1)]


@pytest.mark.django_db
def test_a_new_visit_to_the_stage_is_reminded_again(waiting: Estimate, people: People) -> None:
    with on(6):
        assert services.reminders_run() == 1
    # Five minutes after it first arrived, it is returned, revised and submitted again.
    with time_machine.travel(MONDAY + datetime.timedelta(minutes=5), tick=False):
        approvals.estimate_return(actor=people.reviewer, estimate_id=waiting.pk, reason="Thiếu")
        approvals.estimate_submit(actor=people.drafter, estimate_id=waiting.pk)
    waiting.refresh_from_db()
    assert waiting.status == EstimateStatus.REVIEW
    with on(6):
        assert services.reminders_run() == 1


@pytest.mark.django_db
def test_stages_without_a_deadline_are_not_reminded(plan: Plan, people: People) -> None:
    with time_machine.travel(MONDAY, tick=False):
        estimate_in_status(EstimateStatus.APPROVED, plan=plan, drafter=people.drafter)
    with on(30):
        assert services.reminders_run() == 0


@pytest.mark.django_db(transaction=True)
def test_two_jobs_at_once_send_each_reminder_once(
    waiting: Estimate, people: People, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Both jobs pass the "already sent?" check and meet before writing: the unique
    # constraint alone decides.
    barrier = threading.Barrier(2, timeout=10)
    write = services._outbox_write

    def meet_then_write(**kwargs):  # type: ignore[no-untyped-def]
        barrier.wait()
        return write(**kwargs)

    monkeypatch.setattr(services, "_outbox_write", meet_then_write)
    results: list[int] = []
    errors: list[BaseException] = []

    def job() -> None:
        try:
            results.append(services.reminders_run())
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    with on(6):
        threads = [threading.Thread(target=job) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=30)
    assert not errors
    assert sorted(results) == [0, 1]
    assert Reminder.objects.count() == 1
    assert OutboxEvent.objects.filter(kind=EventKind.REMINDER).count() == 1


@pytest.mark.django_db
def test_the_tick_command_runs_the_jobs_once(
    waiting: Estimate, people: People, django_capture_on_commit_callbacks
) -> None:
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    with on(6), django_capture_on_commit_callbacks(execute=True):
        call_command("notifications_tick", stdout=out)
        call_command("notifications_tick", stdout=out)
    assert out.getvalue().splitlines()[0].startswith("reminders: 1, digests: 2")
    assert out.getvalue().splitlines()[1].startswith("reminders: 0, digests: 0")
    assert OutboxEvent.objects.filter(processed_at__isnull=True).count() == 0
