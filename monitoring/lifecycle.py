"""The monitoring note's lifecycle as one table (the pattern of ``approvals.lifecycle``):
the action, from which statuses, to which, the object permission on the note's unit, the
audit and event kind, who is told."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext_lazy as _

from organization import permissions as perms

from .models import NoteStatus

S = NoteStatus

#: Who is told: the unit concerned (holders of ``draft`` on it) or the note's author.
UNIT = "unit"
AUTHOR = "author"


@dataclass(frozen=True)
class NoteTransition:
    name: str
    sources: frozenset[str]
    permission: str
    event: str
    target: str | None = None
    notify: tuple[str, ...] = ()
    text: str = ""  # the text field the action requires
    label: Any = ""

    @property
    def url_name(self) -> str:
        return "note_" + self.name


TRANSITIONS: tuple[NoteTransition, ...] = (
    NoteTransition(
        "answer",
        frozenset({S.OPEN, S.ANSWERED}),
        permission=perms.DRAFT,
        event="monitoring.answered",
        target=S.ANSWERED,
        notify=(AUTHOR,),
        text="answer",
        label=_("Answer"),
    ),
    NoteTransition(
        "close",
        frozenset({S.OPEN, S.ANSWERED}),
        permission=perms.MONITOR,
        event="monitoring.closed",
        target=S.CLOSED,
        notify=(UNIT,),
        text="closing_note",
        label=_("Close the recommendations"),
    ),
)

#: Recording a note: the permission on the unit concerned, the event, who is told.
RECORD_PERMISSION = perms.MONITOR
RECORD_EVENT = "monitoring.recorded"
OPEN_STATUSES = frozenset({S.OPEN, S.ANSWERED})


def transition(name: str, status: str) -> NoteTransition | None:
    for t in TRANSITIONS:
        if t.name == name and status in t.sources:
            return t
    return None


def transitions_from(status: str) -> list[NoteTransition]:
    return [t for t in TRANSITIONS if status in t.sources]
