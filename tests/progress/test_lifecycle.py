"""A commune's report from draft to accepted or returned, a correction as a new version,
who may do what, what is audited and who is told."""

from __future__ import annotations

import pytest
from django.http import Http404

from approvals.models import AuditEntry
from core.errors import Conflict, Forbidden
from notifications.models import OutboxEvent
from organization.models import Unit
from progress import lifecycle, services
from progress.access import report_actions_allowed
from progress.models import ProgressReport
from tests.factories import demo_user

from .helpers import DISTRICT_WU, period, report_in_status, report_input

pytestmark = pytest.mark.django_db


def test_submit_accept_tells_the_district_then_the_commune(plan):
    report = report_in_status(plan, "draft")
    officer, district = demo_user("hoi.silolau"), demo_user(DISTRICT_WU)
    services.report_submit(actor=officer, report_id=report.pk)
    submitted = OutboxEvent.objects.get(kind="report.submitted")
    assert district.pk in submitted.recipients
    assert officer.pk not in submitted.recipients
    services.report_accept(actor=district, report_id=report.pk)
    report.refresh_from_db()
    assert report.status == "accepted"
    assert report.decided_by == district
    accepted = OutboxEvent.objects.get(kind="report.accepted")
    assert accepted.recipients == [officer.pk]
    actions = list(
        AuditEntry.objects.filter(data__report=report.pk)
        .order_by("seq")
        .values_list("action", "to_status")
    )
    assert actions == [
        ("report.created", "draft"),
        ("report.edited", "draft"),
        ("report.submitted", "submitted"),
        ("report.accepted", "accepted"),
    ]


def test_a_return_needs_a_reason_and_the_commune_corrects_and_resubmits(plan):
    report = report_in_status(plan, "submitted")
    district = demo_user(DISTRICT_WU)
    with pytest.raises(Exception) as refused:
        services.report_return(actor=district, report_id=report.pk, reason="  ")
    assert getattr(refused.value, "field", None) == "reason"
    assert ProgressReport.objects.get(pk=report.pk).status == "submitted"
    services.report_return(actor=district, report_id=report.pk, reason="Thiếu số liệu nhóm")
    report.refresh_from_db()
    assert (report.status, report.return_reason) == ("returned", "Thiếu số liệu nhóm")
    assert OutboxEvent.objects.get(kind="report.returned").comment == "Thiếu số liệu nhóm"
    officer = demo_user("hoi.silolau")
    services.report_update(actor=officer, report_id=report.pk, data=report_input(plan, women=12))
    services.report_submit(actor=officer, report_id=report.pk)
    report.refresh_from_db()
    assert (report.status, report.return_reason) == ("submitted", "")


def test_editable_until_accepted_then_a_correction_is_a_new_version(plan):
    report = report_in_status(plan, "submitted")
    officer = demo_user("hoi.silolau")
    services.report_update(actor=officer, report_id=report.pk, data=report_input(plan, women=15))
    assert report.activities.get().participants_women == 15
    services.report_accept(actor=demo_user(DISTRICT_WU), report_id=report.pk)
    with pytest.raises(Conflict):
        services.report_update(actor=officer, report_id=report.pk, data=report_input(plan))
    new = services.report_correct(actor=officer, report_id=report.pk)
    assert (new.version, new.status, new.previous_id) == (2, "draft", report.pk)
    assert new.activities.get().participants_women == 15
    assert new.values.get().value == 2
    report.refresh_from_db()
    assert report.status == "accepted"  # the accepted version stands until the next
    with pytest.raises(Conflict):
        services.report_correct(actor=officer, report_id=report.pk)


def test_the_commune_does_not_accept_and_the_district_does_not_submit(plan):
    report = report_in_status(plan, "draft")
    officer, district = demo_user("hoi.silolau"), demo_user(DISTRICT_WU)
    with pytest.raises(Forbidden):
        services.report_submit(actor=district, report_id=report.pk)
    services.report_submit(actor=officer, report_id=report.pk)
    with pytest.raises(Forbidden):
        services.report_accept(actor=officer, report_id=report.pk)
    assert report_actions_allowed(district, [report])[report.pk] == []  # still a draft here
    report.refresh_from_db()
    assert report_actions_allowed(officer, [report])[report.pk] == ["update"]
    assert report_actions_allowed(district, [report])[report.pk] == ["accept", "return"]


def test_another_commune_cannot_see_or_touch_the_report(plan):
    report = report_in_status(plan, "draft")
    other = demo_user("hoi.namxe")
    with pytest.raises(Http404):
        services.report_update(actor=other, report_id=report.pk, data=report_input(plan))
    with pytest.raises(Http404):
        services.report_submit(actor=other, report_id=report.pk)
    assert ProgressReport.objects.get(pk=report.pk).status == "draft"


def test_one_open_report_per_commune_and_period(plan):
    report_in_status(plan, "draft")
    with pytest.raises(Exception) as refused:
        services.report_create(
            actor=demo_user("hoi.silolau"),
            period_id=period(plan).pk,
            unit_id=Unit.objects.get(code="si-lo-lau").pk,
        )
    assert refused.value.field == "period"  # type: ignore[attr-defined]
    assert ProgressReport.objects.count() == 1


def test_the_table_has_a_service_for_every_action():
    for name in lifecycle.ACTION_NAMES:
        function = {
            "update": "report_update",
            "submit": "report_submit",
            "accept": "report_accept",
            "return": "report_return",
            "correct": "report_correct",
            "consolidate": "district_report_consolidate",
            "submit-upward": "district_report_submit",
        }[name]
        assert callable(getattr(services, function))
