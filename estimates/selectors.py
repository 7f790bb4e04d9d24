"""Reads of plans and their envelopes. Reads that depend on who asks go through the access
gate in ``approvals.access``; these are the public, plan-level figures."""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet, TextField, Value
from django.db.models.functions import Concat

from core.search import folded
from core.search import words as search_words

from .models import Content, Estimate, Plan, PlanCommune


def plan_get_default() -> Plan | None:
    """The newest plan: what the home page and the commands show when none is named."""
    return Plan.objects.select_related("issuer", "area").order_by("-year", "-issued_on").first()


def plan_communes(plan: Plan) -> QuerySet[PlanCommune]:
    return plan.communes.select_related("commune").order_by("sort_order")


def plan_contents(plan: Plan) -> QuerySet[Content]:
    return plan.contents.prefetch_related(Prefetch("activities")).order_by("sort_order")


def estimates_matching(queryset: QuerySet[Estimate], text: str) -> QuerySet[Estimate]:
    """The estimates whose number, title, purpose or unit holds every word of ``text``,
    ignoring accents and case (``core.search``)."""
    wanted = search_words(text)
    if not wanted:
        return queryset
    queryset = queryset.alias(
        searched=folded(
            Concat(
                "number",
                Value(" "),
                "title",
                Value(" "),
                "purpose",
                Value(" "),
                "unit__name",
                output_field=TextField(),
            )
        )
    )
    for word in wanted:
        queryset = queryset.filter(searched__contains=word)
    return queryset
