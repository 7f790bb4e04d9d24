"""Which communes have not reported, and reminding them: once a day, by the button or the
daily job, only the district Women's Union."""

from __future__ import annotations

import datetime as dt

import pytest

from core.errors import Forbidden
from notifications.models import OutboxEvent
from progress import services
from progress.models import ReportReminder
from tests.factories import demo_user

from .helpers import DISTRICT_WU, period, report_in_status

pytestmark = pytest.mark.django_db


def test_missing_communes_are_those_without_a_submitted_or_accepted_report(plan):
    q2 = period(plan)
    assert len(services.communes_missing(q2)) == 15
    report_in_status(plan, "draft", unit_code="nam-xe")
    report_in_status(plan, "submitted", unit_code="si-lo-lau")
    names = [u.name for u in services.communes_missing(q2)]
    assert "Sì Lở Lầu" not in names and "Nậm Xe" in names
    assert len(names) == 14


def test_remind_tells_the_missing_communes_once_a_day(plan):
    q2 = period(plan)
    report_in_status(plan, "submitted", unit_code="si-lo-lau")
    district = demo_user(DISTRICT_WU)
    reminded = services.reports_remind(actor=district, period_id=q2.pk, today=dt.date(2024, 7, 8))
    assert len(reminded) == 14
    events = OutboxEvent.objects.filter(kind="report.reminder")
    told = {pk for e in events for pk in e.recipients}
    assert demo_user("hoi.namxe").pk in told
    assert demo_user("hoi.silolau").pk not in told
    again = services.reports_remind(actor=district, period_id=q2.pk, today=dt.date(2024, 7, 8))
    assert again == []
    assert ReportReminder.objects.count() == 14
    # The daily job on the due day reminds nobody twice the same day.
    assert services.reminders_due_run(today=dt.date(2024, 7, 8)) > 0
    assert ReportReminder.objects.filter(period=q2, sent_on=dt.date(2024, 7, 8)).count() == 14


def test_a_commune_officer_cannot_remind(plan):
    with pytest.raises(Forbidden):
        services.reports_remind(actor=demo_user("hoi.silolau"), period_id=period(plan).pk)
    assert not ReportReminder.objects.exists()


def test_the_daily_job_only_reminds_for_periods_due(plan):
    # 2024-04-10: no period has ended yet.
    assert services.reminders_due_run(today=dt.date(2024, 4, 10)) == 0
    assert not ReportReminder.objects.exists()
