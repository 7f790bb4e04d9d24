"""Reads of the reorganisations applied: for the API (read only, under the access gate)."""

from __future__ import annotations

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
