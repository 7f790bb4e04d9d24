"""Every write of the progress reports: creating, editing, submitting, accepting and
returning a commune's report, correcting an accepted one (a new version), consolidating
and submitting the district's report, reminding the communes that have not reported, and
the district Women's Union's targets.

Each status change has the shape of ``approvals.services.transition``: one transaction
(``core.transactions.unit_of_work``), the report locked and re-read, the table's row for
its level and status (none: ``Conflict`` for who could act elsewhere), the gate
(``progress.access.report_authority``), the body, the changed fields saved, an audit
entry in the hash-chained trail (``approvals.audit``), and the notice recorded in the
outbox (published after commit). Refusals are ``RuleViolation`` naming the field;
nothing is written.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from approvals.audit import audit_record
from beneficiaries.models import PriorityGroup
from core.errors import Conflict, Forbidden, RuleViolation
from core.money import MAX_AMOUNT
from core.text import LONG_TEXT, field_limit, text_clean
from core.transactions import unit_of_work
from estimates.models import Activity, Level, PlanCommune
from ledger.selectors import paid_by_unit_activity
from notifications.services import notice_emit
from organization import permissions as perms
from organization.models import Unit, UnitKind

from . import lifecycle
from .access import report_authority, target_setter_grant
from .consolidation import consolidate
from .models import (
    Indicator,
    IndicatorValue,
    Period,
    ProgressReport,
    ReportActivity,
    ReportGroupCount,
    ReportReminder,
    ReportStatus,
    TargetSource,
)

S = ReportStatus

#: The most participants one activity line may count (a typo guard, not a rule).
MAX_PARTICIPANTS = 1_000_000


# --- input ------------------------------------------------------------------------------


@dataclass
class ActivityInput:
    activity_id: Any
    held: Any = ""
    held_from: Any = None
    held_to: Any = None
    place: Any = ""
    participants_women: Any = 0
    participants_girls: Any = 0
    participants_men: Any = 0
    group_counts: Any = field(default_factory=dict)


@dataclass
class ValueInput:
    indicator_id: Any
    value: Any
    note: Any = ""


@dataclass
class ReportInput:
    difficulties: Any = ""
    proposals: Any = ""
    activities: Sequence[ActivityInput] = ()
    values: Sequence[ValueInput] = ()


def _count(value: Any, *, field: str, limit: int = MAX_PARTICIPANTS) -> int:
    """A whole number from 0 to ``limit``, or a message naming ``field``."""
    if isinstance(value, bool):
        raise RuleViolation(_("Enter a whole number."), field=field)
    if isinstance(value, str):
        text = value.strip().replace(".", "").replace(" ", "")
        if not text.lstrip("-").isdigit():
            raise RuleViolation(_("Enter a whole number."), field=field)
        value = int(text)
    if not isinstance(value, int):
        raise RuleViolation(_("Enter a whole number."), field=field)
    if value < 0:
        raise RuleViolation(_("Enter a number that is not negative."), field=field)
    if value > limit:
        raise RuleViolation(_("At most %(n)s.") % {"n": limit}, field=field)
    return value


def _date(value: Any, *, field: str) -> dt.date | None:
    if value in (None, ""):
        return None
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise RuleViolation(_("Enter a valid date."), field=field) from None


#: An activity line and its participants per priority group ({group id: count}).
CleanLine = tuple[ReportActivity, dict[int, int]]


def _clean_groups(groups: Any, *, where: str, known: Mapping[str, int]) -> dict[int, int]:
    """{group code: count} checked against the plan's priority groups
    (``beneficiaries.PriorityGroup``): an unknown code is refused naming it; zeros are
    not stored."""
    groups = groups or {}
    if not isinstance(groups, Mapping):
        raise RuleViolation(_("Enter the counts per group."), field=f"{where}.group_counts")
    counts: dict[int, int] = {}
    for code, count in groups.items():
        code = str(text_clean(code, field=f"{where}.group_counts", max_length=40, required=True))
        if code not in known:
            raise RuleViolation(
                _("Choose a priority group of the plan."), field=f"{where}.group_counts.{code}"
            )
        n = _count(count, field=f"{where}.group_counts.{code}")
        if n:
            counts[known[code]] = n
    return counts


def _group_rows(lines: Sequence[CleanLine]) -> list[ReportGroupCount]:
    """The group rows of lines already saved (their primary keys known)."""
    return [
        ReportGroupCount(line=line, group_id=group_id, count=count)
        for line, counts in lines
        for group_id, count in counts.items()
    ]


def _clean_activities(report: ProgressReport, rows: Sequence[ActivityInput]) -> list[CleanLine]:
    activity_ids: list[int] = []
    for i, row in enumerate(rows):
        try:
            activity_ids.append(int(row.activity_id))
        except (TypeError, ValueError):
            raise RuleViolation(
                _("Choose an activity of the plan."), field=f"activities[{i}].activity"
            ) from None
    known = {
        a.pk: a
        for a in Activity.objects.filter(pk__in=activity_ids, content__plan_id=report.plan_id)
    }
    period = report.period
    group_ids = dict(PriorityGroup.objects.values_list("code", "pk"))
    seen: set[int] = set()
    cleaned: list[CleanLine] = []
    for i, (row, activity_id) in enumerate(zip(rows, activity_ids, strict=True)):
        where = f"activities[{i}]"
        activity = known.get(activity_id)
        if activity is None or not activity.allows_level(report.level):
            raise RuleViolation(
                _("Choose an activity of the plan run at this level."), field=f"{where}.activity"
            )
        if activity_id in seen:
            raise RuleViolation(_("This activity is listed twice."), field=f"{where}.activity")
        seen.add(activity_id)
        held_from = _date(row.held_from, field=f"{where}.held_from")
        held_to = _date(row.held_to, field=f"{where}.held_to")
        for name, day in (("held_from", held_from), ("held_to", held_to)):
            if day is not None and not period.starts_on <= day <= period.ends_on:
                raise RuleViolation(
                    _("Enter a date within the period (%(start)s to %(end)s).")
                    % {
                        "start": period.starts_on.strftime("%d/%m/%Y"),
                        "end": period.ends_on.strftime("%d/%m/%Y"),
                    },
                    field=f"{where}.{name}",
                )
        if held_from and held_to and held_to < held_from:
            raise RuleViolation(_("The end is before the start."), field=f"{where}.held_to")
        women = _count(row.participants_women, field=f"{where}.participants_women")
        girls = _count(row.participants_girls, field=f"{where}.participants_girls")
        men = _count(row.participants_men, field=f"{where}.participants_men")
        group_counts = _clean_groups(row.group_counts, where=where, known=group_ids)
        line = ReportActivity(
            report=report,
            activity=activity,
            held=text_clean(row.held, field=f"{where}.held", max_length=LONG_TEXT, multiline=True),
            held_from=held_from,
            held_to=held_to,
            place=text_clean(
                row.place,
                field=f"{where}.place",
                max_length=field_limit(ReportActivity, "place"),
            ),
            participants_women=women,
            participants_girls=girls,
            participants_men=men,
        )
        cleaned.append((line, group_counts))
    return cleaned


def _clean_values(
    report: ProgressReport, rows: Sequence[ValueInput], *, level: str
) -> list[IndicatorValue]:
    ids: list[int] = []
    for i, row in enumerate(rows):
        try:
            ids.append(int(row.indicator_id))
        except (TypeError, ValueError):
            raise RuleViolation(
                _("Choose an indicator of the plan."), field=f"values[{i}].indicator"
            ) from None
    known = {
        i.pk: i for i in Indicator.objects.filter(pk__in=ids, plan_id=report.plan_id, level=level)
    }
    seen: set[int] = set()
    cleaned: list[IndicatorValue] = []
    for i, (row, indicator_id) in enumerate(zip(rows, ids, strict=True)):
        indicator = known.get(indicator_id)
        if indicator is None:
            raise RuleViolation(
                _("Choose an indicator of the plan reported at this level."),
                field=f"values[{i}].indicator",
            )
        if indicator_id in seen:
            raise RuleViolation(
                _("This indicator is listed twice."), field=f"values[{i}].indicator"
            )
        seen.add(indicator_id)
        cleaned.append(
            IndicatorValue(
                report=report,
                indicator=indicator,
                value=_count(row.value, field=f"values[{i}].value", limit=MAX_AMOUNT),
                note=text_clean(
                    row.note,
                    field=f"values[{i}].note",
                    max_length=field_limit(IndicatorValue, "note"),
                ),
            )
        )
    return cleaned


# --- the shape of a change ---------------------------------------------------------------


@dataclass
class ReportStep:
    report: ProgressReport
    row: lifecycle.ReportTransition
    actor: Any
    role: str
    agency: str
    from_status: str
    changed: list[str] = field(default_factory=list)

    def finish(
        self,
        *,
        comment: str = "",
        data: dict[str, Any] | None = None,
        recipients: Sequence[int] = (),
    ) -> None:
        report = self.report
        now = timezone.now()
        if self.row.target is not None:
            report.status = self.row.target
            report.status_changed_at = now
            self.changed += ["status", "status_changed_at"]
        if self.changed:
            report.save(update_fields=[*dict.fromkeys(self.changed), "updated_at"])
        audit_record(
            action=self.row.event,
            actor=self.actor,
            role=self.role,
            unit_name=self.agency,
            from_status=self.from_status,
            to_status=report.status,
            comment=comment,
            data={
                "report": report.pk,
                "unit": report.unit_id,
                "period": report.period_id,
                "version": report.version,
                **(data or {}),
            },
        )
        if self.row.emits:
            notice_emit(
                kind=self.row.event,
                recipients=recipients or report_audience(report, self.row),
                actor=self.actor,
                comment=comment,
                data={"report": report.pk, "url": report_path(report.pk)},
            )


def report_path(pk: int) -> str:
    return f"/progress/reports/{pk}/"


def report_audience(report: ProgressReport, row: lifecycle.ReportTransition) -> list[int]:
    """Who is told about ``row`` on the report (the table's ``notify``)."""
    told: list[int] = []
    for who in row.notify:
        if who == lifecycle.DRAFTER:
            told.append(report.submitted_by_id or report.created_by_id)
        else:
            codename = lifecycle.AUDIENCE_PERMISSIONS[who]
            told += list(perms.holders(codename, report.unit_id).values_list("pk", flat=True))
    return told


@contextmanager
def report_transition(name: str, *, actor: Any, report_id: int) -> Iterator[ReportStep]:
    with unit_of_work():
        report = (
            ProgressReport.objects.select_for_update(of=("self",))
            .select_related("period", "unit", "plan")
            .filter(pk=report_id)
            .first()
        )
        if report is None:
            raise Http404(_("No such report."))
        row = lifecycle.transition(name, report.level, report.status)
        if row is None:
            others = [r for r in lifecycle.rows(name) if report.level in r.levels]
            if any(report.unit_id in perms.unit_ids_with(actor, r.permission) for r in others):
                raise Conflict(
                    _("This report is now “%(status)s”: reload the page to see what changed.")
                    % {"status": report.get_status_display()}
                )
            raise Forbidden(_("Your role does not allow this on this report."))
        role, agency = report_authority(actor, report, row)
        yield ReportStep(report, row, actor, role, agency, report.status)


# --- the commune's report --------------------------------------------------------------


def period_open_for(period: Period, today: dt.date | None = None) -> bool:
    return period.starts_on <= (today or timezone.localdate())


def report_create(*, actor: Any, period_id: Any, unit_id: Any) -> ProgressReport:
    """A commune's new report for a period (draft): the period must have started, the
    actor must draft for the commune, and the commune must not have a report for it yet
    (an accepted one is corrected instead)."""
    period = Period.objects.select_related("plan").filter(pk=_id(period_id, "period")).first()
    if period is None:
        raise RuleViolation(_("Choose a reporting period of the plan."), field="period")
    if not period_open_for(period):
        raise RuleViolation(
            _("The period “%(period)s” has not started yet (it starts on %(start)s).")
            % {"period": period.label, "start": period.starts_on.strftime("%d/%m/%Y")},
            field="period",
        )
    unit = Unit.objects.filter(pk=_id(unit_id, "unit"), kind=UnitKind.COMMUNE).first()
    if unit is None or unit.pk not in perms.unit_ids_with(actor, perms.DRAFT):
        raise RuleViolation(_("You report only for your own commune."), field="unit")
    if not PlanCommune.objects.filter(plan_id=period.plan_id, commune=unit).exists():
        raise RuleViolation(_("This commune is not in the plan's area."), field="unit")
    granted = perms.role_granting(actor, perms.DRAFT, unit.pk)
    with unit_of_work():
        # One report at a time per (period, commune): the commune row is the lock.
        Unit.objects.select_for_update().filter(pk=unit.pk).first()
        existing = (
            ProgressReport.objects.filter(period=period, unit=unit).order_by("-version").first()
        )
        if existing is not None:
            if existing.status == S.ACCEPTED:
                raise RuleViolation(
                    _(
                        "This commune's report for the period was accepted: correct it with "
                        "a new version."
                    ),
                    field="period",
                )
            raise RuleViolation(
                _("This commune already has a report for the period: open it."), field="period"
            )
        report = ProgressReport.objects.create(
            plan=period.plan,
            period=period,
            unit=unit,
            level=Level.COMMUNE,
            created_by=actor,
            status_changed_at=timezone.now(),
        )
        audit_record(
            action="report.created",
            actor=actor,
            role=granted[0] if granted else "",
            unit_name=granted[2] if granted else "",
            to_status=report.status,
            data={"report": report.pk, "unit": unit.pk, "period": period.pk, "version": 1},
        )
    return report


def _id(value: Any, name: str) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise RuleViolation(_("Make a choice from the list."), field=name) from None


def report_update(*, actor: Any, report_id: int, data: ReportInput) -> ProgressReport:
    """The commune's edit of its report (until it is accepted): the texts, the activities
    held and the results per indicator, replaced as a whole."""
    with report_transition("update", actor=actor, report_id=report_id) as step:
        report = step.report
        report.difficulties = text_clean(
            data.difficulties, field="difficulties", max_length=LONG_TEXT, multiline=True
        )
        report.proposals = text_clean(
            data.proposals, field="proposals", max_length=LONG_TEXT, multiline=True
        )
        activities = _clean_activities(report, data.activities)
        values = _clean_values(report, data.values, level=report.level)
        report.activities.all().delete()
        report.values.all().delete()
        ReportActivity.objects.bulk_create([line for line, _counts in activities])
        ReportGroupCount.objects.bulk_create(_group_rows(activities))
        IndicatorValue.objects.bulk_create(values)
        if report.status == S.SUBMITTED:
            _ledger_money(report)  # edited while with the district: the money read again
        step.changed += ["difficulties", "proposals"]
        step.finish(data={"activities": len(activities), "values": len(values)})
    return report


def _ledger_money(report: ProgressReport) -> None:
    """Copy what the ledger paid in the period on the commune's estimates into the
    report's activity rows (adding a row for an activity paid but not listed)."""
    period = report.period
    paid = paid_by_unit_activity(
        report.plan, unit_ids=[report.unit_id], start=period.starts_on, end=period.ends_on
    )
    rows = {a.activity_id: a for a in report.activities.all()}
    for _unit, activity_id in paid:
        if activity_id not in rows:
            rows[activity_id] = ReportActivity.objects.create(
                report=report, activity_id=activity_id
            )
    for activity_id, row in rows.items():
        amount = paid.get((report.unit_id, activity_id), 0)
        if row.spent != amount:
            row.spent = amount
            row.save(update_fields=["spent"])


def report_submit(*, actor: Any, report_id: int) -> ProgressReport:
    """The commune sends its report to the district Women's Union; the money is read from
    the ledger now."""
    with report_transition("submit", actor=actor, report_id=report_id) as step:
        report = step.report
        _ledger_money(report)
        report.submitted_by = actor
        report.submitted_at = timezone.now()
        report.return_reason = ""
        step.changed += ["submitted_by", "submitted_at", "return_reason"]
        step.finish()
    return report


def report_accept(*, actor: Any, report_id: int) -> ProgressReport:
    with report_transition("accept", actor=actor, report_id=report_id) as step:
        step.report.decided_by = actor
        step.changed.append("decided_by")
        step.finish()
    return step.report


def report_return(*, actor: Any, report_id: int, reason: Any) -> ProgressReport:
    with report_transition("return", actor=actor, report_id=report_id) as step:
        text = text_clean(
            reason,
            field="reason",
            max_length=LONG_TEXT,
            multiline=True,
            required=True,
            required_message=_("Say why the report is returned."),
        )
        step.report.return_reason = text
        step.report.decided_by = actor
        step.changed += ["return_reason", "decided_by"]
        step.finish(comment=text)
    return step.report


def report_correct(*, actor: Any, report_id: int) -> ProgressReport:
    """A new version (draft) of an accepted report, with its content copied: the accepted
    one stays as it was, and counts until the correction is accepted."""
    with report_transition("correct", actor=actor, report_id=report_id) as step:
        old = step.report
        latest = (
            ProgressReport.objects.filter(period_id=old.period_id, unit_id=old.unit_id)
            .order_by("-version")
            .first()
        )
        if latest is not None and latest.pk != old.pk:
            raise Conflict(_("A newer version of this report exists: correct that one."))
        new = ProgressReport.objects.create(
            plan_id=old.plan_id,
            period_id=old.period_id,
            unit_id=old.unit_id,
            level=old.level,
            version=old.version + 1,
            previous=old,
            difficulties=old.difficulties,
            proposals=old.proposals,
            created_by=actor,
            status_changed_at=timezone.now(),
        )
        lines: list[CleanLine] = [
            (
                ReportActivity(
                    report=new,
                    activity_id=a.activity_id,
                    held=a.held,
                    held_from=a.held_from,
                    held_to=a.held_to,
                    place=a.place,
                    participants_women=a.participants_women,
                    participants_girls=a.participants_girls,
                    participants_men=a.participants_men,
                ),
                {g.group_id: g.count for g in a.groups.all()},
            )
            for a in old.activities.prefetch_related("groups")
        ]
        ReportActivity.objects.bulk_create([line for line, _counts in lines])
        ReportGroupCount.objects.bulk_create(_group_rows(lines))
        IndicatorValue.objects.bulk_create(
            [
                IndicatorValue(report=new, indicator_id=v.indicator_id, value=v.value, note=v.note)
                for v in old.values.all()
            ]
        )
        step.finish(data={"new_report": new.pk, "new_version": new.version})
    return new


# --- the district's report --------------------------------------------------------------


def district_report_consolidate(
    *, actor: Any, period_id: Any, unit_id: Any, values: Sequence[ValueInput] = ()
) -> ProgressReport:
    """Create or refresh the district's report for a period (draft) from the accepted
    commune reports and the ledger; ``values`` are the district-level indicators' results,
    which the district enters itself."""
    period = Period.objects.select_related("plan").filter(pk=_id(period_id, "period")).first()
    if period is None:
        raise RuleViolation(_("Choose a reporting period of the plan."), field="period")
    if not period_open_for(period):
        raise RuleViolation(
            _("The period “%(period)s” has not started yet (it starts on %(start)s).")
            % {"period": period.label, "start": period.starts_on.strftime("%d/%m/%Y")},
            field="period",
        )
    unit = Unit.objects.filter(pk=_id(unit_id, "unit"), pk__in=[period.plan.area_id]).first()
    if unit is None or unit.pk not in perms.unit_ids_with(actor, perms.DRAFT):
        raise RuleViolation(_("You consolidate only for the area of your own plan."), field="unit")
    with unit_of_work():
        Unit.objects.select_for_update().filter(pk=unit.pk).first()
        report = (
            ProgressReport.objects.filter(period=period, unit=unit).order_by("-version").first()
        )
        if report is None or report.status != S.DRAFT:
            report = ProgressReport.objects.create(
                plan=period.plan,
                period=period,
                unit=unit,
                level=Level.DISTRICT,
                version=(report.version + 1) if report is not None else 1,
                previous=report,
                created_by=actor,
                status_changed_at=timezone.now(),
            )
    with report_transition("consolidate", actor=actor, report_id=report.pk) as step:
        report = step.report
        if values:
            cleaned = _clean_values(report, values, level=Level.DISTRICT)
            report.values.all().delete()
            IndicatorValue.objects.bulk_create(cleaned)
        report.snapshot = consolidate(report.period, report.unit, district_report=report)
        step.changed.append("snapshot")
        step.finish(data={"communes_accepted": len(report.snapshot["communes_accepted"])})
    return report


def district_report_submit(*, actor: Any, report_id: int) -> ProgressReport:
    """Submit the district's report upward: consolidated once more now, so what is sent
    is what the accepted reports and the ledger say at this moment, then frozen."""
    with report_transition("submit-upward", actor=actor, report_id=report_id) as step:
        report = step.report
        report.snapshot = consolidate(report.period, report.unit, district_report=report)
        report.submitted_by = actor
        report.submitted_at = timezone.now()
        step.changed += ["snapshot", "submitted_by", "submitted_at"]
        step.finish()
    return report


# --- reminders ------------------------------------------------------------------------------


def communes_missing(period: Period) -> list[Unit]:
    """The plan's communes with no report submitted or accepted for the period (one query)."""
    reported = ProgressReport.objects.filter(
        period=period, level=Level.COMMUNE, status__in=lifecycle.REPORTED_STATUSES
    ).values("unit_id")
    return list(
        Unit.objects.filter(plan_entries__plan_id=period.plan_id)
        .exclude(pk__in=reported)
        .order_by("plan_entries__sort_order", "name")
    )


def reports_remind(
    *, actor: Any | None, period_id: Any, today: dt.date | None = None
) -> list[Unit]:
    """Remind each commune that has not reported for the period (its Women's Union
    officers, in the bell and by e-mail): at most once a day per commune, whoever asks
    and however often. ``actor`` None is the daily job. Returns the communes reminded."""
    period = Period.objects.select_related("plan").filter(pk=_id(period_id, "period")).first()
    if period is None:
        raise RuleViolation(_("Choose a reporting period of the plan."), field="period")
    today = today or timezone.localdate()
    if not period_open_for(period, today):
        raise RuleViolation(_("This period has not started yet."), field="period")
    missing = communes_missing(period)
    if actor is not None:
        allowed = perms.unit_ids_with(actor, perms.REVIEW)
        if not allowed & {u.pk for u in missing} and missing:
            raise Forbidden(_("Only the Women's Union above the commune reminds the communes."))
        missing = [u for u in missing if u.pk in allowed]
    reminded: list[Unit] = []
    for unit in missing:
        with unit_of_work():
            try:
                with unit_of_work():
                    ReportReminder.objects.create(
                        period=period, unit=unit, sent_on=today, sent_by=actor
                    )
            except IntegrityError:
                continue  # reminded today already
            audit_record(
                action="report.reminded",
                actor=actor,
                unit_name=unit.name,
                data={"period": period.pk, "unit": unit.pk, "due_on": period.due_on.isoformat()},
            )
            notice_emit(
                kind="report.reminder",
                recipients=list(perms.holders(perms.DRAFT, unit.pk).values_list("pk", flat=True)),
                actor=actor,
                data={
                    "period": period.pk,
                    "period_label": period.label,
                    "unit": unit.pk,
                    "due_on": period.due_on.isoformat(),
                    "url": "/progress/reports/",
                },
            )
        reminded.append(unit)
    return reminded


def reminders_due_run(*, today: dt.date | None = None) -> int:
    """The daily job: remind the communes missing for every period whose reports are due
    by tomorrow and that ended at most 60 days ago. Safe to run twice a day."""
    today = today or timezone.localdate()
    periods = Period.objects.filter(
        ends_on__lt=today,
        due_on__lte=today + dt.timedelta(days=1),
        ends_on__gte=today - dt.timedelta(days=60),
    )
    return sum(len(reports_remind(actor=None, period_id=p.pk, today=today)) for p in periods)


# --- targets -----------------------------------------------------------------------------------


def indicator_target_set(*, actor: Any, indicator_id: Any, target: Any) -> Indicator:
    """The district Women's Union enters a target the plan does not give; it is marked as
    theirs. A target the plan gives is not changed here."""
    with unit_of_work():
        indicator = (
            Indicator.objects.select_for_update()
            .select_related("plan")
            .filter(pk=_id(indicator_id, "indicator"))
            .first()
        )
        if indicator is None:
            raise RuleViolation(_("Choose an indicator of the plan."), field="indicator")
        granted = target_setter_grant(actor, indicator.plan.area_id)
        if granted is None:
            raise Forbidden(_("Only the Women's Union above the commune enters the targets."))
        if indicator.target_source == TargetSource.PLAN:
            raise RuleViolation(
                _("The plan sets this target: it is not changed here."), field="target"
            )
        before = indicator.target
        value = None if target in (None, "") else _count(target, field="target", limit=MAX_AMOUNT)
        indicator.target = value
        indicator.target_source = TargetSource.DISTRICT if value is not None else ""
        indicator.target_set_by = actor
        indicator.target_set_at = timezone.now()
        indicator.save(update_fields=["target", "target_source", "target_set_by", "target_set_at"])
        audit_record(
            action="indicator.target_set",
            actor=actor,
            role=granted[0],
            unit_name=granted[2],
            data={
                "indicator": indicator.pk,
                "code": indicator.code,
                "before": before,
                "after": value,
            },
        )
    return indicator
