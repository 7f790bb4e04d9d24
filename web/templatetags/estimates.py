from __future__ import annotations

import unicodedata
from html import escape
from typing import Any

from django import template
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from approvals.access import (
    envelope_unit_ids,
    estimate_inbox_for_user,
    follows_advances,
    unit_ids_with,
)
from approvals.access import (
    inbox_count as waiting_count,
)
from core.html import LinkPattern, escaped_labels
from core.money import format_vnd
from core.pagination import AtLeast, count_up_to
from estimates.models import Source
from estimates.models import status_label as estimate_status_label
from organization import permissions as perms
from organization.models import role_label as organization_role_label
from reports.access import follows_money

register = template.Library()

#: The menu's badge counts the waiting estimates up to this and shows "99+" above it: a
#: province's district office has tens of thousands waiting, and counting them all on
#: every page would read them all.
BADGE_MAX = 99


@register.simple_tag(takes_context=True)
def inbox_count(context: dict[str, Any]) -> int:
    """How many estimates wait for the user (for the menu): from the estimates' tally
    (``approvals.access.inbox_count``), else counted up to ``BADGE_MAX``; shown "99+"
    above it."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return 0
    cached: int | None = getattr(request, "_inbox_count", None)
    if cached is None:
        # The inbox page counted the same already (``_inbox_exact``, its unfiltered count).
        exact = getattr(request, "_inbox_exact", None)
        if exact is None:
            exact = waiting_count(user)
        if exact is None:
            cached = count_up_to(estimate_inbox_for_user(user), BADGE_MAX)
        else:
            cached = AtLeast(BADGE_MAX) if exact > BADGE_MAX else exact
        request._inbox_count = cached  # type: ignore[union-attr]
    return cached


@register.simple_tag(takes_context=True)
def money_links(context: dict[str, Any]) -> dict[str, bool]:
    """Which plan-level money pages the user's roles open: the commune shares (district
    Women's Union, Finance-Planning) and the overdue advances (accountant,
    Finance-Planning), the reports (the roles that follow the money). Free after
    ``inbox_count``: the grants are cached per request."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"envelope": False, "advances": False, "reports": False, "dashboard": False}
    return {
        "envelope": bool(envelope_unit_ids(user)),
        "advances": follows_advances(user),
        "reports": follows_money(user),
        "dashboard": bool(unit_ids_with(user, perms.VIEW)),
    }


ACTION_LABELS: dict[str, Any] = {
    "estimate.created": _("created"),
    "estimate.edited": _("edited"),
    "estimate.submitted": _("submitted"),
    "estimate.forwarded": _("forwarded"),
    "estimate.returned": _("returned for revision"),
    "estimate.appraised": _("appraised"),
    "estimate.approved": _("approved"),
    "estimate.withdrawn": _("withdrawn"),
    "estimate.disbursed": _("disbursed"),
    "estimate.advance_cleared": _("advance cleared"),
    "estimate.settlement_submitted": _("settlement submitted"),
    "estimate.settlement_returned": _("settlement returned"),
    "estimate.closed": _("closed"),
    "amendment.proposed": _("amendment proposed"),
    "amendment.forwarded": _("amendment forwarded"),
    "amendment.appraised": _("amendment appraised"),
    "amendment.approved": _("amendment approved"),
    "amendment.returned": _("amendment returned"),
    "amendment.withdrawn": _("amendment withdrawn"),
    "attachment.added": _("document attached"),
    "attachment.deleted": _("attachment removed"),
    "estimate.transferred": _("moved to the successor unit"),
}


@register.filter
def nfc(value: Any) -> str:
    """The text in composed Unicode (some library strings come decomposed, which shows
    badly in some fonts and fails comparisons)."""
    return unicodedata.normalize("NFC", str(value))


@register.filter
def action_label(value: str) -> Any:
    """estimate.returned -> "returned for revision" (the dotted code when unknown)."""
    return ACTION_LABELS.get(value, value)


@register.filter
def status_label(value: str, estimate: Any = None) -> Any:
    """A status's words; ``status_label:estimate``: in the words of the estimate's plan."""
    return estimate_status_label(value, estimate.area_kind if estimate is not None else "")


@register.filter
def role_label(value: str, estimate: Any = None) -> Any:
    """A role's words; ``role_label:estimate``: in the words of the estimate's plan."""
    return organization_role_label(value, estimate.area_kind if estimate is not None else "")


@register.filter
def source_label(value: str) -> Any:
    return Source(value).label if value in Source.values else value


@register.filter
def local_dt(value: Any) -> str:
    """dd/mm/yyyy HH:MM in the site's time zone (Asia/Ho_Chi_Minh)."""
    if value is None:
        return ""
    return str(timezone.localtime(value).strftime("%d/%m/%Y %H:%M"))


_ROW = (
    '<tr><td><a href="{url}">{number}</a><br>{title} <span class="muted">· {l_content} '
    "{content}</span></td>"
    '<td data-label="{l_unit}">{unit}</td>'
    '<td data-label="{l_status}"><span class="status {status}">{status_word}</span>{since}</td>'
    '<td class="num" data-label="{l_requested}">{requested}</td>'
    '<td class="num" data-label="{l_appraised}">{appraised}</td>'
    '<td class="num" data-label="{l_approved}">{approved}</td></tr>'
)


@register.simple_tag
def estimate_rows(estimates: Any) -> str:
    """The rows of the estimate lists' table (``estimates/_table.html``): number and link,
    title and content, unit, status and since when, the three amounts. Written out here
    rather than by the template engine, which resolved a dozen variables and filters a
    row (most of a list page's cost per row); the labels, the status words and the link's
    pattern once per table. Every value is escaped as Django's ``escape`` does
    (``html.escape``, called directly: Django's checks each argument for a lazy string)."""
    labels = escaped_labels(
        l_content=gettext("Content"),
        l_unit=gettext("Unit"),
        l_status=gettext("Status"),
        l_requested=gettext("Requested"),
        l_appraised=gettext("Appraised"),
        l_approved=gettext("Approved"),
    )
    since = escape(gettext("since"))
    words: dict[str, str] = {}
    detail = LinkPattern(lambda ids: reverse("estimates:detail", args=ids), 1)
    rows = []
    for e in estimates:
        status = str(e.status)
        if status not in words:
            words[status] = escape(str(estimate_status_label(status)))
        changed = (
            '<br><span class="muted">'
            f"{since} {timezone.localtime(e.status_changed_at).strftime('%d/%m/%Y')}</span>"
            if e.status_changed_at
            else ""
        )
        rows.append(
            _ROW.format(
                url=escape(detail.fill(e.pk)),
                number=escape(e.number),
                title=escape(e.title),
                content=escape(e.content.code),
                unit=escape(e.unit.name),
                status=escape(status),
                status_word=words[status],
                since=changed,
                requested=escape(format_vnd(e.total_amount)),
                appraised=escape(format_vnd(e.appraised_amount)),
                approved=escape(format_vnd(e.approved_amount)),
                **labels,
            )
        )
    return mark_safe("\n".join(rows))  # noqa: S308 - every value escaped above


_CARD = (
    '<div class="mdc-card board-card"><div class="board-card__body">'
    '<h2 class="mdc-typography mdc-typography--headline6 board-card__number">'
    "#{process_id}/{task_id}</h2>"
    '<h3 class="mdc-typography mdc-typography--subtitle2 board-card__title">{title}</h3>'
    '<div class="vf-dashboard__card-detail"><label>{l_created}</label> {created}</div>'
    "{owner}{button}</div></div>"
)
_CARD_OWNER = '<div class="vf-dashboard__card-detail"><label>{label}</label> {owner}</div>'
_CARD_BUTTON = (
    '<a class="mdc-button board-card__button" href="{url}">'
    '<div class="mdc-button__ripple"></div><span class="mdc-button__label">{label}</span></a>'
)


@register.simple_tag
def board_cards(cards: Any) -> str:
    """The cards of a column of viewflow's board (``workflows/board.html``), each worked
    out by ``web.viewsets.EstimateDashboardView`` (``Card``): its number, its node's
    title, when it was created, who holds it, its one button. Written out as
    ``estimate_rows`` writes the lists' rows; every value escaped."""
    created = escape(gettext("Created"))
    assigned = escape(gettext("Assigned"))
    buttons = {
        "execute": escape(gettext("Execute")),
        "assign": escape(gettext("Assign")),
        "detail": escape(gettext("View")),
        "process_detail": escape(gettext("View")),
    }
    written = []
    for card in cards:
        owner = _CARD_OWNER.format(label=assigned, owner=escape(card.owner)) if card.owner else ""
        button = (
            _CARD_BUTTON.format(url=escape(card.url), label=buttons[card.action])
            if card.action
            else ""
        )
        written.append(
            _CARD.format(
                process_id=int(card.process_id),
                task_id=int(card.task_id),
                title=escape(card.title),
                l_created=created,
                created=escape(card.created),
                owner=owner,
                button=button,
            )
        )
    return mark_safe("\n".join(written))  # noqa: S308 - every value escaped above
