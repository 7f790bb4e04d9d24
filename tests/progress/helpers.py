"""Building progress reports for the tests, through the services only."""

from __future__ import annotations

import datetime as dt
from typing import Any

from estimates.models import Activity, Plan
from organization.models import Unit
from progress import services
from progress.models import Indicator, Period, ProgressReport
from progress.services import ActivityInput, ReportInput, ValueInput
from tests.factories import demo_user

DISTRICT_WU = "hoi.huyen"
OFFICERS = {"si-lo-lau": "hoi.silolau", "nam-xe": "hoi.namxe"}


def period(plan: Plan, kind: str = "quarter", start: dt.date = dt.date(2024, 4, 1)) -> Period:
    return Period.objects.get(plan=plan, kind=kind, starts_on=start)


def activity(plan: Plan, code: str) -> Activity:
    return Activity.objects.get(content__plan=plan, code=code)


def indicator(plan: Plan, code: str) -> Indicator:
    return Indicator.objects.get(plan=plan, code=code)


def report_input(
    plan: Plan,
    *,
    women: int = 10,
    girls: int = 2,
    men: int = 3,
    events: Any = 2,
    held_on: dt.date = dt.date(2024, 5, 3),
    **kw: Any,
) -> ReportInput:
    return ReportInput(
        difficulties=kw.get("difficulties", "Đường khó đi"),
        proposals=kw.get("proposals", ""),
        activities=[
            ActivityInput(
                activity_id=activity(plan, "1.4").pk,
                held="Truyền thông phiên chợ",
                held_from=held_on,
                held_to=held_on,
                place="Chợ trung tâm xã",
                participants_women=women,
                participants_girls=girls,
                participants_men=men,
                group_counts=kw.get("groups", {"dtts": women}),
            )
        ],
        values=[ValueInput(indicator_id=indicator(plan, "su-kien-tt").pk, value=events)],
    )


def report_in_status(
    plan: Plan, status: str, *, unit_code: str = "si-lo-lau", women: int = 10, **kw: Any
) -> ProgressReport:
    """A commune report for quarter II driven to ``status`` by the demo users."""
    officer = demo_user(OFFICERS[unit_code])
    unit = Unit.objects.get(code=unit_code)
    the_period = kw.pop("the_period", None) or period(plan)
    report = services.report_create(actor=officer, period_id=the_period.pk, unit_id=unit.pk)
    services.report_update(
        actor=officer,
        report_id=report.pk,
        data=report_input(plan, women=women, held_on=the_period.starts_on, **kw),
    )
    if status == "draft":
        return ProgressReport.objects.get(pk=report.pk)
    services.report_submit(actor=officer, report_id=report.pk)
    if status == "returned":
        services.report_return(actor=demo_user(DISTRICT_WU), report_id=report.pk, reason="Thiếu")
    elif status == "accepted":
        services.report_accept(actor=demo_user(DISTRICT_WU), report_id=report.pk)
    return ProgressReport.objects.get(pk=report.pk)
