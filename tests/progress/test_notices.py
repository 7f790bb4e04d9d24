"""Notices about reports reach the bell with a title in the recipient's language and a
link to the report; the reminder names the period and the due date."""

from __future__ import annotations

import datetime as dt

import pytest

from notifications.models import Notification, OutboxEvent, UserPreference
from notifications.services import event_handle
from progress import services
from tests.factories import demo_user

from .helpers import DISTRICT_WU, period, report_in_status

pytestmark = pytest.mark.django_db


def test_the_district_is_told_of_a_submitted_report_in_the_bell(plan):
    report = report_in_status(plan, "submitted")
    district = demo_user(DISTRICT_WU)
    UserPreference.objects.update_or_create(user=district, defaults={"language": "en"})
    event_handle(event_id=OutboxEvent.objects.get(kind="report.submitted").pk)
    notice = Notification.objects.get(recipient=district)
    assert notice.title == "Progress report of Sì Lở Lầu for Quý II/2024 is waiting for you"
    assert notice.url == f"/progress/reports/{report.pk}/"


def test_a_reminder_names_the_period_and_due_date(plan):
    officer = demo_user("hoi.namxe")
    UserPreference.objects.update_or_create(user=officer, defaults={"language": "en"})
    services.reports_remind(
        actor=demo_user(DISTRICT_WU), period_id=period(plan).pk, today=dt.date(2024, 7, 8)
    )
    for event in OutboxEvent.objects.filter(kind="report.reminder"):
        event_handle(event_id=event.pk)
    notice = Notification.objects.get(recipient=officer)
    assert notice.title == (
        "Reminder: your commune's progress report for Quý II/2024 is due on 05/07/2024"
    )
