"""The filters of the reports, one form for the pages, the API and the export task.

Like the lists, a filter narrows what the access gate lets through and never widens it:
the units offered are those the user may see, and a unit the user may not see is refused
with the same message as one that does not exist (nothing is leaked)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from approvals.access import unit_ids_with
from core.forms import LongSelect
from estimates.models import Activity, Content, EstimateStatus, Plan, Source
from estimates.selectors import plan_default_for
from organization import permissions as perms
from organization.models import Unit


@dataclass(frozen=True)
class ReportQuery:
    """A validated selection: the plan, and the filters that narrow it (None: all)."""

    plan: Plan
    unit: Unit | None = None
    content: Content | None = None
    activity: Activity | None = None
    source: str | None = None
    statuses: tuple[str, ...] = ()
    start_from: dt.date | None = None
    start_to: dt.date | None = None
    issued_from: dt.date | None = None
    issued_to: dt.date | None = None

    def described(self) -> list[tuple[str, str]]:
        """The filters in force, as (label, value) for the header of a report."""
        out: list[tuple[str, str]] = []
        if self.unit is not None:
            out.append((str(_("Unit")), self.unit.name))
        if self.content is not None:
            out.append((str(_("Content")), f"{self.content.code}. {self.content.title}"))
        if self.activity is not None:
            out.append((str(_("Activity")), f"{self.activity.code}. {self.activity.title}"))
        if self.source:
            out.append((str(_("Source")), str(Source(self.source).label)))
        if self.statuses:
            labels = ", ".join(str(EstimateStatus(s).label) for s in self.statuses)
            out.append((str(_("Status")), labels))
        if self.start_from or self.start_to:
            period = f"{_date(self.start_from)} – {_date(self.start_to)}"
            out.append((str(_("Activity starts")), period))
        if self.issued_from or self.issued_to:
            period = f"{_date(self.issued_from)} – {_date(self.issued_to)}"
            out.append((str(_("Decision issued")), period))
        return out


def _date(value: dt.date | None) -> str:
    return value.strftime("%d/%m/%Y") if value else "…"


#: The largest id a filter accepts (the database's 64-bit key): a larger number is a wrong
#: choice, never a database error.
ID_MAX = 2**63 - 1


class IdChoiceField(forms.ModelChoiceField):
    """A choice of a row by id; anything but an id in range is an invalid choice."""

    def to_python(self, value: Any) -> Any:
        if value in self.empty_values:
            return None
        try:
            pk = int(str(value))
        except ValueError:
            pk = 0
        if not 1 <= pk <= ID_MAX:
            raise forms.ValidationError(
                self.error_messages["invalid_choice"], code="invalid_choice"
            )
        return super().to_python(pk)


class ReportFilterForm(forms.Form):
    """Plan, unit (a commune, or the district for district-level money), content, activity,
    source, status and the period of the activity's start date."""

    plan = IdChoiceField(
        label=_("Plan"),
        queryset=Plan.objects.select_related("area", "issuer").order_by("-year", "number"),
        required=False,
        empty_label=_("Newest plan"),
    )
    unit = IdChoiceField(
        label=_("Commune"),
        # the units the user may see (``__init__``), read as (id, name) pairs to draw
        queryset=Unit.objects.none(),
        widget=LongSelect(label="name"),
        required=False,
        empty_label=_("All units"),
        error_messages={
            "invalid_choice": _("You may not see this unit, or it does not exist."),
        },
    )
    content = IdChoiceField(
        label=_("Content"),
        queryset=Content.objects.order_by("plan", "sort_order"),
        required=False,
        empty_label=_("All contents"),
    )
    activity = IdChoiceField(
        label=_("Activity"),
        queryset=Activity.objects.select_related("content").order_by(
            "content__sort_order", "sort_order"
        ),
        required=False,
        empty_label=_("All activities"),
    )
    source = forms.ChoiceField(
        label=_("Source"),
        choices=[("", _("All sources")), *Source.choices],
        required=False,
    )
    status = forms.MultipleChoiceField(
        label=_("Status"), choices=EstimateStatus.choices, required=False
    )
    start_from = forms.DateField(label=_("Activity starts from"), required=False)
    start_to = forms.DateField(label=_("Activity starts until"), required=False)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        # A district role's thousand communes: drawn from (id, name) pairs, the one chosen
        # read alone (not a thousand choices built and checked on every page).
        self.fields["unit"].queryset = Unit.objects.filter(  # type: ignore[attr-defined]
            pk__any=unit_ids_with(user, perms.VIEW)
        ).order_by("kind", "sort_order", "name")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        plan = data.get("plan")
        content, activity = data.get("content"), data.get("activity")
        if plan is not None:
            if content is not None and content.plan_id != plan.pk:
                self.add_error("content", _("This content is not in the plan chosen."))
            if activity is not None and activity.content.plan_id != plan.pk:
                self.add_error("activity", _("This activity is not in the plan chosen."))
        start_from, start_to = data.get("start_from"), data.get("start_to")
        if start_from and start_to and start_to < start_from:
            self.add_error("start_to", _("The end of the period is before its start."))
        return data

    def query(self) -> ReportQuery | None:
        """The selection, once the form is valid; None when no plan is loaded."""
        data = self.cleaned_data
        plan = data.get("plan") or plan_default_for(self.user)
        if plan is None:
            return None
        return ReportQuery(
            plan=plan,
            unit=data.get("unit"),  # one of the units the user may see
            content=data.get("content"),
            activity=data.get("activity"),
            source=data.get("source") or None,
            statuses=tuple(data.get("status") or ()),
            start_from=data.get("start_from"),
            start_to=data.get("start_to"),
            issued_from=data.get("issued_from"),
            issued_to=data.get("issued_to"),
        )


class DecisionFilterForm(ReportFilterForm):
    """The decisions: the report's filters and the period of the decision's date."""

    issued_from = forms.DateField(label=_("Issued from"), required=False)
    issued_to = forms.DateField(label=_("Issued until"), required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        issued_from, issued_to = data.get("issued_from"), data.get("issued_to")
        if issued_from and issued_to and issued_to < issued_from:
            self.add_error("issued_to", _("The end of the period is before its start."))
        return data


def form_errors(form: forms.Form) -> tuple[str, str]:
    """The first error of an invalid form as (field, message), for the API's answer."""
    for name, errors in form.errors.items():
        label = form.fields[name].label if name in form.fields else ""
        message = str(errors[0])
        return name, f"{label}: {message}" if label else message
    return "", ""


class DashboardFilterForm(ReportFilterForm):
    """The dashboard: the report's filters by commune, content, source and status (and
    plan); the charts are of the whole period, so no activity or period filter."""

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, user=user, **kwargs)
        for name in ("activity", "start_from", "start_to"):
            del self.fields[name]
