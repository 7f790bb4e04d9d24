"""Working days and stage deadlines.

A working day is Monday to Friday in Asia/Ho_Chi_Minh that is not in the ``Holiday``
table. A stage's deadline is the day, ``working_days`` working days after the local date
the estimate entered the stage. Reminders fall one working day before the deadline, on
the deadline day and one working day after it; the escalation ``escalate_after`` working
days after it.
"""

from __future__ import annotations

import datetime
from collections.abc import Collection
from dataclasses import dataclass

from django.conf import settings
from django.utils import timezone

from estimates.models import EstimateStatus

from .models import Holiday, ReminderKind, StageDeadline

#: The stages that have a deadline, and the permission whose holders act in each.
DEADLINE_STAGES = (EstimateStatus.REVIEW, EstimateStatus.APPRAISAL, EstimateStatus.APPROVAL)

#: Reminder thresholds, in working days from the deadline (escalation is added per stage).
REMINDER_THRESHOLDS = ((ReminderKind.BEFORE, -1), (ReminderKind.DUE, 0), (ReminderKind.OVERDUE, 1))


@dataclass(frozen=True)
class StageRule:
    working_days: int
    escalate_after: int


def stage_rules() -> dict[str, StageRule]:
    """Per stage: the settings' defaults, overridden by the administrator's rows."""
    rules = {
        status: StageRule(days, settings.NOTIFICATIONS_ESCALATE_AFTER)
        for status, days in settings.NOTIFICATIONS_STAGE_DEADLINES.items()
    }
    for row in StageDeadline.objects.all():
        rules[row.status] = StageRule(row.working_days, row.escalate_after)
    return rules


def holidays_between(start: datetime.date, end: datetime.date) -> frozenset[datetime.date]:
    return frozenset(
        Holiday.objects.filter(date__range=(start, end)).values_list("date", flat=True)
    )


def is_working_day(day: datetime.date, holidays: Collection[datetime.date]) -> bool:
    return day.weekday() < 5 and day not in holidays


def add_working_days(
    start: datetime.date, days: int, holidays: Collection[datetime.date]
) -> datetime.date:
    """The working day ``days`` working days after (or before, if negative) ``start``."""
    step = 1 if days >= 0 else -1
    remaining = abs(days)
    day = start
    while remaining:
        day += datetime.timedelta(days=step)
        if is_working_day(day, holidays):
            remaining -= 1
    return day


def _weekdays_through(day: datetime.date) -> int:
    """Mondays to Fridays from 1 January of year 1 (a Monday) up to ``day``, included."""
    weeks, rest = divmod(day.toordinal(), 7)
    return weeks * 5 + min(rest, 5)


def working_days_between(
    start: datetime.date, end: datetime.date, holidays: Collection[datetime.date]
) -> int:
    """Working days after ``start`` up to and including ``end`` (0 if ``end`` <= ``start``).
    Counted, not walked: the weekdays between the two dates less the holidays on a weekday
    among them (a late estimate's days late run to hundreds on the overdue list)."""
    if end <= start:
        return 0
    off = sum(1 for day in holidays if start < day <= end and day.weekday() < 5)
    return _weekdays_through(end) - _weekdays_through(start) - off


def local_date(moment: datetime.datetime) -> datetime.date:
    return timezone.localtime(moment).date()


@dataclass(frozen=True)
class StageClock:
    """Where an estimate stands against its stage deadline on a given day."""

    stage: str
    entered_at: datetime.datetime
    deadline: datetime.date
    escalate_after: int
    days_late: int


def stage_clock(
    *,
    stage: str,
    entered_at: datetime.datetime,
    today: datetime.date,
    rules: dict[str, StageRule],
    holidays: Collection[datetime.date],
) -> StageClock | None:
    rule = rules.get(stage)
    if rule is None:
        return None
    deadline = add_working_days(local_date(entered_at), rule.working_days, holidays)
    return StageClock(
        stage=stage,
        entered_at=entered_at,
        deadline=deadline,
        escalate_after=rule.escalate_after,
        days_late=working_days_between(deadline, today, holidays),
    )


def holiday_window(today: datetime.date) -> frozenset[datetime.date]:
    """Holidays near enough to matter for any open stage (a year back, a month ahead)."""
    return holidays_between(
        today - datetime.timedelta(days=366), today + datetime.timedelta(days=31)
    )


def last_late_entry(
    rule: StageRule, today: datetime.date, holidays: Collection[datetime.date]
) -> datetime.date:
    """The last local date on which an estimate may have entered a stage of ``rule`` and be
    late on ``today`` (its deadline before today). A deadline only moves later with the date
    of entry, so every estimate that entered on or before this day is late too: the overdue
    list filters on it in SQL instead of working out each estimate's deadline."""
    day = today - datetime.timedelta(days=1)
    while add_working_days(day, rule.working_days, holidays) >= today:
        day -= datetime.timedelta(days=1)
    return day


def start_of_day(day: datetime.date) -> datetime.datetime:
    """Midnight at the start of ``day`` in the site's time zone."""
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))
