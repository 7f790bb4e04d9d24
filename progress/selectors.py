"""Reads of the progress reports for the pages and the API, through the grants
(``progress.access``): a fixed number of queries whatever the number of reports."""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from beneficiaries.models import PriorityGroup
from estimates.models import Activity, Level, Plan
from organization import permissions as perms
from organization.models import Unit, UnitKind

from . import lifecycle
from .access import report_actions_allowed, report_list_for_user
from .models import (
    Indicator,
    IndicatorValue,
    Period,
    ProgressReport,
    ReportActivity,
    ReportGroupCount,
)
from .services import communes_missing


def report_rows_for_user(user: Any) -> QuerySet[ProgressReport]:
    """The reports the user sees, newest period first, with their unit and period."""
    return (
        report_list_for_user(user)
        .select_related("unit", "period")
        .order_by(
            "-period__starts_on", "period__kind", "unit__sort_order", "unit__name", "-version"
        )
    )


def report_detail_queryset() -> QuerySet[ProgressReport]:
    return ProgressReport.objects.select_related(
        "unit", "period", "plan__area", "submitted_by", "decided_by", "created_by"
    ).prefetch_related(
        Prefetch(
            "activities",
            queryset=ReportActivity.objects.select_related("activity__content")
            .prefetch_related(
                Prefetch(
                    "groups",
                    queryset=ReportGroupCount.objects.select_related("group").order_by(
                        "group__sort_order", "group__name"
                    ),
                )
            )
            .order_by("activity__content__sort_order", "activity__sort_order"),
        ),
        Prefetch(
            "values",
            queryset=IndicatorValue.objects.select_related("indicator").order_by(
                "indicator__sort_order"
            ),
        ),
    )


def priority_groups() -> list[PriorityGroup]:
    """The plan's priority groups, in their order: a report counts participants per group."""
    return list(PriorityGroup.objects.order_by("sort_order", "name"))


def report_content(report: ProgressReport) -> dict[str, Any]:
    activities = list(report.activities.all())
    return {
        "lines": activities,
        "values": list(report.values.all()),
        "spent_total": sum(a.spent for a in activities),
        "snapshot": report.snapshot,
    }


def periods_started(plan: Plan | None = None) -> QuerySet[Period]:
    qs = Period.objects.filter(starts_on__lte=timezone.localdate())
    if plan is not None:
        qs = qs.filter(plan=plan)
    return qs.order_by("-starts_on", "ends_on")


def periods_for_user(user: Any) -> list[Period]:
    """The periods whose reporting status the user follows: the reviewers' (district
    Women's Union), every started period."""
    if not perms.unit_ids_with(user, perms.REVIEW):
        return []
    return list(periods_started().select_related("plan"))


def communes_reported_by(user: Any) -> list[Unit]:
    return list(
        Unit.objects.filter(
            pk__any=perms.unit_ids_with(user, perms.DRAFT), kind=UnitKind.COMMUNE
        ).order_by("sort_order", "name")
    )


def report_choices(report: ProgressReport) -> tuple[list[Activity], list[Indicator]]:
    activities = [
        a
        for a in Activity.objects.filter(content__plan_id=report.plan_id)
        .select_related("content")
        .order_by("content__sort_order", "sort_order")
        if a.allows_level(report.level)
    ]
    indicators = list(
        Indicator.objects.filter(plan_id=report.plan_id, level=report.level).order_by("sort_order")
    )
    return activities, indicators


def report_form_initial(report: ProgressReport) -> dict[str, Any]:
    initial: dict[str, Any] = {
        "difficulties": report.difficulties,
        "proposals": report.proposals,
    }
    for a in report.activities.all():
        p = f"a{a.activity_id}_"
        initial |= {
            p + "held": a.held,
            p + "held_from": a.held_from.isoformat() if a.held_from else "",
            p + "held_to": a.held_to.isoformat() if a.held_to else "",
            p + "place": a.place,
            p + "participants_women": a.participants_women,
            p + "participants_girls": a.participants_girls,
            p + "participants_men": a.participants_men,
        }
        for g in a.groups.all():
            initial[f"{p}group_{g.group.code}"] = g.count
    for v in report.values.all():
        initial[f"v{v.indicator_id}"] = v.value
    return initial


def access_period(user: Any, pk: Any) -> Period:
    """A period, for the district Women's Union (who follows the communes' reports)."""
    if not perms.unit_ids_with(user, perms.REVIEW) and not perms.unit_ids_with(user, perms.DRAFT):
        raise Http404(_("No such period."))
    try:
        period = Period.objects.select_related("plan__area").get(pk=int(pk))
    except (Period.DoesNotExist, TypeError, ValueError):
        raise Http404(_("No such period.")) from None
    return period


def period_overview(user: Any, period: Period) -> dict[str, Any]:
    """Per commune of the plan: its latest report for the period (or none), which
    communes have not reported, the district reports, and what the user may do."""
    reviewed = perms.unit_ids_with(user, perms.REVIEW)
    reports = list(
        ProgressReport.objects.filter(period=period)
        .select_related("unit")
        .order_by("unit__sort_order", "unit__name", "-version")
    )
    latest: dict[int, ProgressReport] = {}
    for r in reports:
        latest.setdefault(r.unit_id, r)
    missing = communes_missing(period)
    district_reports = [r for r in reports if r.level == Level.DISTRICT]
    return {
        "period": period,
        "reports": [r for r in latest.values() if r.level == Level.COMMUNE],
        "missing": missing,
        "district_reports": district_reports,
        "may_remind": bool(reviewed & {u.pk for u in missing}),
        "may_consolidate": period.plan.area_id in perms.unit_ids_with(user, perms.DRAFT),
        "reported_statuses": lifecycle.REPORTED_STATUSES,
    }


def indicators_for_user(user: Any) -> list[Indicator]:
    return list(
        Indicator.objects.select_related(
            "content", "activity", "target_set_by", "plan__area"
        ).order_by("plan", "sort_order")
    )


def reports_with_actions(user: Any, reports: list[ProgressReport]) -> dict[int, list[str]]:
    return report_actions_allowed(user, reports)
