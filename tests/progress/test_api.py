"""The API of progress reports and monitoring notes: the same gate and services, errors as
``{"detail", "field"}`` naming the field, in the OpenAPI schema."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from monitoring.models import MonitoringNote
from organization.models import Unit
from progress.models import ProgressReport, ReportActivity
from tests.factories import api_key, demo_user

from .helpers import DISTRICT_WU, activity, indicator, period, report_in_status

pytestmark = pytest.mark.django_db


@pytest.fixture
def api() -> Any:
    cache.clear()

    def client(username: str) -> APIClient:
        c = APIClient(HTTP_ACCEPT_LANGUAGE="en")
        c.credentials(HTTP_AUTHORIZATION=f"Token {api_key(demo_user(username))}")
        return c

    return client


def test_a_commune_reports_through_the_api_and_the_district_accepts(api, plan):
    officer = api("hoi.silolau")
    unit = Unit.objects.get(code="si-lo-lau")
    created = officer.post(
        "/api/v1/progress-reports/", {"period": period(plan).pk, "unit": unit.pk}, format="json"
    )
    assert created.status_code == 201, created.json()
    pk = created.json()["id"]
    body = {
        "difficulties": "Mưa lũ",
        "activities": [
            {
                "activity": activity(plan, "1.4").pk,
                "held": "Phiên chợ",
                "held_from": "2024-05-03",
                "participants_women": 20,
                "participants_men": 4,
                "group_counts": {"dtts": 18, "no-such-group": 5},
            }
        ],
        "values": [{"indicator": indicator(plan, "su-kien-tt").pk, "value": 1}],
    }
    refused = officer.put(f"/api/v1/progress-reports/{pk}/", body, format="json")
    assert refused.status_code == 400
    assert refused.json()["field"] == "activities[0].group_counts.no-such-group"
    assert "priority group" in refused.json()["detail"]
    assert not ReportActivity.objects.filter(report_id=pk).exists()
    body["activities"][0]["group_counts"] = {"dtts": 18, "ho-ngheo-can-ngheo": 5}
    answer = officer.put(f"/api/v1/progress-reports/{pk}/", body, format="json")
    assert answer.status_code == 200, answer.json()
    assert answer.json()["activities"][0]["group_counts"] == {
        "dtts": 18,
        "ho-ngheo-can-ngheo": 5,
    }
    assert answer.json()["actions"] == ["update", "submit"]
    assert officer.post(f"/api/v1/progress-reports/{pk}/submit/").status_code == 200
    district = api(DISTRICT_WU)
    refused = district.post(f"/api/v1/progress-reports/{pk}/return/", {}, format="json")
    assert refused.status_code == 400 and refused.json()["field"] == "reason"
    accepted = district.post(f"/api/v1/progress-reports/{pk}/accept/")
    assert accepted.json()["status"] == "accepted"
    consolidated = district.post(
        "/api/v1/progress-reports/consolidate/",
        {"period": period(plan).pk, "unit": plan.area_id},
        format="json",
    )
    assert consolidated.status_code == 200
    assert consolidated.json()["snapshot"]["totals"]["women"] == 20
    groups = {g["code"]: g["participants"] for g in consolidated.json()["snapshot"]["groups"]}
    assert groups["dtts"] == 18 and groups["ho-ngheo-can-ngheo"] == 5
    district_pk = consolidated.json()["id"]
    pdf = district.get(f"/api/v1/progress-reports/{district_pk}/pdf/")
    assert pdf["Content-Type"] == "application/pdf"


@pytest.mark.parametrize(
    ("value", "message"),
    [(-1, "Enter a number that is not negative."), ("7", "Enter a whole number (a JSON integer).")],
)
def test_an_indicator_value_negative_or_not_a_number_names_the_field(api, plan, value, message):
    report = report_in_status(plan, "draft")
    answer = api("hoi.silolau").put(
        f"/api/v1/progress-reports/{report.pk}/",
        {"values": [{"indicator": indicator(plan, "su-kien-tt").pk, "value": value}]},
        format="json",
    )
    assert answer.status_code == 400
    assert answer.json()["field"] == "values[0].value"
    assert answer.json()["detail"] == message
    assert report.values.get().value == 2


def test_a_report_for_another_commune_names_the_field(api, plan):
    answer = api("hoi.silolau").post(
        "/api/v1/progress-reports/",
        {"period": period(plan).pk, "unit": Unit.objects.get(code="nam-xe").pk},
        format="json",
    )
    assert answer.status_code == 400
    assert answer.json() == {"detail": "You report only for your own commune.", "field": "unit"}
    assert not ProgressReport.objects.exists()


def test_another_commune_gets_404_and_the_list_is_filtered(api, plan):
    report = report_in_status(plan, "draft")
    other = api("hoi.namxe")
    assert other.get(f"/api/v1/progress-reports/{report.pk}/").status_code == 404
    assert other.get("/api/v1/progress-reports/").json()["count"] == 0
    assert api(DISTRICT_WU).get("/api/v1/progress-reports/").json()["count"] == 1


def test_missing_and_remind(api, plan):
    report_in_status(plan, "submitted")
    district = api(DISTRICT_WU)
    missing = district.get(f"/api/v1/periods/{period(plan).pk}/missing/").json()
    assert len(missing) == 14
    reminded = district.post(f"/api/v1/periods/{period(plan).pk}/remind/").json()["reminded"]
    assert len(reminded) == 14
    assert api("hoi.silolau").post(f"/api/v1/periods/{period(plan).pk}/remind/").status_code == 403


def test_monitoring_notes_through_the_api(api, plan):
    body = {
        "unit": Unit.objects.get(code="si-lo-lau").pk,
        "visited_on": "2024-09-01",
        "visitors": "Phòng Dân tộc",
        "checked": "Sổ sách",
        "findings": "Thiếu chữ ký",
        "recommendations": "Bổ sung",
        "follow_up_due": "2024-10-01",
    }
    refused = api("hoi.silolau").post("/api/v1/monitoring-notes/", body, format="json")
    assert refused.status_code == 403
    assert "does not record monitoring notes" in refused.json()["detail"]
    assert not MonitoringNote.objects.exists()
    created = api("kiemtoan").post("/api/v1/monitoring-notes/", body, format="json")
    assert created.status_code == 201, created.json()
    pk = created.json()["id"]
    answered = api("hoi.silolau").post(
        f"/api/v1/monitoring-notes/{pk}/answer/", {"text": "Đã bổ sung"}, format="json"
    )
    assert answered.json()["status"] == "answered"
    closed = api("kiemtoan").post(
        f"/api/v1/monitoring-notes/{pk}/close/", {"text": "Xong"}, format="json"
    )
    assert closed.json()["status"] == "closed"


def test_the_schema_lists_the_new_endpoints(client):
    schema = client.get("/api/v1/schema/", HTTP_ACCEPT="application/json").json()
    for path in (
        "/api/v1/progress-reports/",
        "/api/v1/progress-reports/{id}/submit/",
        "/api/v1/progress-reports/consolidate/",
        "/api/v1/periods/{id}/remind/",
        "/api/v1/indicators/{id}/target/",
        "/api/v1/monitoring-notes/{id}/close/",
    ):
        assert path in schema["paths"], path
