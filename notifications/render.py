"""What a notice says, in the recipient's language. Links point at the estimate's page."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.models import User
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from delegations.selectors import actor_label
from estimates.models import Estimate, EstimateStatus

from .models import NOTICE_KINDS, EventKind, OutboxEvent, ReminderKind


def estimate_path(pk: int) -> str:
    """The path of an estimate's page (the approvals app serves it)."""
    return str(settings.NOTIFICATIONS_ESTIMATE_PATH).format(pk=pk)


def absolute_url(path: str) -> str:
    return str(settings.SITE_URL).rstrip("/") + path


@dataclass(frozen=True)
class Message:
    title: str
    body: str
    url: str  # a path inside the site

    @property
    def link(self) -> str:
        return absolute_url(self.url) if self.url else absolute_url("/")


def _date(value: str | None) -> str:
    if not value:
        return ""
    return date_format(datetime.date.fromisoformat(value), "SHORT_DATE_FORMAT")


def _title(event: OutboxEvent, recipient: User, estimate: Estimate) -> str:
    number = estimate.number
    kind = event.kind
    is_drafter = recipient.pk == estimate.created_by_id
    stage = EstimateStatus(event.status).label if event.status in EstimateStatus.values else ""
    data = event.data or {}
    if kind == EventKind.REMINDER:
        deadline = _date(data.get("deadline"))
        if data.get("reminder") == ReminderKind.BEFORE:
            return _("Reminder: estimate %(number)s is due tomorrow (%(deadline)s)") % {
                "number": number,
                "deadline": deadline,
            }
        if data.get("reminder") == ReminderKind.DUE:
            return _("Reminder: estimate %(number)s is due today (%(deadline)s)") % {
                "number": number,
                "deadline": deadline,
            }
        days = int(data.get("days_late", 0))
        return ngettext(
            "Estimate %(number)s is %(days)d working day late",
            "Estimate %(number)s is %(days)d working days late",
            days,
        ) % {"number": number, "days": days}
    if kind == EventKind.ESCALATED:
        days = int(data.get("days_late", 0))
        return ngettext(
            "Escalation: estimate %(number)s is %(days)d working day late (%(stage)s)",
            "Escalation: estimate %(number)s is %(days)d working days late (%(stage)s)",
            days,
        ) % {"number": number, "days": days, "stage": stage}
    if kind == EventKind.TRANSFERRED:
        return _("Estimate %(number)s now belongs to %(unit)s: %(stage)s") % {
            "number": number,
            "unit": estimate.unit.name,
            "stage": stage,
        }
    if kind == EventKind.AMENDMENT_APPROVED:
        return _("The amendment of estimate %(number)s was approved") % {"number": number}
    if kind == EventKind.AMENDMENT_RETURNED:
        return _("The amendment of estimate %(number)s was returned") % {"number": number}
    if kind in (
        EventKind.AMENDMENT_PROPOSED,
        EventKind.AMENDMENT_FORWARDED,
        EventKind.AMENDMENT_APPRAISED,
    ):
        return _("An amendment of estimate %(number)s is waiting for you") % {"number": number}
    if is_drafter:
        drafter_titles = {
            EventKind.RETURNED: _("Estimate %(number)s was returned for revision"),
            EventKind.APPROVED: _("Estimate %(number)s was approved"),
            EventKind.DISBURSED: _("Money was disbursed for estimate %(number)s"),
            EventKind.SETTLEMENT_RETURNED: _("The settlement of estimate %(number)s was returned"),
            EventKind.CLOSED: _("Estimate %(number)s was closed"),
            EventKind.WITHDRAWN: _("Estimate %(number)s was withdrawn"),
        }
        if kind in drafter_titles:
            return drafter_titles[EventKind(kind)] % {"number": number}
    return _("Estimate %(number)s is waiting for you: %(stage)s") % {
        "number": number,
        "stage": stage,
    }


def _estimate_message(event: OutboxEvent, recipient: User) -> Message:
    estimate = event.estimate
    assert estimate is not None  # noqa: S101 - estimate events always carry one
    title = _title(event, recipient, estimate)
    body = render_to_string(
        "notifications/email/estimate.txt",
        {
            "event": event,
            "estimate": estimate,
            "stage": EstimateStatus(event.status).label
            if event.status in EstimateStatus.values
            else "",
            "by": actor_label(event.actor, event.acting_for) if event.actor else "",
            "deadline": _date((event.data or {}).get("deadline")),
        },
    ).strip()
    return Message(title=title, body=body, url=estimate_path(estimate.pk))


def _digest_message(event: OutboxEvent) -> Message:
    ids = [int(pk) for pk in (event.data or {}).get("estimates", [])]
    estimates = list(Estimate.objects.filter(pk__in=ids).select_related("unit").order_by("pk"))
    title = ngettext(
        "%(count)d estimate is waiting for you",
        "%(count)d estimates are waiting for you",
        len(estimates),
    ) % {"count": len(estimates)}
    body = render_to_string(
        "notifications/email/digest.txt",
        {
            "rows": [
                (e, e.get_status_display(), absolute_url(estimate_path(e.pk))) for e in estimates
            ],
            "date": _date((event.data or {}).get("date")),
        },
    ).strip()
    return Message(title=title, body=body, url="")


#: Who renders the notices that are not about an estimate, by the kind's prefix
#: ("report", "monitoring"): the app that owns the thing registers its renderer when it is
#: ready, so this app never imports a higher one.
NOTICE_RENDERERS: dict[str, Callable[[OutboxEvent, User], Message]] = {}


def notice_renderer_register(prefix: str, renderer: Callable[[OutboxEvent, User], Message]) -> None:
    NOTICE_RENDERERS[prefix] = renderer


def _notice_message(event: OutboxEvent, recipient: User) -> Message:
    renderer = NOTICE_RENDERERS.get(event.kind.split(".")[0])
    if renderer is not None:
        return renderer(event, recipient)
    data = event.data or {}
    return Message(title=str(EventKind(event.kind).label), body="", url=str(data.get("url", "")))


def message_for(event: OutboxEvent, recipient: User, language: str) -> Message:
    """The notice ``recipient`` gets for ``event``, rendered in ``language``."""
    with translation.override(language):
        if event.kind in NOTICE_KINDS:
            return _notice_message(event, recipient)
        if event.kind == EventKind.DIGEST:
            return _digest_message(event)
        return _estimate_message(event, recipient)
