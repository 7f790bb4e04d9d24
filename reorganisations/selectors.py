"""Reads of the reorganisations applied: for the API (read only, under the access gate)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Prefetch, QuerySet

from approvals.access import estimate_list_for_user

from .models import EstimateMove, Reorganisation, UnitMove


def reorganisation_list() -> QuerySet[Reorganisation]:
    """Every reorganisation applied, newest first, with its units' moves (two queries).
    Which unit succeeded which is public within the product, as the unit tree is."""
    return Reorganisation.objects.prefetch_related(
        Prefetch(
            "unit_moves",
            queryset=UnitMove.objects.select_related("unit", "successor").order_by("pk"),
        )
    ).order_by("-effective_on", "code", "pk")


def estimate_moves_for_user(user: Any, reorganisation: Reorganisation) -> QuerySet[EstimateMove]:
    """The estimates the reorganisation moved that ``user`` may see (the access gate's
    list), one query."""
    return (
        EstimateMove.objects.filter(
            reorganisation=reorganisation,
            estimate__in=estimate_list_for_user(user).values("pk"),
        )
        .select_related("estimate", "from_unit", "to_unit")
        .order_by("pk")
    )


def units_before(as_of: dt.date) -> dict[int, int]:
    """{estimate id: the unit it belonged to on ``as_of``} for the estimates a
    reorganisation effective after that day moved (one query): a report for a period
    before the move shows them where they were."""
    found: dict[int, int] = {}
    for estimate_id, from_unit in (
        EstimateMove.objects.filter(reorganisation__effective_on__gt=as_of)
        .order_by("reorganisation__effective_on", "pk")
        .values_list("estimate_id", "from_unit_id")
    ):
        found.setdefault(estimate_id, from_unit)
    return found


def shares_before(as_of: dt.date) -> dict[tuple[int, str], int]:
    """{(commune id, source): share} of the communes whose shares a reorganisation
    effective after ``as_of`` handed to their successor (one query)."""
    found: dict[tuple[int, str], int] = {}
    for summary in (
        Reorganisation.objects.filter(effective_on__gt=as_of)
        .order_by("effective_on", "pk")
        .values_list("summary", flat=True)
    ):
        for share in (summary or {}).get("shares", []):
            found.setdefault((int(share["from"]), str(share["source"])), int(share["amount"]))
    return found
