"""What a notice about a monitoring note says, in the recipient's language."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.utils.translation import gettext as _

from notifications.models import OutboxEvent
from notifications.render import Message

from .models import MonitoringNote


def note_message(event: OutboxEvent, recipient: User) -> Message:
    data = event.data or {}
    note = (
        MonitoringNote.objects.select_related("unit").filter(pk=int(data.get("note") or 0)).first()
    )
    url = str(data.get("url", ""))
    if note is None:
        return Message(title=_("A monitoring note changed"), body="", url=url)
    names = {
        "unit": note.unit.name,
        "date": note.visited_on.strftime("%d/%m/%Y"),
        "agency": note.author_agency,
    }
    titles = {
        "monitoring.recorded": _(
            "Monitoring visit of %(date)s to %(unit)s by %(agency)s: please answer"
        ),
        "monitoring.answered": _("%(unit)s answered the monitoring note of %(date)s"),
        "monitoring.closed": _(
            "The recommendations of the monitoring visit of %(date)s to %(unit)s were closed"
        ),
    }
    title = str(titles.get(event.kind, _("A monitoring note changed"))) % names
    return Message(title=title, body=title, url=url)
