"""The filters of the estimate list."""

from __future__ import annotations

import django_filters
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from approvals.access import unit_ids_with
from estimates.models import Content, EstimateStatus
from organization import permissions as perms
from organization.models import Unit


def _units(request: HttpRequest | None) -> QuerySet[Unit]:
    if request is None:
        return Unit.objects.none()
    return Unit.objects.filter(pk__in=unit_ids_with(request.user, perms.VIEW)).order_by(
        "kind", "sort_order", "name"
    )


class EstimateFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(
        label=_("Status"), choices=EstimateStatus.choices, empty_label=_("All statuses")
    )
    unit = django_filters.ModelChoiceFilter(
        label=_("Commune"), queryset=_units, empty_label=_("All units")
    )
    content = django_filters.ModelChoiceFilter(
        label=_("Content"),
        queryset=Content.objects.order_by("plan", "sort_order"),
        empty_label=_("All contents"),
    )
