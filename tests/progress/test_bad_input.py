"""Refusals: a message naming the field, nothing written."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from approvals.models import AuditEntry
from core.errors import RuleViolation
from organization.models import Unit
from progress import services
from progress.models import IndicatorValue, Period, ProgressReport, ReportActivity
from progress.services import ValueInput
from tests.factories import demo_user

from .helpers import indicator, period, report_in_status, report_input

pytestmark = pytest.mark.django_db


def _written() -> tuple[int, int, int, int]:
    return (
        ProgressReport.objects.count(),
        ReportActivity.objects.count(),
        IndicatorValue.objects.count(),
        AuditEntry.objects.count(),
    )


def test_a_period_not_yet_started_is_refused(plan):
    today = timezone.localdate()
    future = Period.objects.create(
        plan=plan,
        kind="month",
        label="Tháng sau",
        starts_on=today + dt.timedelta(days=30),
        ends_on=today + dt.timedelta(days=60),
        due_on=today + dt.timedelta(days=65),
    )
    before = _written()
    with pytest.raises(RuleViolation) as refused:
        services.report_create(
            actor=demo_user("hoi.silolau"),
            period_id=future.pk,
            unit_id=Unit.objects.get(code="si-lo-lau").pk,
        )
    assert refused.value.field == "period"
    assert "has not started yet" in refused.value.message
    assert _written() == before


def test_a_report_for_another_commune_is_refused(plan):
    before = _written()
    with pytest.raises(RuleViolation) as refused:
        services.report_create(
            actor=demo_user("hoi.silolau"),
            period_id=period(plan).pk,
            unit_id=Unit.objects.get(code="nam-xe").pk,
        )
    assert refused.value.field == "unit"
    assert refused.value.message == "You report only for your own commune."
    assert _written() == before


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (-1, "Enter a number that is not negative."),
        ("-3", "Enter a number that is not negative."),
        ("mười", "Enter a whole number."),
        ("2.5e3", "Enter a whole number."),
        (1.5, "Enter a whole number."),
        (True, "Enter a whole number."),
    ],
)
def test_an_indicator_value_negative_or_not_a_number_is_refused(plan, value, message):
    report = report_in_status(plan, "draft")
    data = report_input(plan)
    data.values = [
        ValueInput(indicator_id=indicator(plan, "nguoi-duoc-tt").pk, value=5),
        ValueInput(indicator_id=indicator(plan, "su-kien-tt").pk, value=value),
    ]
    before = _written()
    with pytest.raises(RuleViolation) as refused:
        services.report_update(actor=demo_user("hoi.silolau"), report_id=report.pk, data=data)
    assert refused.value.field == "values[1].value"
    assert refused.value.message == message
    assert _written() == before
    assert report.values.get().value == 2  # the earlier result stands


def test_participants_negative_and_dates_outside_the_period_are_refused(plan):
    report = report_in_status(plan, "draft")
    officer = demo_user("hoi.silolau")
    data = report_input(plan, women=-4)
    with pytest.raises(RuleViolation) as refused:
        services.report_update(actor=officer, report_id=report.pk, data=data)
    assert refused.value.field == "activities[0].participants_women"
    data = report_input(plan)
    data.activities[0].held_from = dt.date(2024, 8, 1)
    with pytest.raises(RuleViolation) as refused:
        services.report_update(actor=officer, report_id=report.pk, data=data)
    assert refused.value.field == "activities[0].held_from"
    assert "01/04/2024 to 30/06/2024" in refused.value.message


def test_a_district_indicator_is_not_reported_by_a_commune(plan):
    report = report_in_status(plan, "draft")
    data = report_input(plan)
    data.values = [ValueInput(indicator_id=indicator(plan, "goi-chinh-sach").pk, value=4)]
    with pytest.raises(RuleViolation) as refused:
        services.report_update(actor=demo_user("hoi.silolau"), report_id=report.pk, data=data)
    assert refused.value.field == "values[0].indicator"


def test_invisible_characters_in_a_text_are_refused(plan):
    report = report_in_status(plan, "draft")
    with pytest.raises(RuleViolation) as refused:
        services.report_update(
            actor=demo_user("hoi.silolau"),
            report_id=report.pk,
            data=report_input(plan, difficulties="Khó\u202ekhăn"),
        )
    assert refused.value.field == "difficulties"
