"""On a register activity the women taking part are the beneficiary list: the count on the
estimate's form is shown read-only and a typed count is ignored; the service and the API
refuse a count that differs from the list, naming the field."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import Any

import pytest
from django.conf import settings
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from approvals import services
from approvals.models import AuditEntry
from approvals.services import EstimateInput, LineInput
from beneficiaries.services import beneficiary_register
from core.errors import RuleViolation
from estimates.models import Estimate, Plan
from organization.models import Unit
from tests.beneficiaries.conftest import ID_B, mother, safe_birth_activity
from tests.factories import api_key, club_input, estimate_form_data, line_form_rows

pytestmark = pytest.mark.django_db


@pytest.fixture
def listed(draft: Estimate, users: dict[str, Any]) -> Estimate:
    """A safe-childbirth draft with two mothers."""
    officer = users["hoi.silolau"]
    beneficiary_register(actor=officer, estimate_id=draft.pk, data=mother())
    beneficiary_register(
        actor=officer,
        estimate_id=draft.pk,
        data=mother(full_name="Mẹ mẫu số 2", national_id=ID_B, date_of_birth=dt.date(1995, 1, 2)),
    )
    draft.refresh_from_db()
    assert draft.participants_women == 2
    return draft


def as_input(estimate: Estimate, **overrides: Any) -> EstimateInput:
    values: dict[str, Any] = {
        "activity_id": estimate.activity_id,
        "title": estimate.title,
        "start_date": estimate.start_date,
        "end_date": estimate.end_date,
        "participants_women": estimate.participants_women,
        "participants_girls": 0,
        "participants_men": 0,
        "lines": [
            LineInput(
                description=ln.description,
                unit_of_measure=ln.unit_of_measure,
                quantity=ln.quantity,
                unit_price=ln.unit_price,
                times=ln.times,
                source=ln.source,
                line_id=ln.pk,
            )
            for ln in estimate.lines.order_by("position")
        ],
    }
    values.update(overrides)
    return EstimateInput(**values)


def test_the_service_refuses_a_count_that_differs_from_the_list(
    listed: Estimate, users: dict[str, Any]
) -> None:
    officer = users["hoi.silolau"]
    before = AuditEntry.objects.count()
    with pytest.raises(RuleViolation) as caught:
        services.estimate_update(
            actor=officer, estimate_id=listed.pk, data=as_input(listed, participants_women=30)
        )
    assert caught.value.field == "participants_women"
    assert "beneficiary list (2)" in caught.value.message
    assert AuditEntry.objects.count() == before
    listed.refresh_from_db()
    assert listed.participants_women == 2
    # The list's count passes, with the other counts typed as before.
    services.estimate_update(
        actor=officer,
        estimate_id=listed.pk,
        data=as_input(listed, participants_girls=1, title="Sửa tiêu đề"),
    )
    listed.refresh_from_db()
    assert (listed.participants_women, listed.participants_girls) == (2, 1)


def test_a_new_safe_birth_estimate_counts_no_woman_until_mothers_are_listed(
    register_data: None, plan: Plan, users: dict[str, Any]
) -> None:
    data = replace(
        club_input(plan),
        activity_id=safe_birth_activity(plan).pk,
        lines=[],
        village_ids=[],
        participants_women=12,
    )
    with pytest.raises(RuleViolation) as caught:
        services.estimate_create(
            actor=users["hoi.silolau"],
            plan=plan,
            unit=Unit.objects.get(code="si-lo-lau"),
            data=data,
        )
    assert caught.value.field == "participants_women"
    assert not Estimate.objects.filter(activity=data.activity_id).exists()


def test_another_activity_keeps_its_typed_count(plan: Plan, users: dict[str, Any]) -> None:
    est = services.estimate_create(
        actor=users["hoi.silolau"],
        plan=plan,
        unit=Unit.objects.get(code="si-lo-lau"),
        data=club_input(plan, participants_women=33),
    )
    assert est.participants_women == 33
    assert services.participants_counted(est, est.activity) is None


def test_the_form_shows_the_count_read_only_and_ignores_a_typed_one(
    client: Client, listed: Estimate, users: dict[str, Any]
) -> None:
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    client.force_login(users["hoi.silolau"])
    edit = reverse("estimates:edit", args=[listed.pk])
    page = client.get(edit)
    assert page.status_code == 200
    field = page.context["form"]["participants_women"]
    assert field.field.disabled and field.value() == 2
    assert "Counted from the beneficiary list" in page.content.decode()
    rows = line_form_rows(listed)
    data = estimate_form_data(
        listed.plan,
        listed.unit,
        lines=rows,
        initial_lines=len(rows),
        activity=listed.activity_id,
        start_date="01/07/2024",
        end_date="30/09/2024",
        title="Hỗ trợ sinh đẻ an toàn quý III",
        participants_women="30",
    )
    assert client.post(edit, data).status_code == 302
    listed.refresh_from_db()
    assert listed.participants_women == 2


def test_the_create_form_ignores_a_typed_count_for_a_register_activity(
    client: Client, register_data: None, plan: Plan, users: dict[str, Any]
) -> None:
    client.force_login(users["hoi.silolau"])
    data = estimate_form_data(
        plan,
        Unit.objects.get(code="si-lo-lau"),
        lines=[],
        activity=safe_birth_activity(plan).pk,
        start_date="01/07/2024",
        end_date="30/09/2024",
        participants_women="30",
    )
    assert client.post(reverse("estimates:create"), data).status_code == 302
    est = Estimate.objects.get(activity=safe_birth_activity(plan))
    assert est.participants_women == 0


def test_the_api_refuses_a_count_that_differs_from_the_list(
    listed: Estimate, users: dict[str, Any]
) -> None:
    cache.clear()
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.credentials(HTTP_AUTHORIZATION=f"Token {api_key(users['hoi.silolau'])}")
    body = {
        "activity": listed.activity_id,
        "title": listed.title,
        "start_date": "2024-07-01",
        "end_date": "2024-09-30",
        "participants_women": 30,
        "lines": [
            {
                "id": ln.pk,
                "description": ln.description,
                "unit_of_measure": ln.unit_of_measure,
                "quantity": ln.quantity,
                "unit_price": ln.unit_price,
                "times": ln.times,
                "source": ln.source,
            }
            for ln in listed.lines.order_by("position")
        ],
    }
    url = f"/api/v1/estimates/{listed.pk}/"
    response = client.put(url, body, format="json")
    assert response.status_code == 400
    answer = response.json()
    assert answer["field"] == "participants_women"
    assert "counted from its beneficiary list (2)" in str(answer)
    body["participants_women"] = 2
    response = client.put(url, body, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["participants_women"] == 2
