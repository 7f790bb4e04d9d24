"""The progress report's lifecycle as one table, in the pattern of ``approvals.lifecycle``:
every action, the level of report it applies to, from which statuses, to which, the object
permission on the report's unit, the audit and event kind, who is told, whether a reason
is needed.

Plain data, no queries. The services (``progress.services``), the gate and the actions
offered (``progress.access``), the pages and the API read it;
``tests/progress/test_lifecycle.py`` checks the web and API routes against it.

A commune's report: drafted and submitted by the commune Women's Union, accepted or
returned (with a reason) by the district Women's Union, editable until accepted; an
accepted report is corrected by a new version. The district's report: consolidated from
the accepted commune reports by the district Women's Union, then submitted upward.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from django.utils.translation import gettext_lazy as _

from estimates.models import Level
from organization import permissions as perms

from .models import ReportStatus

S = ReportStatus

#: Who is told: the holders of the table's ``told`` permission on the report's unit, or
#: the person who submitted (or drafted) the report.
REVIEWERS = "reviewers"
DRAFTER = "drafter"
LEADERS = "leaders"

#: The permission whose holders each audience is (on the report's unit).
AUDIENCE_PERMISSIONS: Mapping[str, str] = MappingProxyType(
    {REVIEWERS: perms.REVIEW, LEADERS: perms.APPROVE}
)


@dataclass(frozen=True)
class ReportTransition:
    name: str  # the API action and, with "_" for "-", the page's URL name
    levels: frozenset[str]
    sources: frozenset[str]
    permission: str
    event: str
    target: str | None = None
    notify: tuple[str, ...] = ()
    emits: bool = True
    reason: bool = False
    confirm: bool = False
    label: Any = ""

    @property
    def url_name(self) -> str:
        return "report_" + self.name.replace("-", "_")


def _t(name: str, levels: tuple[str, ...], sources: tuple[str, ...], **kw: Any) -> ReportTransition:
    return ReportTransition(name=name, levels=frozenset(levels), sources=frozenset(sources), **kw)


C = Level.COMMUNE
D = Level.DISTRICT

TRANSITIONS: tuple[ReportTransition, ...] = (
    _t(
        "update",
        (C,),
        (S.DRAFT, S.RETURNED, S.SUBMITTED),
        permission=perms.DRAFT,
        event="report.edited",
        emits=False,
        label=_("Edit"),
    ),
    _t(
        "submit",
        (C,),
        (S.DRAFT, S.RETURNED),
        permission=perms.DRAFT,
        event="report.submitted",
        target=S.SUBMITTED,
        notify=(REVIEWERS,),
        label=_("Submit to the Women's Union above the commune"),
    ),
    _t(
        "accept",
        (C,),
        (S.SUBMITTED,),
        permission=perms.REVIEW,
        event="report.accepted",
        target=S.ACCEPTED,
        notify=(DRAFTER,),
        confirm=True,
        label=_("Accept"),
    ),
    _t(
        "return",
        (C,),
        (S.SUBMITTED,),
        permission=perms.REVIEW,
        event="report.returned",
        target=S.RETURNED,
        notify=(DRAFTER,),
        reason=True,
        label=_("Return for correction"),
    ),
    _t(
        "correct",
        (C,),
        (S.ACCEPTED,),
        permission=perms.DRAFT,
        event="report.corrected",
        emits=False,
        label=_("Correct (new version)"),
    ),
    _t(
        "consolidate",
        (D,),
        (S.DRAFT,),
        permission=perms.DRAFT,
        event="report.consolidated",
        emits=False,
        label=_("Consolidate again"),
    ),
    _t(
        "submit-upward",
        (D,),
        (S.DRAFT,),
        permission=perms.DRAFT,
        event="report.submitted_upward",
        target=S.SUBMITTED,
        notify=(LEADERS,),
        confirm=True,
        label=_("Submit upward"),
    ),
)

ACTION_NAMES: tuple[str, ...] = tuple(dict.fromkeys(t.name for t in TRANSITIONS))

#: The outbox event kinds the table records.
EVENT_KINDS: frozenset[str] = frozenset(t.event for t in TRANSITIONS if t.emits)


def transition(name: str, level: str, status: str) -> ReportTransition | None:
    """The row of action ``name`` for a report of ``level`` in ``status``, or None."""
    for t in TRANSITIONS:
        if t.name == name and level in t.levels and status in t.sources:
            return t
    return None


def transitions_from(level: str, status: str) -> list[ReportTransition]:
    return [t for t in TRANSITIONS if level in t.levels and status in t.sources]


def rows(name: str) -> list[ReportTransition]:
    return [t for t in TRANSITIONS if t.name == name]


#: Statuses in which the commune may still change its report.
EDITABLE_STATUSES: frozenset[str] = frozenset().union(*(t.sources for t in rows("update")))
#: Statuses in which a commune has reported for the period (its report reached the district).
REPORTED_STATUSES: frozenset[str] = frozenset({S.SUBMITTED, S.ACCEPTED})
