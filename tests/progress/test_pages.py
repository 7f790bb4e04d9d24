"""The progress reports' pages: the list (queries pinned), a new report, the edit form's
refusals at the field, the actions, the period's page with the reminder button, the
district report's exports; every POST route is a row of the lifecycle table."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from beneficiaries.models import PriorityGroup
from organization.models import Unit
from progress import lifecycle
from progress.models import ProgressReport, ReportReminder
from tests.factories import demo_user
from web import progress_urls

from .helpers import DISTRICT_WU, activity, indicator, period, report_in_status

pytestmark = pytest.mark.django_db


def _list_queries(client: Any) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse("progress:reports")).status_code == 200
    return len(queries)


def test_the_list_costs_the_same_queries_with_one_report_or_many(client, plan):
    client.force_login(demo_user(DISTRICT_WU))
    report_in_status(plan, "submitted")
    _list_queries(client)  # warm the caches (content types, the grants)
    one = _list_queries(client)
    for start in (dt.date(2024, 4, 1), dt.date(2024, 5, 1), dt.date(2024, 6, 1)):
        report_in_status(plan, "accepted", the_period=period(plan, "month", start))
        report_in_status(
            plan, "submitted", unit_code="nam-xe", the_period=period(plan, "month", start)
        )
    assert ProgressReport.objects.count() == 7
    assert _list_queries(client) == one


def test_a_commune_starts_edits_and_submits_its_report(client, plan):
    officer = demo_user("hoi.silolau")
    client.force_login(officer)
    unit = Unit.objects.get(code="si-lo-lau")
    answer = client.post(
        reverse("progress:report_create"), {"period": period(plan).pk, "unit": unit.pk}
    )
    report = ProgressReport.objects.get()
    assert answer.url == reverse("progress:report_update", args=[report.pk])
    assert client.get(answer.url).status_code == 200
    a, i = activity(plan, "1.4").pk, indicator(plan, "su-kien-tt").pk
    form = {
        f"a{a}_held": "Phiên chợ",
        f"a{a}_held_from": "2024-05-03",
        f"a{a}_place": "Chợ xã",
        f"a{a}_participants_women": "40",
        f"a{a}_participants_men": "-2",
        f"v{i}": "3",
    }
    refused = client.post(answer.url, form)
    assert refused.status_code == 400
    assert "Enter a number that is not negative." in refused.content.decode()
    assert not report.activities.exists()
    form[f"a{a}_participants_men"] = "12"
    form[f"v{i}"] = "ba"
    refused = client.post(answer.url, form)
    assert refused.status_code == 400 and "Enter a whole number." in refused.content.decode()
    form[f"v{i}"] = "3"
    # One number box per priority group of the plan, labelled with the group's name.
    page = client.get(answer.url).content.decode()
    for group in PriorityGroup.objects.all():
        assert f'name="a{a}_group_{group.code}"' in page
        assert group.name in page
    assert "group code: number" not in page
    form[f"a{a}_group_dtts"] = "30"
    form[f"a{a}_group_ho-ngheo-can-ngheo"] = "-1"
    refused = client.post(answer.url, form)
    assert refused.status_code == 400
    assert "Enter a number that is not negative." in refused.content.decode()
    assert not report.activities.exists()
    form[f"a{a}_group_ho-ngheo-can-ngheo"] = "sáu"
    refused = client.post(answer.url, form)
    assert refused.status_code == 400 and "Enter a whole number." in refused.content.decode()
    form[f"a{a}_group_ho-ngheo-can-ngheo"] = "6"
    assert client.post(answer.url, form).status_code == 302
    line = report.activities.get()
    assert line.participants_men == 12
    assert {g.group.code: g.count for g in line.groups.all()} == {
        "dtts": 30,
        "ho-ngheo-can-ngheo": 6,
    }
    page = client.get(answer.url).content.decode()
    assert f'name="a{a}_group_ho-ngheo-can-ngheo" value="6"' in page
    client.post(reverse("progress:report_submit", args=[report.pk]))
    report.refresh_from_db()
    assert report.status == "submitted"


def test_a_report_for_another_commune_is_refused_at_the_field(client, plan):
    client.force_login(demo_user("hoi.silolau"))
    answer = client.post(
        reverse("progress:report_create"),
        {"period": period(plan).pk, "unit": Unit.objects.get(code="nam-xe").pk},
    )
    assert answer.status_code == 400
    assert not ProgressReport.objects.exists()


def test_the_district_returns_with_a_reason_and_accepts(client, plan):
    report = report_in_status(plan, "submitted")
    client.force_login(demo_user(DISTRICT_WU))
    page = client.get(reverse("progress:report_detail", args=[report.pk]))
    assert "Accept" in page.content.decode()
    empty = client.post(reverse("progress:report_return", args=[report.pk]), {"reason": ""})
    assert empty.status_code == 400
    client.post(reverse("progress:report_return", args=[report.pk]), {"reason": "Thiếu"})
    report.refresh_from_db()
    assert report.status == "returned"


def test_the_commune_cannot_accept_its_own_report(client, plan):
    report = report_in_status(plan, "submitted")
    client.force_login(demo_user("hoi.silolau"))
    assert client.post(reverse("progress:report_accept", args=[report.pk])).status_code == 403
    client.force_login(demo_user("hoi.namxe"))
    assert client.get(reverse("progress:report_detail", args=[report.pk])).status_code == 404


def test_the_period_page_lists_missing_communes_and_reminds(client, plan):
    report_in_status(plan, "submitted")
    client.force_login(demo_user(DISTRICT_WU))
    page = client.get(reverse("progress:period", args=[period(plan).pk])).content.decode()
    assert "Nậm Xe" in page and "Remind them" in page
    client.post(reverse("progress:period_remind", args=[period(plan).pk]))
    assert ReportReminder.objects.count() == 14
    answer = client.post(reverse("progress:period_consolidate", args=[period(plan).pk]))
    district = ProgressReport.objects.get(level="district")
    assert answer.url == reverse("progress:report_detail", args=[district.pk])
    xlsx = client.get(reverse("progress:report_xlsx", args=[district.pk]))
    assert xlsx["Content-Type"].startswith("application/vnd.openxml")
    client.post(reverse("progress:report_submit_upward", args=[district.pk]))
    district.refresh_from_db()
    assert district.status == "submitted"


def test_a_commune_officer_cannot_remind(client, plan):
    client.force_login(demo_user("hoi.silolau"))
    assert client.post(reverse("progress:period_remind", args=[period(plan).pk])).status_code == 403
    assert not ReportReminder.objects.exists()


def test_the_district_enters_a_target_the_plan_does_not_give(client, plan):
    client.force_login(demo_user(DISTRICT_WU))
    events = indicator(plan, "su-kien-tt")
    client.post(reverse("progress:indicators"), {"indicator": events.pk, "target": "30"})
    events.refresh_from_db()
    assert (events.target, events.target_source) == (30, "district")
    page = client.get(reverse("progress:indicators")).content.decode()
    assert "Entered by the district Women&#x27;s Union" in page
    packages = indicator(plan, "goi-chinh-sach")
    client.post(reverse("progress:indicators"), {"indicator": packages.pk, "target": "9"})
    packages.refresh_from_db()
    assert packages.target == 4
    client.force_login(demo_user("hoi.silolau"))
    answer = client.post(reverse("progress:indicators"), {"indicator": events.pk, "target": "1"})
    assert answer.status_code == 403


def test_every_action_route_is_a_row_of_the_table():
    posted = {
        p.name
        for p in progress_urls.urlpatterns
        if str(p.pattern).startswith("reports/<int:pk>/") and p.name.startswith("report_")
    } - {"report_detail", "report_update", "report_xlsx", "report_pdf"}
    assert posted | {"report_update"} == {row.url_name for row in lifecycle.TRANSITIONS}


def _period_queries(client: Any, plan: Any) -> int:
    with CaptureQueriesContext(connection) as queries:
        answer = client.get(reverse("progress:period", args=[period(plan).pk]))
        assert answer.status_code == 200
    return len(queries)


def test_the_period_page_costs_the_same_queries_with_one_report_or_many(client, plan):
    client.force_login(demo_user(DISTRICT_WU))
    report_in_status(plan, "submitted")
    _period_queries(client, plan)  # warm the caches (content types, the grants)
    one = _period_queries(client, plan)
    report_in_status(plan, "accepted", unit_code="nam-xe")
    assert _period_queries(client, plan) == one


@pytest.mark.parametrize("reader", ["kiemtoan", "quansat", "ubnd.silolau"])
def test_readers_see_a_report_and_are_offered_no_action(client, plan, reader):
    report = report_in_status(plan, "submitted")
    client.force_login(demo_user(reader))
    page = client.get(reverse("progress:report_detail", args=[report.pk]))
    assert page.status_code == 200
    assert "Accept" not in page.content.decode()
    assert client.post(reverse("progress:report_accept", args=[report.pk])).status_code == 403
    report.refresh_from_db()
    assert report.status == "submitted"
