"""What a notice about a progress report says, in the recipient's language (registered
with ``notifications.render`` when the app is ready)."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.models import User
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from notifications.models import OutboxEvent
from notifications.render import Message

from .models import ProgressReport


def report_message(event: OutboxEvent, recipient: User) -> Message:
    data = event.data or {}
    url = str(data.get("url", ""))
    if event.kind == "report.reminder":
        due = dt.date.fromisoformat(data["due_on"]) if data.get("due_on") else None
        title = _("Reminder: your commune's progress report for %(period)s is due on %(due)s") % {
            "period": data.get("period_label", ""),
            "due": date_format(due, "SHORT_DATE_FORMAT") if due else "",
        }
        return Message(title=title, body=title, url=url)
    report = (
        ProgressReport.objects.select_related("unit", "period")
        .filter(pk=int(data.get("report") or 0))
        .first()
    )
    if report is None:
        return Message(title=_("A progress report changed"), body="", url=url)
    names = {"unit": report.unit.name, "period": report.period.label, "version": report.version}
    titles = {
        "report.submitted": _("Progress report of %(unit)s for %(period)s is waiting for you"),
        "report.accepted": _("Your progress report for %(period)s was accepted"),
        "report.returned": _("Your progress report for %(period)s was returned for correction"),
        "report.submitted_upward": _("The report of %(unit)s for %(period)s was submitted upward"),
    }
    title = str(titles.get(event.kind, _("A progress report changed"))) % names
    body = title
    if event.comment:
        body = f"{title}\n\n{_('Reason')}: {event.comment}"
    return Message(title=title, body=body, url=url)
