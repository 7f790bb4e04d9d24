"""The overdue list's rows (``notifications/overdue.html``)."""

from __future__ import annotations

from html import escape
from typing import Any

from django import template
from django.utils.safestring import mark_safe
from django.utils.translation import gettext

from core.html import escaped_labels

register = template.Library()

_OVERDUE_ROW = (
    '<tr><td><a href="{url}">{number}</a> · {title}</td>'
    '<td data-label="{l_unit}">{unit}</td>'
    '<td data-label="{l_stage}">{stage}</td>'
    '<td data-label="{l_deadline}">{deadline}</td>'
    '<td class="num" data-label="{l_late}">{late}</td></tr>'
)


@register.simple_tag
def overdue_rows(items: Any, stage: Any) -> str:
    """The rows of the overdue list (``notifications/overdue.html``), all of ``stage``:
    estimate and link, spending unit, stage, deadline (dd/mm/yyyy), working days late;
    written out here rather than by the template engine, a row at a time (its labels
    escaped once: ``core.html``); every value escaped."""
    labels = escaped_labels(
        l_unit=gettext("Spending unit"),
        l_stage=gettext("Stage"),
        l_deadline=gettext("Deadline"),
        l_late=gettext("Working days late"),
    )
    stage_word = escape(str(stage))
    rows = [
        _OVERDUE_ROW.format(
            url=escape(item.url),
            number=escape(item.estimate.number),
            title=escape(item.estimate.title),
            unit=escape(item.estimate.unit.name),
            stage=stage_word,
            deadline=item.deadline.strftime("%d/%m/%Y"),
            late=int(item.days_late),
            **labels,
        )
        for item in items
    ]
    return mark_safe("\n".join(rows))  # noqa: S308 - every value escaped above
