"""Demo progress reports at every stage, and a consolidated district report (the
embedded default and development only; ``seed_demo`` through the app's hook). Once: if
any report exists, nothing happens. Every step goes through the services."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.auth import get_user_model

from beneficiaries.loader import priority_groups_load
from estimates.models import Activity, Plan
from organization.models import Unit

from . import services
from .models import Indicator, Period, ProgressReport
from .services import ActivityInput, ReportInput, ValueInput
from .setup import reporting_load


def _period(plan: Plan, kind: str, start: dt.date) -> Period:
    return Period.objects.get(plan=plan, kind=kind, starts_on=start)


def _content(plan: Plan, women: int, men: int, place: str) -> ReportInput:
    activity = {a.code: a for a in Activity.objects.filter(content__plan=plan)}
    indicator = {i.code: i for i in Indicator.objects.filter(plan=plan)}
    return ReportInput(
        difficulties="Địa bàn rộng, đường đi lại khó khăn vào mùa mưa.",
        proposals="Đề nghị bổ sung tài liệu tuyên truyền bằng tiếng dân tộc.",
        activities=[
            ActivityInput(
                activity_id=activity["1.4"].pk,
                held="Truyền thông lồng ghép phiên chợ về phòng chống tảo hôn",
                place=place,
                participants_women=women,
                participants_girls=women // 4,
                participants_men=men,
                group_counts={"dtts": women, "ho-ngheo-can-ngheo": women // 3},
            ),
            ActivityInput(
                activity_id=activity["1.5"].pk,
                held="Chi hỗ trợ gói chính sách sinh đẻ an toàn",
                place=place,
                participants_women=2,
            ),
        ],
        values=[
            ValueInput(indicator_id=indicator["su-kien-tt"].pk, value=2),
            ValueInput(indicator_id=indicator["nguoi-duoc-tt"].pk, value=women + men),
            ValueInput(indicator_id=indicator["me-duoc-ho-tro"].pk, value=2),
        ],
    )


def demo_reports_create(plan: Plan) -> int:
    reporting_load()
    priority_groups_load()
    if ProgressReport.objects.exists():
        return 0
    users: dict[str, Any] = {u.username: u for u in get_user_model().objects.all()}
    a, b = Unit.objects.get(code="si-lo-lau"), Unit.objects.get(code="nam-xe")
    district = plan.area
    officer_a, officer_b, district_wu = users["hoi.silolau"], users["hoi.namxe"], users["hoi.huyen"]
    q2 = _period(plan, "quarter", dt.date(2024, 4, 1))
    q3 = _period(plan, "quarter", dt.date(2024, 7, 1))
    q4 = _period(plan, "quarter", dt.date(2024, 10, 1))
    april = _period(plan, "month", dt.date(2024, 4, 1))

    def report(officer: Any, unit: Unit, period: Period, women: int, men: int) -> ProgressReport:
        made = services.report_create(actor=officer, period_id=period.pk, unit_id=unit.pk)
        services.report_update(
            actor=officer, report_id=made.pk, data=_content(plan, women, men, unit.name)
        )
        return made

    # Quarter II: both communes accepted; the district consolidates and submits upward.
    for officer, unit, women, men in ((officer_a, a, 80, 35), (officer_b, b, 120, 60)):
        r = report(officer, unit, q2, women, men)
        services.report_submit(actor=officer, report_id=r.pk)
        services.report_accept(actor=district_wu, report_id=r.pk)
    district_report = services.district_report_consolidate(
        actor=district_wu, period_id=q2.pk, unit_id=district.pk
    )
    services.district_report_submit(actor=district_wu, report_id=district_report.pk)
    # Quarter III: one submitted (waiting for the district), one returned.
    r = report(officer_a, a, q3, 60, 20)
    services.report_submit(actor=officer_a, report_id=r.pk)
    r = report(officer_b, b, q3, 40, 10)
    services.report_submit(actor=officer_b, report_id=r.pk)
    services.report_return(
        actor=district_wu, report_id=r.pk, reason="Bổ sung số người tham gia theo nhóm ưu tiên."
    )
    # Quarter IV: a draft; the district consolidates what it has (a draft district report).
    report(officer_a, a, q4, 30, 10)
    services.district_report_consolidate(actor=district_wu, period_id=q3.pk, unit_id=district.pk)
    # April: accepted, then corrected (version 2, draft).
    r = report(officer_a, a, april, 25, 5)
    services.report_submit(actor=officer_a, report_id=r.pk)
    services.report_accept(actor=district_wu, report_id=r.pk)
    services.report_correct(actor=officer_a, report_id=r.pk)
    return ProgressReport.objects.count()
