"""The filters of the estimate list."""

from __future__ import annotations

import django_filters
from django import forms
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from approvals.access import unit_ids_with
from core.forms import LongSelect
from estimates.models import Content, Estimate, EstimateStatus, Plan
from estimates.selectors import estimates_matching
from organization import permissions as perms
from organization.models import Unit


def _units(request: HttpRequest | None) -> QuerySet[Unit]:
    if request is None:
        return Unit.objects.none()
    return Unit.objects.filter(pk__any=unit_ids_with(request.user, perms.VIEW)).order_by(
        "kind", "sort_order", "name"
    )


class EstimateFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        label=_("Search"),
        method="filter_q",
        max_length=100,
        help_text=_("Number, words of the title or purpose, unit; accents optional."),
    )
    plan = django_filters.ModelChoiceFilter(
        label=_("Plan"),
        queryset=Plan.objects.order_by("-year", "-issued_on", "-pk"),
        empty_label=_("All plans"),
        widget=LongSelect,
    )
    status = django_filters.ChoiceFilter(
        label=_("Status"),
        choices=EstimateStatus.choices,
        empty_label=_("All statuses"),
        widget=LongSelect,
    )
    unit = django_filters.ModelChoiceFilter(
        label=_("Commune"),
        queryset=_units,
        empty_label=_("All units"),
        widget=LongSelect(label="name"),
    )
    content = django_filters.ModelChoiceFilter(
        label=_("Content"),
        queryset=Content.objects.order_by("plan", "sort_order"),
        empty_label=_("All contents"),
        widget=LongSelect,
    )

    def filter_q(self, queryset: QuerySet[Estimate], name: str, value: str) -> QuerySet[Estimate]:
        return estimates_matching(queryset, value)


def filter_summary(filterset: django_filters.FilterSet) -> list[tuple[str, str]]:
    """The filters in force, as (label, value shown) pairs: for the exported workbook's
    header and the printed page. Empty when the filters are unbound or invalid."""
    if not filterset.is_bound or not filterset.is_valid():
        return []
    summary = []
    for name, form_field in filterset.form.fields.items():
        value = filterset.form.cleaned_data.get(name)
        if value in (None, ""):
            continue
        if isinstance(form_field, forms.ModelChoiceField):
            shown = value  # the object itself (listing the choices would query them all)
        else:
            shown = dict(getattr(form_field, "choices", ())).get(value, value)
        summary.append((str(form_field.label), str(shown)))
    return summary


def filter_errors(filterset: django_filters.FilterSet) -> str:
    """The refused filters, each named by its label: "Commune: Select a valid choice…"."""
    return " ".join(
        f"{filterset.form.fields[name].label}: {' '.join(messages)}"
        if name in filterset.form.fields
        else " ".join(messages)
        for name, messages in filterset.form.errors.items()
    )
