"""The monitoring pages: the list (queries pinned), recording a visit (and the refusal of
a role without the right), the unit's answer."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from monitoring import services
from monitoring.models import MonitoringNote
from monitoring.services import NoteInput
from organization.models import Unit
from tests.factories import demo_user

pytestmark = pytest.mark.django_db


def _note(plan: Any, unit_code: str = "si-lo-lau", **kw: Any) -> MonitoringNote:
    return services.note_record(
        actor=demo_user("quansat"),
        plan=plan,
        data=NoteInput(
            unit_id=Unit.objects.get(code=unit_code).pk,
            visited_on=dt.date(2024, 9, 1),
            visitors="Phòng Dân tộc",
            checked="Sổ sách",
            findings="Thiếu chữ ký",
            recommendations="Bổ sung",
            follow_up_due=dt.date(2024, 10, 1),
            **kw,
        ),
    )


def _queries(client: Any) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse("monitoring:notes")).status_code == 200
    return len(queries)


def test_the_list_costs_the_same_queries_with_one_note_or_many(client, plan):
    client.force_login(demo_user("quansat"))
    _note(plan)
    one = _queries(client)
    for code in ("nam-xe", "si-lo-lau", "nam-xe", "dao-san"):
        _note(plan, code)
    assert _queries(client) == one


def test_an_observer_records_a_visit_from_the_page(client, plan):
    client.force_login(demo_user("quansat"))
    assert client.get(reverse("monitoring:note_create")).status_code == 200
    form = {
        "unit": Unit.objects.get(code="si-lo-lau").pk,
        "visited_on": "2024-09-01",
        "visitors": "Phòng Dân tộc",
        "checked": "Sổ sách",
        "findings": "Ổn",
        "recommendations": "Cập nhật danh sách",
        "follow_up_due": "",
    }
    refused = client.post(reverse("monitoring:note_create"), form)
    assert refused.status_code == 400
    assert "Give the date by which the recommendations are followed up." in refused.content.decode()
    assert not MonitoringNote.objects.exists()
    form["follow_up_due"] = "2024-10-01"
    answer = client.post(reverse("monitoring:note_create"), form)
    note = MonitoringNote.objects.get()
    assert answer.url == reverse("monitoring:note_detail", args=[note.pk])


def test_a_role_without_the_right_is_refused_with_a_message(client, plan):
    client.force_login(demo_user("hoi.silolau"))
    answer = client.get(reverse("monitoring:note_create"))
    assert answer.status_code == 403
    assert "does not record monitoring notes" in answer.content.decode()
    answer = client.post(reverse("monitoring:note_create"), {"unit": "1"})
    assert answer.status_code == 403
    assert not MonitoringNote.objects.exists()


def test_the_unit_answers_and_the_open_list_keeps_it_until_closed(client, plan):
    note = _note(plan)
    client.force_login(demo_user("hoi.silolau"))
    assert "Bổ sung" in client.get(reverse("monitoring:notes")).content.decode()
    client.post(reverse("monitoring:note_answer", args=[note.pk]), {"text": "Đã bổ sung"})
    note.refresh_from_db()
    assert note.status == "answered"
    assert (
        client.post(reverse("monitoring:note_close", args=[note.pk]), {"text": "x"}).status_code
        == 403
    )
    client.force_login(demo_user("quansat"))
    client.post(reverse("monitoring:note_close", args=[note.pk]), {"text": "Đã kiểm tra"})
    note.refresh_from_db()
    assert note.status == "closed"
