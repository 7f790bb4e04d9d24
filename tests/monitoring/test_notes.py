"""Monitoring notes: who records them, the unit told and answering, recommendations open
until closed, refusals that write nothing."""

from __future__ import annotations

import datetime as dt

import pytest
from django.http import Http404

from approvals.models import AuditEntry
from core.errors import Forbidden, RuleViolation
from estimates.models import Activity
from monitoring import services
from monitoring.models import MonitoringNote
from monitoring.selectors import (
    note_actions_allowed,
    open_recommendations_for_user,
    overdue,
)
from monitoring.services import NoteInput
from notifications.models import OutboxEvent
from organization.models import Unit
from tests.factories import demo_user, estimate_in_status

pytestmark = pytest.mark.django_db


def _input(**kw: object) -> NoteInput:
    values: dict[str, object] = {
        "unit_id": Unit.objects.get(code="si-lo-lau").pk,
        "visited_on": dt.date(2024, 9, 12),
        "visitors": "Phòng Dân tộc (2 cán bộ)",
        "checked": "Sổ sinh hoạt CLB",
        "findings": "Danh sách thành viên chưa cập nhật",
        "recommendations": "Cập nhật danh sách",
        "follow_up_due": dt.date(2024, 10, 15),
    }
    values.update(kw)
    return NoteInput(**values)  # type: ignore[arg-type]


@pytest.mark.parametrize("who", ["quansat", "kiemtoan"])
def test_line_department_and_auditor_record_and_the_commune_is_told(plan, who):
    note = services.note_record(actor=demo_user(who), plan=plan, data=_input())
    assert note.status == "open"
    event = OutboxEvent.objects.get(kind="monitoring.recorded")
    assert demo_user("hoi.silolau").pk in event.recipients
    assert demo_user("hoi.namxe").pk not in event.recipients
    assert AuditEntry.objects.filter(action="monitoring.recorded", data__note=note.pk).exists()


def test_a_note_on_an_estimate_is_on_its_unit_and_activity(plan):
    estimate = estimate_in_status("review")
    note = services.note_record(
        actor=demo_user("quansat"), plan=plan, data=_input(unit_id=None, estimate_id=estimate.pk)
    )
    assert (note.unit_id, note.activity_id) == (estimate.unit_id, estimate.activity_id)


def test_answer_then_close_and_the_open_list(plan):
    observer, officer = demo_user("quansat"), demo_user("hoi.silolau")
    note = services.note_record(actor=observer, plan=plan, data=_input())
    assert list(open_recommendations_for_user(officer)) == [note]
    assert note_actions_allowed(officer, note) == ["answer"]
    assert note_actions_allowed(observer, note) == ["close"]
    with pytest.raises(Forbidden):
        services.note_close(actor=officer, note_id=note.pk, closing_note="xong")
    services.note_answer(actor=officer, note_id=note.pk, answer="Đã cập nhật")
    assert OutboxEvent.objects.get(kind="monitoring.answered").recipients == [observer.pk]
    assert list(open_recommendations_for_user(observer)) == [note]  # open until closed
    assert overdue(MonitoringNote.objects.get(pk=note.pk), dt.date(2024, 10, 16))
    services.note_close(actor=observer, note_id=note.pk, closing_note="Đã kiểm tra lại")
    assert list(open_recommendations_for_user(observer)) == []
    note.refresh_from_db()
    assert (note.status, note.answer, note.closing_note) == (
        "closed",
        "Đã cập nhật",
        "Đã kiểm tra lại",
    )


def test_a_role_without_the_monitoring_right_is_refused_and_nothing_is_written(plan):
    before = (MonitoringNote.objects.count(), AuditEntry.objects.count())
    for who in ("hoi.silolau", "hoi.huyen", "tckh", "ketoan", "pho.chutich"):
        with pytest.raises(Forbidden) as refused:
            services.note_record(actor=demo_user(who), plan=plan, data=_input())
        assert "does not record monitoring notes" in refused.value.message
    assert (MonitoringNote.objects.count(), AuditEntry.objects.count()) == before


def test_the_commune_pc_monitors_only_its_commune(plan):
    with pytest.raises(RuleViolation) as refused:
        services.note_record(
            actor=demo_user("ubnd.silolau"),
            plan=plan,
            data=_input(unit_id=Unit.objects.get(code="nam-xe").pk),
        )
    assert refused.value.field == "unit"
    assert not MonitoringNote.objects.exists()


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("visited_on", ""),
        ("visited_on", "12/09/2024"),
        ("visited_on", "2999-01-01"),
        ("follow_up_due", "2024-09-01"),
        ("follow_up_due", None),
        ("findings", "  "),
        ("visitors", "a\u200bb"),
        ("activity_id", "x"),
    ],
)
def test_bad_input_names_the_field(plan, field, value):
    with pytest.raises(RuleViolation) as refused:
        services.note_record(actor=demo_user("quansat"), plan=plan, data=_input(**{field: value}))
    assert refused.value.field == field.removesuffix("_id")
    assert not MonitoringNote.objects.exists()


def test_another_commune_does_not_see_or_answer(plan):
    note = services.note_record(actor=demo_user("quansat"), plan=plan, data=_input())
    with pytest.raises(Http404):
        services.note_answer(actor=demo_user("hoi.namxe"), note_id=note.pk, answer="x")
    assert MonitoringNote.objects.get(pk=note.pk).status == "open"


def test_an_activity_of_another_plan_is_refused(plan):
    assert Activity.objects.filter(content__plan=plan).exists()
    with pytest.raises(RuleViolation) as refused:
        services.note_record(actor=demo_user("quansat"), plan=plan, data=_input(activity_id=0))
    assert refused.value.field == "activity"
