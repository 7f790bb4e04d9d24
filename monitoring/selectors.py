"""Reads of the monitoring notes, through the grants: a note is seen by whoever sees its
unit's estimates."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from organization import permissions as perms

from . import lifecycle
from .models import MonitoringNote


def note_list_for_user(user: Any) -> QuerySet[MonitoringNote]:
    return MonitoringNote.objects.filter(
        unit_id__any=perms.unit_ids_with(user, perms.VIEW)
    ).select_related("unit", "estimate", "activity", "author")


def open_recommendations_for_user(user: Any) -> QuerySet[MonitoringNote]:
    """Notes whose recommendations are not closed, oldest follow-up first."""
    return (
        note_list_for_user(user)
        .filter(status__in=lifecycle.OPEN_STATUSES)
        .order_by("follow_up_due", "visited_on", "pk")
    )


def overdue(note: MonitoringNote, today: dt.date) -> bool:
    return (
        note.status in lifecycle.OPEN_STATUSES
        and note.follow_up_due is not None
        and note.follow_up_due < today
    )


def access_note(user: Any, pk: Any) -> MonitoringNote:
    try:
        pk_int = int(pk)
    except (TypeError, ValueError):
        raise Http404 from None
    note = note_list_for_user(user).filter(pk=pk_int).first()
    if note is None:
        raise Http404(_("No such monitoring note."))
    return note


def note_actions_allowed(user: Any, note: MonitoringNote) -> list[str]:
    return [
        row.name
        for row in lifecycle.transitions_from(note.status)
        if note.unit_id in perms.unit_ids_with(user, row.permission)
    ]


def may_record(user: Any) -> bool:
    return bool(perms.unit_ids_with(user, lifecycle.RECORD_PERMISSION))
