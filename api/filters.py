"""Query filters of the lists. They narrow what the access gate already let through; they
never widen it."""

from __future__ import annotations

import datetime as dt
from typing import Any

import django_filters
from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field

from estimates.models import Estimate, EstimateStatus, Level, Source
from estimates.selectors import estimates_matching

from .serializers import ID_MAX


@extend_schema_field({"type": "integer", "format": "int64", "minimum": 1, "maximum": ID_MAX})
class IdFilter(django_filters.NumberFilter):
    field_class = forms.IntegerField

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", ID_MAX)
        super().__init__(*args, **kwargs)


class UtcIsoDateTimeField(django_filters.fields.IsoDateTimeField):
    """An ISO 8601 instant, turned to UTC before it reaches the database (PostgreSQL
    refuses offsets beyond ±15:59; Python accepts up to ±23:59)."""

    def to_python(self, value: Any) -> dt.datetime | None:
        parsed = super().to_python(value)
        if parsed is None:
            return None
        try:
            return parsed.astimezone(dt.UTC)
        except OverflowError:
            raise forms.ValidationError(
                _("Enter a date and time between years 1 and 9999.")
            ) from None


class UtcIsoDateTimeFilter(django_filters.IsoDateTimeFilter):
    field_class = UtcIsoDateTimeField


class EstimateFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        method="filter_q",
        max_length=100,
        help_text=(
            "Words to find in the number, title, purpose or unit name, all of them, "
            "ignoring accents and case (`si lo lau` finds Sì Lở Lầu)."
        ),
    )
    plan = IdFilter(field_name="plan_id", help_text="Plan id.")
    commune = IdFilter(
        field_name="unit_id",
        help_text="Id of the spending unit: a commune, or the district for district level.",
    )
    level = django_filters.ChoiceFilter(choices=Level.choices)
    content = IdFilter(field_name="content_id", help_text="Programme content id.")
    content_code = django_filters.CharFilter(
        field_name="content__code", max_length=10, help_text="Programme content code (1-4, 5)."
    )
    activity = IdFilter(field_name="activity_id", help_text="Activity id.")
    source = django_filters.ChoiceFilter(
        choices=Source.choices,
        method="filter_source",
        help_text="Estimates with at least one line on this funding source.",
    )
    # ``distinct=False``: the status is the estimate's own column, no join can repeat a row
    # (django-filter's default DISTINCT made the page count compare every column of every
    # visible estimate: 160 ms at 100,000 for a district role).
    status = django_filters.MultipleChoiceFilter(
        choices=EstimateStatus.choices,
        distinct=False,
        help_text="One or more statuses (repeat the parameter).",
    )
    start_from = django_filters.DateFilter(
        field_name="start_date", lookup_expr="gte", help_text="Activity starts on or after."
    )
    start_to = django_filters.DateFilter(
        field_name="start_date", lookup_expr="lte", help_text="Activity starts on or before."
    )
    created_from = django_filters.DateFilter(
        field_name="created_at__date", lookup_expr="gte", help_text="Created on or after."
    )
    created_to = django_filters.DateFilter(
        field_name="created_at__date", lookup_expr="lte", help_text="Created on or before."
    )
    changed_since = UtcIsoDateTimeFilter(
        field_name="status_changed_at",
        lookup_expr="gte",
        help_text="Status changed at or after this instant (ISO 8601).",
    )
    ordering = django_filters.OrderingFilter(
        fields=(
            ("created_at", "created_at"),
            ("status_changed_at", "status_changed_at"),
            ("start_date", "start_date"),
            ("number", "number"),
            ("total_amount", "total_amount"),
        ),
        help_text="Sort key; the id breaks ties. Default: newest first.",
    )

    class Meta:
        model = Estimate
        fields: list[str] = []

    def filter_q(self, queryset: QuerySet[Estimate], name: str, value: str) -> Any:
        return estimates_matching(queryset, value)

    def filter_source(self, queryset: QuerySet[Estimate], name: str, value: str) -> Any:
        return queryset.filter(lines__source=value).distinct()
