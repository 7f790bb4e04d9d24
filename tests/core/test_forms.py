"""``LongSelect`` (the list's drop-down of a district's communes) writes the same HTML as
Django's own ``Select``, escaped the same way, with the chosen option selected."""

from __future__ import annotations

from typing import Any

import pytest
from django import forms
from django.test.html import parse_html

from core.forms import LongSelect
from organization.models import Unit

pytestmark = pytest.mark.django_db


def rendered(widget: forms.Select, value: Any) -> Any:
    field = forms.ModelChoiceField(
        queryset=Unit.objects.order_by("pk"), required=False, widget=widget
    )
    return parse_html(field.widget.render("unit", value, attrs={"id": "id_unit"}))


def test_the_long_select_writes_what_djangos_select_writes(plan: Any) -> None:
    unit = Unit.objects.order_by("pk").last()
    assert unit is not None
    Unit.objects.filter(pk=unit.pk).update(name='Xã <b>"Sì" & Lở\'s</b>')
    for value in (None, "", str(unit.pk), unit.pk):
        assert rendered(LongSelect(label="name"), value) == rendered(forms.Select(), value)
    html = str(rendered(LongSelect(label="name"), unit.pk))
    assert "&lt;b&gt;" in html and "<b>" not in html
    assert html.count("selected") == 1


def test_without_a_label_field_it_writes_what_djangos_select_writes(plan: Any) -> None:
    """The list's other drop-downs (plan, status, content): the choices as Django lists
    them, written without a template per option."""
    from estimates.models import EstimateStatus

    unit = Unit.objects.order_by("pk").last()
    assert unit is not None
    Unit.objects.filter(pk=unit.pk).update(name='Xã <b>"Sì" & Lở\'s</b>')
    for value in (None, "", str(unit.pk)):
        assert rendered(LongSelect(), value) == rendered(forms.Select(), value)
    statuses = [("", "All statuses"), *EstimateStatus.choices]
    for value in ("", "approval"):
        ours = forms.ChoiceField(choices=statuses, required=False, widget=LongSelect)
        theirs = forms.ChoiceField(choices=statuses, required=False)
        assert parse_html(ours.widget.render("status", value)) == parse_html(
            theirs.widget.render("status", value)
        )
    chosen = forms.ChoiceField(choices=statuses, required=False, widget=LongSelect)
    html = str(parse_html(chosen.widget.render("status", "approval")))
    assert html.count("selected") == 1
