"""Participants per priority group: counted by the plan's groups (the beneficiaries app's
``PriorityGroup`` table), refused for a code that names no group, summed by the district
report and its exports, at a cost that does not grow with the reports."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.db import connection
from django.db.models import ProtectedError, Sum
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook
from pypdf import PdfReader

from beneficiaries.models import PriorityGroup
from core.errors import RuleViolation
from progress import services
from progress.exports import district_report_pdf, district_report_workbook
from progress.models import ProgressReport, ReportGroupCount
from progress.services import ActivityInput, ReportInput
from tests.factories import demo_user

from .helpers import DISTRICT_WU, activity, period, report_in_status, report_input

pytestmark = pytest.mark.django_db

POOR = "ho-ngheo-can-ngheo"


def _consolidate(plan) -> ProgressReport:
    return services.district_report_consolidate(
        actor=demo_user(DISTRICT_WU), period_id=period(plan).pk, unit_id=plan.area_id
    )


def test_an_unknown_group_is_refused_naming_it_and_nothing_is_written(plan):
    report = report_in_status(plan, "draft", groups={"dtts": 4})
    with pytest.raises(RuleViolation) as refused:
        services.report_update(
            actor=demo_user("hoi.silolau"),
            report_id=report.pk,
            data=report_input(plan, groups={"dtts": 5, "ethnic-minority": 3}),
        )
    assert refused.value.field == "activities[0].group_counts.ethnic-minority"
    assert [
        (g.group.code, g.count) for g in ReportGroupCount.objects.filter(line__report=report)
    ] == [("dtts", 4)]


def test_district_groups_are_the_sum_of_the_accepted_reports(plan):
    a = report_in_status(plan, "accepted", women=30, groups={"dtts": 25, POOR: 7})
    b = report_in_status(
        plan, "accepted", unit_code="nam-xe", women=50, groups={"dtts": 40, "khuyet-tat": 2}
    )
    # A correction counts once accepted, with its own groups; a submitted one does not count.
    officer = demo_user("hoi.silolau")
    a2 = services.report_correct(actor=officer, report_id=a.pk)
    assert {g.group.code: g.count for g in ReportGroupCount.objects.filter(line__report=a2)} == {
        "dtts": 25,
        POOR: 7,
    }
    services.report_update(
        actor=officer, report_id=a2.pk, data=report_input(plan, women=35, groups={"dtts": 33})
    )
    services.report_submit(actor=officer, report_id=a2.pk)
    s = _consolidate(plan).snapshot
    totals = {g["code"]: g["participants"] for g in s["groups"]}
    assert totals == {"dtts": 65, POOR: 7, "nan-nhan": 0, "tro-ve": 0, "khuyet-tat": 2}
    services.report_accept(actor=demo_user(DISTRICT_WU), report_id=a2.pk)
    s = _consolidate(plan).snapshot
    counted = ReportGroupCount.objects.filter(line__report__in=[a2, b])
    expected = {
        g.code: counted.filter(group=g).aggregate(n=Sum("count"))["n"] or 0
        for g in PriorityGroup.objects.all()
    }
    totals = {g["code"]: g["participants"] for g in s["groups"]}
    assert totals == expected == {"dtts": 73, POOR: 0, "nan-nhan": 0, "tro-ve": 0, "khuyet-tat": 2}
    # In the plan's order, with the groups' names; per activity as well.
    assert [g["code"] for g in s["groups"]] == list(
        PriorityGroup.objects.order_by("sort_order").values_list("code", flat=True)
    )
    line = next(x for c in s["contents"] for x in c["activities"] if x["code"] == "1.4")
    assert line["groups"] == {"dtts": 73, "khuyet-tat": 2}


def test_a_group_counted_in_a_report_cannot_be_deleted(plan):
    report_in_status(plan, "draft", groups={"khuyet-tat": 1})
    with pytest.raises(ProtectedError):
        PriorityGroup.objects.get(code="khuyet-tat").delete()


def test_exports_sum_participants_per_group(plan):
    report_in_status(plan, "accepted", women=30, groups={"dtts": 25, POOR: 7})
    report_in_status(plan, "accepted", unit_code="nam-xe", women=50, groups={"dtts": 40})
    report = services.district_report_submit(
        actor=demo_user(DISTRICT_WU), report_id=_consolidate(plan).pk
    )
    names = dict(PriorityGroup.objects.values_list("code", "name"))
    content, _name = district_report_workbook(report)
    rows = [tuple(r) for r in load_workbook(io.BytesIO(content)).active.iter_rows(values_only=True)]
    header = next(r for r in rows if names["dtts"] in r)
    dtts, poor = header.index(names["dtts"]), header.index(names[POOR])
    start = rows.index(header)
    activity_row = next(r for r in rows[start:] if str(r[0]).startswith("1.4 "))
    total_row = next(r for r in rows[start:] if r[0] == "Total")
    assert (activity_row[dtts], activity_row[poor]) == (65, 7)
    assert (total_row[dtts], total_row[poor]) == (65, 7)
    pdf, _name = district_report_pdf(report)
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)
    assert "nhóm đối tượng ưu tiên" in text
    assert "Hộ nghèo, hộ cận nghèo 7" in text


def _lines(plan, groups: dict[str, int], activities: list[str]) -> ReportInput:
    return ReportInput(
        activities=[
            ActivityInput(
                activity_id=activity(plan, code).pk, participants_women=5, group_counts=groups
            )
            for code in activities
        ]
    )


def _update_cost(plan, start: dt.date, groups: dict[str, int], activities: list[str]) -> int:
    report = report_in_status(plan, "draft", groups={}, the_period=period(plan, "month", start))
    data, officer = _lines(plan, groups, activities), demo_user("hoi.silolau")
    with CaptureQueriesContext(connection) as update:
        services.report_update(actor=officer, report_id=report.pk, data=data)
    return len(update)


def test_saving_groups_costs_the_same_for_one_or_every_group(plan):
    one = _update_cost(plan, dt.date(2024, 4, 1), {"dtts": 1}, ["1.4"])
    every = {code: 2 for code in PriorityGroup.objects.values_list("code", flat=True)}
    assert _update_cost(plan, dt.date(2024, 5, 1), every, ["1.4", "1.5"]) == one


def _consolidate_cost(plan) -> int:
    with CaptureQueriesContext(connection) as consolidate:
        _consolidate(plan)
    return len(consolidate)


def test_consolidating_costs_the_same_for_one_or_many_reports_and_groups(plan):
    report_in_status(plan, "accepted", groups={"dtts": 1})
    _consolidate(plan)  # the district's draft exists: each measure consolidates it again
    one = _consolidate_cost(plan)
    every = {code: 3 for code in PriorityGroup.objects.values_list("code", flat=True)}
    report_in_status(plan, "accepted", unit_code="nam-xe", groups=every)
    assert _consolidate_cost(plan) == one


def _page_cost(client, plan, start: dt.date, groups: dict[str, int], activities: list[str]):
    report = report_in_status(plan, "draft", groups={}, the_period=period(plan, "month", start))
    services.report_update(
        actor=demo_user("hoi.silolau"), report_id=report.pk, data=_lines(plan, groups, activities)
    )
    url = reverse("progress:report_detail", args=[report.pk])
    with CaptureQueriesContext(connection) as page:
        answer = client.get(url)
    assert answer.status_code == 200
    return len(page), answer.content.decode()


def test_the_report_page_shows_the_groups_at_a_fixed_cost(plan, client):
    client.force_login(demo_user("hoi.silolau"))
    one, _page = _page_cost(client, plan, dt.date(2024, 4, 1), {"dtts": 1}, ["1.4"])
    every = {code: 4 for code in PriorityGroup.objects.values_list("code", flat=True)}
    many, page = _page_cost(client, plan, dt.date(2024, 5, 1), every, ["1.4", "1.5"])
    assert many == one
    assert f"{PriorityGroup.objects.get(code=POOR).name}: <b>4</b>" in page
