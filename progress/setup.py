"""Loading a plan's reporting rules from its data file: the periods, the indicators and
the recipients of the district's report (``manage.py load_reporting``, ``seed_demo``, the
test session). Idempotent: loading twice changes nothing; a target the district Women's
Union entered is kept."""

from __future__ import annotations

import calendar
import datetime as dt
from pathlib import Path
from typing import Any

import yaml
from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from core.errors import RuleViolation
from estimates.models import Activity, Content, Level, Plan
from notifications.deadlines import add_working_days, holidays_between

from .models import Indicator, Period, PeriodKind, PlanReporting, TargetSource

#: The reporting file of the default plan.
DEFAULT_REPORTING_FILE = Path(__file__).resolve().parent / "data" / "117-KH-UBND-2024.yaml"

_ROMAN = {1: "I", 2: "II", 3: "III", 4: "IV"}


def reporting_file() -> Path:
    return Path(getattr(settings, "PROGRESS_REPORTING_FILE", DEFAULT_REPORTING_FILE))


def _month_end(year: int, month: int) -> dt.date:
    return dt.date(year, month, calendar.monthrange(year, month)[1])


def period_spans(
    start: dt.date, end: dt.date, kinds: list[str]
) -> list[tuple[str, str, dt.date, dt.date]]:
    """(kind, label, starts on, ends on) of every period of ``kinds`` that overlaps the
    plan's span, clipped to it: April-December 2024 has 9 months, quarters II-IV, both
    halves (the first from April) and the year (from April)."""
    spans: list[tuple[str, str, dt.date, dt.date]] = []

    def add(kind: str, label: str, first: dt.date, last: dt.date) -> None:
        if last < start or first > end:
            return
        spans.append((kind, label, max(first, start), min(last, end)))

    for year in range(start.year, end.year + 1):
        if PeriodKind.MONTH in kinds:
            for month in range(1, 13):
                add(
                    "month",
                    f"Tháng {month}/{year}",
                    dt.date(year, month, 1),
                    _month_end(year, month),
                )
        if PeriodKind.QUARTER in kinds:
            for q in range(1, 5):
                first_month = 3 * q - 2
                add(
                    "quarter",
                    f"Quý {_ROMAN[q]}/{year}",
                    dt.date(year, first_month, 1),
                    _month_end(year, first_month + 2),
                )
        if PeriodKind.HALF in kinds:
            add("half", f"6 tháng đầu năm {year}", dt.date(year, 1, 1), dt.date(year, 6, 30))
            add("half", f"6 tháng cuối năm {year}", dt.date(year, 7, 1), dt.date(year, 12, 31))
        if PeriodKind.YEAR in kinds:
            add("year", f"Năm {year}", dt.date(year, 1, 1), dt.date(year, 12, 31))
    return spans


@transaction.atomic
def reporting_load(path: Path | str | None = None) -> PlanReporting:
    """Load a plan's reporting file; the plan must be loaded already."""
    data: dict[str, Any] = yaml.safe_load(Path(path or reporting_file()).read_text("utf-8"))
    plan = Plan.objects.filter(number=data["plan"]).first()
    if plan is None:
        raise RuleViolation(
            _("Plan %(number)s is not loaded: load it before its reporting rules.")
            % {"number": data["plan"]},
            field="plan",
        )
    reporting, _created = PlanReporting.objects.update_or_create(
        plan=plan,
        defaults={
            "due_working_days": int(data.get("due_working_days", 5)),
            "place": str(data.get("place", "")),
            "recipients": [str(r) for r in data.get("recipients", [])],
        },
    )
    spans = period_spans(plan.period_start, plan.period_end, list(data.get("periods", [])))
    holidays = holidays_between(plan.period_start, plan.period_end + dt.timedelta(days=60))
    for kind, label, first, last in spans:
        Period.objects.update_or_create(
            plan=plan,
            kind=kind,
            starts_on=first,
            defaults={
                "label": label,
                "ends_on": last,
                "due_on": add_working_days(last, reporting.due_working_days, holidays),
            },
        )
    contents = {c.code: c for c in Content.objects.filter(plan=plan)}
    activities = {
        (a.content.code, a.code): a
        for a in Activity.objects.filter(content__plan=plan).select_related("content")
    }
    for order, row in enumerate(data.get("indicators", []), start=1):
        content = contents[str(row["content"])]
        activity = (
            activities.get((content.code, str(row["activity"]))) if row.get("activity") else None
        )
        defaults: dict[str, Any] = {
            "content": content,
            "activity": activity,
            "name": row["name"],
            "unit_of_measure": row["unit"],
            "level": Level(row["level"]),
            "sort_order": order,
        }
        existing = Indicator.objects.filter(plan=plan, code=row["code"]).first()
        if row.get("target") is not None:
            defaults |= {
                "target": int(row["target"]),
                "target_source": TargetSource.PLAN,
                "citation": row["citation"],
            }
        elif existing is None or existing.target_source != TargetSource.DISTRICT:
            defaults |= {"target": None, "target_source": "", "citation": ""}
        Indicator.objects.update_or_create(plan=plan, code=row["code"], defaults=defaults)
    return reporting
