"""Forms of the register's pages. They parse what was typed; the rules (eligibility,
norms, one payment per birth) are the services', whose messages the pages put back on the
field they name (``SERVICE_FIELDS``)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from core.forms import CleanTextField, VndField
from core.text import field_limit
from estimates.models import Estimate
from organization.models import Unit, UnitKind

from .models import Beneficiary, Component, Delivery, Ethnicity, Place, PriorityGroup
from .services import BeneficiaryInput, PaymentInput

DATE_WIDGET = forms.DateInput(
    format="%d/%m/%Y", attrs={"placeholder": _("dd/mm/yyyy"), "inputmode": "numeric"}
)

#: The service's field names (``payments.meals.times``) → the form's (``meals_times``).
SERVICE_FIELDS = {
    f"payments.{c}.{part}": f"{c}_{part}"
    for c in Component.values
    for part in ("quantity", "unit_price", "times")
} | {f"payments.{c}": f"{c}_quantity" for c in Component.values}


class BeneficiaryForm(forms.Form):
    full_name = CleanTextField(
        label=_("Full name"), max_length=field_limit(Beneficiary, "full_name")
    )
    date_of_birth = forms.DateField(label=_("Date of birth"), widget=DATE_WIDGET)
    ethnicity = forms.ModelChoiceField(label=_("Ethnicity"), queryset=Ethnicity.objects.none())
    village = forms.ModelChoiceField(label=_("Village of residence"), queryset=Unit.objects.none())
    national_id = forms.CharField(
        label=_("National ID number (12 digits)"),
        max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    groups = forms.ModelMultipleChoiceField(
        label=_("Priority groups"),
        queryset=PriorityGroup.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    birth_date = forms.DateField(label=_("Date of the birth"), widget=DATE_WIDGET)
    place = forms.ChoiceField(label=_("Place of the birth"), choices=Place.choices)
    facility = CleanTextField(
        label=_("Health facility"),
        max_length=field_limit(Beneficiary, "facility"),
        required=False,
    )
    delivery = forms.ChoiceField(label=_("Delivery"), choices=Delivery.choices)
    babies = forms.IntegerField(label=_("Number of babies"), min_value=1, max_value=10, initial=1)
    travel_quantity = forms.IntegerField(
        label=_("Travel: people"), min_value=0, required=False, initial=2
    )
    travel_unit_price = VndField(label=_("Travel: per person"), required=False, initial=100_000)
    kit_quantity = forms.IntegerField(label=_("Kit: packs"), min_value=0, required=False, initial=1)
    kit_unit_price = VndField(label=_("Kit: per pack"), required=False, initial=500_000)
    meals_quantity = forms.IntegerField(
        label=_("Meals: people"), min_value=0, required=False, initial=2
    )
    meals_unit_price = VndField(
        label=_("Meals: per person per day"), required=False, initial=50_000
    )
    meals_times = forms.IntegerField(label=_("Meals: days"), min_value=1, required=False, initial=3)
    nutrition_quantity = forms.IntegerField(
        label=_("Nutrition: times"), min_value=0, required=False, initial=1
    )
    nutrition_unit_price = VndField(label=_("Nutrition: amount"), required=False, initial=1_200_000)

    service_fields = SERVICE_FIELDS

    def __init__(self, *args: Any, estimate: Estimate, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        fields: Any = self.fields
        fields["ethnicity"].queryset = Ethnicity.objects.order_by("sort_order", "name")
        fields["village"].queryset = Unit.objects.filter(
            kind=UnitKind.VILLAGE, parent_id=estimate.unit_id, is_active=True
        ).order_by("sort_order", "name")
        fields["groups"].queryset = PriorityGroup.objects.order_by("sort_order")

    @staticmethod
    def initial_of(b: Beneficiary) -> dict[str, Any]:
        """The form's values for a record being corrected."""
        initial: dict[str, Any] = {
            "full_name": b.full_name,
            "date_of_birth": b.date_of_birth,
            "ethnicity": b.ethnicity_id,
            "village": b.village_id,
            "national_id": b.national_id,
            "groups": [g.pk for g in b.groups.all()],
            "birth_date": b.birth_date,
            "place": b.place,
            "facility": b.facility,
            "delivery": b.delivery,
            "babies": b.babies,
        }
        for c in Component.values:
            initial[f"{c}_quantity"] = None
        for p in b.payments.all():
            initial[f"{p.component}_quantity"] = p.quantity
            initial[f"{p.component}_unit_price"] = p.unit_price
            if p.component == Component.MEALS:
                initial["meals_times"] = p.times
        return initial

    def to_input(self) -> BeneficiaryInput:
        d = self.cleaned_data
        payments: dict[str, PaymentInput] = {}
        for c in Component.values:
            quantity = d.get(f"{c}_quantity")
            if not quantity:
                continue
            payments[c] = PaymentInput(
                quantity=quantity,
                unit_price=d.get(f"{c}_unit_price") or 0,
                times=d.get(f"{c}_times") or 1,
            )
        return BeneficiaryInput(
            full_name=d["full_name"],
            date_of_birth=d["date_of_birth"],
            ethnicity_id=d["ethnicity"].pk,
            village_id=d["village"].pk,
            national_id=d["national_id"],
            birth_date=d["birth_date"],
            place=d["place"],
            facility=d["facility"],
            delivery=d["delivery"],
            babies=d["babies"],
            group_ids=[g.pk for g in d["groups"]],
            payments=payments,
        )


class GroupCountsForm(forms.Form):
    """One box per priority group: how many of the participants belong to it."""

    def __init__(self, *args: Any, groups: list[tuple[PriorityGroup, int]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for group, count in groups:
            self.fields[f"group_{group.pk}"] = forms.IntegerField(
                label=group.name, min_value=0, max_value=1_000_000, initial=count
            )
        self.service_fields = {f"groups.{g.pk}": f"group_{g.pk}" for g, _c in groups}

    def counts(self) -> dict[int, int]:
        return {
            int(name.removeprefix("group_")): value
            for name, value in self.cleaned_data.items()
            if name.startswith("group_")
        }
