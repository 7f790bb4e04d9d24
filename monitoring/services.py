"""Every write of the monitoring notes: recording a note, the unit's answer, closing the
recommendations. Each locks, re-checks the status (``monitoring.lifecycle``) and the
actor's rights (role groups' object permissions on the note's unit), writes the change
and its audit entry in one transaction, and records the notice in the outbox."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from approvals.audit import audit_record
from core.errors import Conflict, Forbidden, RuleViolation
from core.text import LONG_TEXT, field_limit, text_clean
from core.transactions import unit_of_work
from estimates.models import Activity, Estimate, Plan
from notifications.services import notice_emit
from organization import permissions as perms
from organization.models import Unit, UnitKind

from . import lifecycle
from .models import MonitoringNote

NO_RIGHT = gettext_lazy(
    "Your role does not record monitoring notes: line departments, the Fatherland Front "
    "and the auditor do."
)


@dataclass
class NoteInput:
    visited_on: Any
    visitors: Any
    checked: Any
    findings: Any
    recommendations: Any = ""
    follow_up_due: Any = None
    unit_id: Any = None
    estimate_id: Any = None
    activity_id: Any = None


def _date(value: Any, *, field: str, required: bool = False) -> dt.date | None:
    if value in (None, ""):
        if required:
            raise RuleViolation(_("Enter a date."), field=field)
        return None
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise RuleViolation(_("Enter a valid date."), field=field) from None


def _pk(value: Any, field: str) -> int | None:
    if value in (None, ""):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        raise RuleViolation(_("Make a choice from the list."), field=field) from None


def note_record(*, actor: Any, plan: Plan, data: NoteInput) -> MonitoringNote:
    """Record a monitoring visit on an estimate, a commune or an activity (in a commune).
    The actor must hold the monitoring right on the unit concerned."""
    if not perms.unit_ids_with(actor, lifecycle.RECORD_PERMISSION):
        raise Forbidden(str(NO_RIGHT))
    estimate = None
    estimate_pk = _pk(data.estimate_id, "estimate")
    if estimate_pk is not None:
        estimate = Estimate.objects.select_related("unit").filter(pk=estimate_pk, plan=plan).first()
        if estimate is None or estimate.unit_id not in perms.unit_ids_with(actor, perms.VIEW):
            raise RuleViolation(_("Choose an estimate you can see."), field="estimate")
    unit_pk = _pk(data.unit_id, "unit")
    unit = estimate.unit if estimate is not None else None
    if unit is None:
        if unit_pk is None:
            raise RuleViolation(_("Choose the commune (or the district) concerned."), field="unit")
        unit = Unit.objects.filter(
            pk=unit_pk, kind__in=(UnitKind.COMMUNE, UnitKind.DISTRICT)
        ).first()
        if unit is None:
            raise RuleViolation(_("Choose the commune (or the district) concerned."), field="unit")
    elif unit_pk is not None and unit_pk != unit.pk:
        raise RuleViolation(_("The estimate belongs to another unit."), field="unit")
    granted = perms.role_granting(actor, lifecycle.RECORD_PERMISSION, unit.pk)
    if granted is None:
        raise RuleViolation(
            _("Your role does not monitor this unit: choose one you monitor."),
            field="estimate" if estimate is not None else "unit",
        )
    activity = None
    activity_pk = _pk(data.activity_id, "activity")
    if activity_pk is not None:
        activity = Activity.objects.filter(pk=activity_pk, content__plan=plan).first()
        if activity is None:
            raise RuleViolation(_("Choose an activity of the plan."), field="activity")
    if estimate is not None:
        activity = estimate.activity
    visited_on = _date(data.visited_on, field="visited_on", required=True)
    assert visited_on is not None  # noqa: S101 - required above
    if visited_on > timezone.localdate():
        raise RuleViolation(_("The visit cannot be in the future."), field="visited_on")
    follow_up_due = _date(data.follow_up_due, field="follow_up_due")
    if follow_up_due is not None and follow_up_due < visited_on:
        raise RuleViolation(_("The follow-up is due after the visit."), field="follow_up_due")
    note = MonitoringNote(
        plan=plan,
        unit=unit,
        estimate=estimate,
        activity=activity,
        visited_on=visited_on,
        visitors=text_clean(
            data.visitors,
            field="visitors",
            max_length=field_limit(MonitoringNote, "visitors"),
            required=True,
        ),
        checked=text_clean(
            data.checked, field="checked", max_length=LONG_TEXT, multiline=True, required=True
        ),
        findings=text_clean(
            data.findings, field="findings", max_length=LONG_TEXT, multiline=True, required=True
        ),
        recommendations=text_clean(
            data.recommendations, field="recommendations", max_length=LONG_TEXT, multiline=True
        ),
        follow_up_due=follow_up_due,
        author=actor,
        author_role=granted[0],
        author_agency=granted[2],
    )
    if note.recommendations and note.follow_up_due is None:
        raise RuleViolation(
            _("Give the date by which the recommendations are followed up."), field="follow_up_due"
        )
    with unit_of_work():
        note.save()
        audit_record(
            action=lifecycle.RECORD_EVENT,
            actor=actor,
            estimate=estimate,
            role=granted[0],
            unit_name=granted[2],
            to_status=note.status,
            data={"note": note.pk, "unit": unit.pk},
        )
        notice_emit(
            kind=lifecycle.RECORD_EVENT,
            recipients=list(perms.holders(perms.DRAFT, unit.pk).values_list("pk", flat=True)),
            actor=actor,
            data={"note": note.pk, "url": note_path(note.pk)},
        )
    return note


def note_path(pk: int) -> str:
    return f"/monitoring/{pk}/"


def _note_act(name: str, *, actor: Any, note_id: int, text: Any) -> MonitoringNote:
    with unit_of_work():
        note = (
            MonitoringNote.objects.select_for_update(of=("self",))
            .select_related("unit")
            .filter(pk=note_id)
            .first()
        )
        if note is None or note.unit_id not in perms.unit_ids_with(actor, perms.VIEW):
            raise Http404(_("No such monitoring note."))
        row = lifecycle.transition(name, note.status)
        if row is None:
            raise Conflict(
                _("This note is now “%(status)s”: reload the page.")
                % {"status": note.get_status_display()}
            )
        granted = perms.role_granting(actor, row.permission, note.unit_id)
        if granted is None:
            raise Forbidden(_("Your role does not allow this on this monitoring note."))
        cleaned = text_clean(
            text, field=row.text, max_length=LONG_TEXT, multiline=True, required=True
        )
        from_status = note.status
        now = timezone.now()
        assert row.target is not None  # noqa: S101 - every row moves the note
        note.status = row.target
        if name == "answer":
            note.answer, note.answered_by, note.answered_at = cleaned, actor, now
            fields = ["answer", "answered_by", "answered_at"]
        else:
            note.closing_note, note.closed_by, note.closed_at = cleaned, actor, now
            fields = ["closing_note", "closed_by", "closed_at"]
        note.save(update_fields=["status", *fields])
        audit_record(
            action=row.event,
            actor=actor,
            estimate=note.estimate if note.estimate_id else None,
            role=granted[0],
            unit_name=granted[2],
            from_status=from_status,
            to_status=note.status,
            comment=cleaned,
            data={"note": note.pk, "unit": note.unit_id},
        )
        told: list[int] = []
        if lifecycle.AUTHOR in row.notify:
            told.append(note.author_id)
        if lifecycle.UNIT in row.notify:
            told += list(perms.holders(perms.DRAFT, note.unit_id).values_list("pk", flat=True))
        notice_emit(
            kind=row.event,
            recipients=told,
            actor=actor,
            comment=cleaned,
            data={"note": note.pk, "url": note_path(note.pk)},
        )
    return note


def note_answer(*, actor: Any, note_id: int, answer: Any) -> MonitoringNote:
    """The unit concerned answers the findings and recommendations."""
    return _note_act("answer", actor=actor, note_id=note_id, text=answer)


def note_close(*, actor: Any, note_id: int, closing_note: Any) -> MonitoringNote:
    """A monitor of the unit closes the recommendations (followed up)."""
    return _note_act("close", actor=actor, note_id=note_id, text=closing_note)
