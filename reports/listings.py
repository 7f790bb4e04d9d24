"""The lists of the reports: the approval decisions issued, and the advances overdue, on
the estimates the user may see. Each is one query (the rows with their estimate and unit)
plus one for the totals, whatever the number of rows."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, QuerySet, Sum

from approvals.access import unit_ids_with
from approvals.models import Decision
from estimates.models import EstimateLine
from ledger.models import Disbursement
from ledger.selectors import advances_overdue
from organization import permissions as perms

from .filters import ReportQuery


@dataclass(frozen=True)
class Totals:
    count: int
    amount: int


def decision_list_for_user(user: Any, query: ReportQuery) -> QuerySet[Decision]:
    """The decisions of the plan on the estimates ``user`` may see, filtered by unit,
    content, activity, status, the activity's start and the decision's date; in the order
    they were issued."""
    qs = Decision.objects.filter(
        estimate__plan=query.plan, estimate__unit_id__any=unit_ids_with(user, perms.VIEW)
    )
    if query.unit is not None:
        qs = qs.filter(estimate__unit=query.unit)
    if query.content is not None:
        qs = qs.filter(estimate__content=query.content)
    if query.activity is not None:
        qs = qs.filter(estimate__activity=query.activity)
    if query.source:
        with_source = EstimateLine.objects.filter(source=query.source).values("estimate_id")
        qs = qs.filter(estimate_id__in=with_source)
    if query.statuses:
        qs = qs.filter(estimate__status__in=query.statuses)
    if query.start_from:
        qs = qs.filter(estimate__start_date__gte=query.start_from)
    if query.start_to:
        qs = qs.filter(estimate__start_date__lte=query.start_to)
    if query.issued_from:
        qs = qs.filter(issued_on__gte=query.issued_from)
    if query.issued_to:
        qs = qs.filter(issued_on__lte=query.issued_to)
    return qs.select_related("estimate", "estimate__unit").order_by("issued_at", "pk")


def advances_overdue_for_user(user: Any, today: dt.date) -> QuerySet[Disbursement]:
    """Advances not cleared by the end of the month after they were paid, on the
    estimates ``user`` may see, oldest first."""
    return advances_overdue(today).filter(estimate__unit_id__any=unit_ids_with(user, perms.VIEW))


def totals_of(queryset: QuerySet[Any]) -> Totals:
    """How many rows and the sum of their ``amount`` (one query)."""
    figures = queryset.order_by().aggregate(count=Count("pk"), amount=Sum("amount"))
    return Totals(count=figures["count"] or 0, amount=figures["amount"] or 0)
