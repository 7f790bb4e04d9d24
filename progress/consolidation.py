"""The district's report of a period: the accepted commune reports and the ledger,
summed per content and activity, the indicators against their targets, the money against
the envelope.

Which commune report counts: the latest accepted version of each commune for the period
(a correction counts once it is accepted). The money per activity is the sum of the
accepted commune reports' amounts (each copied from the ledger when submitted), and, for
the record, what the ledger says now for all the plan's communes and for the district's
own estimates in the period. Everything is whole đồng and counts; the result is plain
JSON (frozen in the district report's ``snapshot``).
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from django.db.models import Max, Sum

from beneficiaries.models import PriorityGroup
from estimates.models import Activity, Level, PlanCommune
from ledger.selectors import cell_balances, paid_by_unit_activity
from organization.models import AgencyType, Unit

from .models import (
    Indicator,
    IndicatorValue,
    Period,
    ProgressReport,
    ReportActivity,
    ReportGroupCount,
    ReportStatus,
)


def accepted_reports(period: Period) -> list[ProgressReport]:
    """The latest accepted version of each commune's report for the period (two queries)."""
    latest = (
        ProgressReport.objects.filter(
            period=period, level=Level.COMMUNE, status=ReportStatus.ACCEPTED
        )
        .order_by()
        .values("unit_id")
        .annotate(v=Max("version"))
    )
    wanted = {(row["unit_id"], row["v"]) for row in latest}
    return [
        r
        for r in ProgressReport.objects.filter(
            period=period, level=Level.COMMUNE, status=ReportStatus.ACCEPTED
        ).select_related("unit")
        if (r.unit_id, r.version) in wanted
    ]


def consolidate(
    period: Period, district: Unit, *, district_report: ProgressReport | None = None
) -> dict[str, Any]:
    plan = period.plan
    communes = list(
        PlanCommune.objects.filter(plan=plan).select_related("commune").order_by("sort_order")
    )
    reports = accepted_reports(period)
    report_ids = [r.pk for r in reports]
    by_unit = {r.unit_id: r for r in reports}
    lines = list(ReportActivity.objects.filter(report_id__in=report_ids).select_related("report"))
    groups = list(PriorityGroup.objects.order_by("sort_order", "name"))
    group_code = {g.pk: g.code for g in groups}
    group_rows = (
        ReportGroupCount.objects.filter(line__report_id__in=report_ids)
        .values_list("line__activity_id", "group_id")
        .annotate(n=Sum("count"))
        .order_by()
    )
    values = list(IndicatorValue.objects.filter(report_id__in=report_ids))
    own_values = (
        {v.indicator_id: v.value for v in district_report.values.all()}
        if district_report is not None
        else {}
    )
    activities = list(
        Activity.objects.filter(content__plan=plan)
        .select_related("content")
        .order_by("content__sort_order", "sort_order")
    )
    indicators = list(Indicator.objects.filter(plan=plan).order_by("sort_order", "code"))
    ledger_communes = paid_by_unit_activity(
        plan,
        unit_ids=[c.commune_id for c in communes],
        start=period.starts_on,
        end=period.ends_on,
    )
    ledger_district = paid_by_unit_activity(
        plan, unit_ids=[district.pk], start=period.starts_on, end=period.ends_on
    )

    per_activity: dict[int, dict[str, Any]] = defaultdict(
        lambda: {
            "communes": 0,
            "women": 0,
            "girls": 0,
            "men": 0,
            "groups": defaultdict(int),
            "spent_reported": 0,
        }
    )
    for line in lines:
        row = per_activity[line.activity_id]
        row["communes"] += 1
        row["women"] += line.participants_women
        row["girls"] += line.participants_girls
        row["men"] += line.participants_men
        row["spent_reported"] += line.spent
    group_totals: dict[int, int] = defaultdict(int)
    for activity_id, group_id, n in group_rows:
        per_activity[activity_id]["groups"][group_code[group_id]] += n
        group_totals[group_id] += n
    ledger_by_activity_c: dict[int, int] = defaultdict(int)
    for (_unit, activity_id), amount in ledger_communes.items():
        ledger_by_activity_c[activity_id] += amount
    ledger_by_activity_d: dict[int, int] = defaultdict(int)
    for (_unit, activity_id), amount in ledger_district.items():
        ledger_by_activity_d[activity_id] += amount

    result_by_indicator: dict[int, int] = defaultdict(int)
    for v in values:
        result_by_indicator[v.indicator_id] += v.value

    contents: list[dict[str, Any]] = []
    index: dict[int, dict[str, Any]] = {}
    for activity in activities:
        content = activity.content
        if content.pk not in index:
            index[content.pk] = {
                "code": content.code,
                "title": content.title,
                "activities": [],
                "spent_reported": 0,
                "paid_communes": 0,
                "paid_district": 0,
            }
            contents.append(index[content.pk])
        found = per_activity.get(activity.pk)
        row = found if found is not None else {}
        figures: dict[str, Any] = {
            "code": activity.code,
            "title": activity.title,
            "communes": row["communes"] if row else 0,
            "women": row["women"] if row else 0,
            "girls": row["girls"] if row else 0,
            "men": row["men"] if row else 0,
            "groups": (
                {g.code: row["groups"][g.code] for g in groups if g.code in row["groups"]}
                if row
                else {}
            ),
            "spent_reported": row["spent_reported"] if row else 0,
            "paid_communes": ledger_by_activity_c.get(activity.pk, 0),
            "paid_district": ledger_by_activity_d.get(activity.pk, 0),
            "indicators": [],
        }
        for indicator in indicators:
            if indicator.activity_id != activity.pk:
                continue
            result = (
                result_by_indicator.get(indicator.pk, 0)
                if indicator.level == Level.COMMUNE
                else own_values.get(indicator.pk)
            )
            figures["indicators"].append(
                {
                    "code": indicator.code,
                    "name": indicator.name,
                    "unit": indicator.unit_of_measure,
                    "level": indicator.level,
                    "target": indicator.target,
                    "target_source": indicator.target_source,
                    "result": result,
                }
            )
        block = index[content.pk]
        block["activities"].append(figures)
        for key in ("spent_reported", "paid_communes", "paid_district"):
            block[key] += figures[key]

    envelope: list[dict[str, Any]] = [
        {
            "level": c.level,
            "source": c.source,
            "label": c.label,
            "allocated": c.allocated,
            "disbursed": c.disbursed,
        }
        for c in cell_balances(plan)
    ]
    totals = {
        "women": sum(a["women"] for c in contents for a in c["activities"]),
        "girls": sum(a["girls"] for c in contents for a in c["activities"]),
        "men": sum(a["men"] for c in contents for a in c["activities"]),
        "spent_reported": sum(c["spent_reported"] for c in contents),
        "paid_communes": sum(c["paid_communes"] for c in contents),
        "paid_district": sum(c["paid_district"] for c in contents),
        "allocated_commune": sum(e["allocated"] for e in envelope if e["level"] == Level.COMMUNE),
        # "district": the level above the commune, whatever the plan's area (stored key)
        "allocated_district": sum(e["allocated"] for e in envelope if e["level"] != Level.COMMUNE),
        "disbursed_commune": sum(e["disbursed"] for e in envelope if e["level"] == Level.COMMUNE),
        "disbursed_district": sum(e["disbursed"] for e in envelope if e["level"] != Level.COMMUNE),
    }
    reporting = getattr(plan, "reporting", None)
    issuer = district.nearest_agency(AgencyType.WOMENS_UNION)
    return {
        "issuer": {"name": issuer.name if issuer is not None else district.name},
        "plan": {"number": plan.number, "title": plan.title, "project": plan.project},
        "period": {
            "id": period.pk,
            "label": period.label,
            "starts_on": period.starts_on.isoformat(),
            "ends_on": period.ends_on.isoformat(),
        },
        "district": {"id": district.pk, "name": district.name},
        "communes_accepted": [
            {
                "id": c.commune_id,
                "name": c.commune.name,
                "report": by_unit[c.commune_id].pk,
                "version": by_unit[c.commune_id].version,
                "difficulties": by_unit[c.commune_id].difficulties,
                "proposals": by_unit[c.commune_id].proposals,
            }
            for c in communes
            if c.commune_id in by_unit
        ],
        "communes_missing": [
            {"id": c.commune_id, "name": c.commune.name}
            for c in communes
            if c.commune_id not in by_unit
        ],
        "contents": contents,
        #: Participants per priority group over all activities, in the groups' order
        #: (every group, 0 where none was counted).
        "groups": [
            {"code": g.code, "name": g.name, "participants": group_totals.get(g.pk, 0)}
            for g in groups
        ],
        "envelope": envelope,
        "totals": totals,
        "recipients": list(reporting.recipients) if reporting is not None else [],
        "place": reporting.place if reporting is not None else "",
    }
