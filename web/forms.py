"""Forms of the estimate pages. Each lists its fields explicitly: whatever else is posted
(status, approved amounts, unit of an existing estimate, author...) is never read.

Forms only parse what was typed; the rules are in ``approvals.services``, whose
``RuleViolation`` messages the views put back on the field they name (``add_service_error``).
Text is cleaned as the API and the services clean it (``core.text``), within the limit of
the model field it is stored in.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from approvals.lifecycle import return_choices
from approvals.models import AuditEntry
from approvals.services import (
    MAX_LINES,
    AmendmentLineInput,
    EstimateInput,
    LineCut,
    LineInput,
    participants_counted,
)
from attachments.files import ACCEPT_ATTRIBUTE
from attachments.models import AttachmentKind
from core.forms import CleanTextField, VndField
from core.money import format_vnd
from core.text import field_limit
from estimates.models import Activity, Estimate, EstimateLine, Norm, Plan, Source
from ledger.models import (
    Disbursement,
    DisbursementKind,
    DocumentType,
    NormOverride,
    Settlement,
    SettlementLine,
)
from organization.models import Unit, UnitKind

DATE_WIDGET = forms.DateInput(
    format="%d/%m/%Y", attrs={"placeholder": _("dd/mm/yyyy"), "inputmode": "numeric"}
)


class UnitChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Unit) -> str:
        return obj.name


class VillageChoiceField(forms.ModelMultipleChoiceField):
    #: Name the commune too (set when the user may draft for several units).
    with_commune = False

    def label_from_instance(self, obj: Unit) -> str:
        return f"{obj.parent} · {obj.name}" if self.with_commune and obj.parent else obj.name


class ActivityChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Activity) -> str:
        return f"{obj.code} {obj.title}"


class EstimateForm(forms.Form):
    """The header of an estimate. ``units`` are the units the user may draft for (create
    only; an existing estimate keeps its unit)."""

    unit = UnitChoiceField(label=_("Spending unit"), queryset=Unit.objects.none())
    activity = ActivityChoiceField(label=_("Activity"), queryset=Activity.objects.none())
    title = CleanTextField(label=_("Title"), max_length=field_limit(Estimate, "title"))
    purpose = CleanTextField(
        label=_("Purpose"),
        required=False,
        max_length=field_limit(Estimate, "purpose"),
        multiline=True,
        widget=forms.Textarea({"rows": 3}),
    )
    start_date = forms.DateField(label=_("Start date"), widget=DATE_WIDGET)
    end_date = forms.DateField(label=_("End date"), widget=DATE_WIDGET)
    villages = VillageChoiceField(
        label=_("Villages served"),
        queryset=Unit.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    participants_women = forms.IntegerField(
        label=_("Women"), min_value=0, max_value=1_000_000, initial=0
    )
    participants_girls = forms.IntegerField(
        label=_("Girls"), min_value=0, max_value=1_000_000, initial=0
    )
    participants_men = forms.IntegerField(
        label=_("Men"), min_value=0, max_value=1_000_000, initial=0
    )

    def __init__(
        self,
        *args: Any,
        plan: Plan,
        units: QuerySet[Unit] | None = None,
        unit: Unit | None = None,
        counted: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        fields: Any = self.fields
        if counted:  # a register activity: the women are its beneficiaries
            fields["participants_women"].disabled = True
            fields["participants_women"].help_text = _(
                "Counted from the beneficiary list: register or remove mothers to change it."
            )
        fields["activity"].queryset = Activity.objects.filter(content__plan=plan).order_by(
            "content__sort_order", "sort_order"
        )
        if unit is not None:  # editing: the unit is fixed
            del self.fields["unit"]
            parents: Iterable[int] = [unit.pk]
        else:
            units = units if units is not None else Unit.objects.none()
            fields["unit"].queryset = units
            parents = units.values_list("pk", flat=True)
            if len(units) == 1:
                fields["unit"].initial = units[0].pk
            else:
                fields["villages"].with_commune = True
        self.fixed_unit = unit
        fields["villages"].queryset = (
            Unit.objects.filter(kind=UnitKind.VILLAGE, parent_id__in=parents)
            .select_related("parent")
            .order_by("parent__sort_order", "sort_order", "name")
        )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        unit = self.fixed_unit or data.get("unit")
        villages = data.get("villages") or []
        if unit is not None and any(v.parent_id != unit.pk for v in villages):
            self.add_error("villages", _("Choose villages of %(unit)s only.") % {"unit": unit})
        start, end = data.get("start_date"), data.get("end_date")
        if start and end and end < start:
            self.add_error("end_date", _("The activity ends before it starts."))
        return data

    @classmethod
    def initial_for(cls, estimate: Estimate) -> dict[str, Any]:
        return {
            "activity": estimate.activity_id,
            "title": estimate.title,
            "purpose": estimate.purpose,
            "start_date": estimate.start_date,
            "end_date": estimate.end_date,
            "villages": list(estimate.villages.all()),
            "participants_women": estimate.participants_women,
            "participants_girls": estimate.participants_girls,
            "participants_men": estimate.participants_men,
        }


class NormChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Norm) -> str:
        return f"{obj.item} ({obj.citation})"


class LineForm(forms.Form):
    """One cost line. The amount is computed on the server."""

    line_id = forms.IntegerField(required=False, widget=forms.HiddenInput)
    description = CleanTextField(
        label=_("Description"), max_length=field_limit(EstimateLine, "description")
    )
    unit_of_measure = CleanTextField(
        label=_("Unit of measure"), max_length=field_limit(EstimateLine, "unit_of_measure")
    )
    quantity = forms.IntegerField(label=_("Quantity"), min_value=1, max_value=1_000_000)
    unit_price = VndField(label=_("Unit price (đồng)"), min_value=1)
    times = forms.IntegerField(label=_("Days / times"), min_value=1, max_value=10_000, initial=1)
    source = forms.ChoiceField(
        label=_("Funding source"), choices=Source.choices, initial=Source.CURRENT
    )
    norm = NormChoiceField(
        label=_("Cost norm"), queryset=Norm.objects.all(), required=False, empty_label="—"
    )

    def line_input(self) -> LineInput:
        d = self.cleaned_data
        return LineInput(
            description=d["description"],
            unit_of_measure=d["unit_of_measure"],
            quantity=d["quantity"],
            unit_price=d["unit_price"],
            times=d["times"],
            source=d["source"],
            norm_id=d["norm"].pk if d.get("norm") else None,
            line_id=d.get("line_id"),
        )


class BaseLineFormSet(forms.BaseFormSet):
    def filled_forms(self) -> list[LineForm]:
        """The rows that hold a line: existing lines and filled new rows, unless ticked
        for deletion."""
        initial = self.initial_form_count()
        return [
            form
            for i, form in enumerate(self.forms)
            if (i < initial or form.has_changed()) and not form.cleaned_data.get("DELETE")
        ]


#: Blank rows offered under the lines, so "add a line" works without JavaScript.
BLANK_ROWS = 2
LineFormSet = forms.formset_factory(
    LineForm,
    formset=BaseLineFormSet,
    extra=BLANK_ROWS,
    can_delete=True,
    max_num=MAX_LINES,
    validate_max=True,
    absolute_max=MAX_LINES,
)


def line_initial(lines: Iterable[EstimateLine]) -> list[dict[str, Any]]:
    return [
        {
            "line_id": line.pk,
            "description": line.description,
            "unit_of_measure": line.unit_of_measure,
            "quantity": line.quantity,
            "unit_price": line.unit_price,
            "times": line.times,
            "source": line.source,
            "norm": line.norm_id,
        }
        for line in lines
    ]


def estimate_input(
    form: EstimateForm, lines: list[LineForm], estimate: Estimate | None = None
) -> EstimateInput:
    """The service's input from the form. For an activity whose women are counted from
    its beneficiary list, the typed count is ignored: the list's is sent."""
    d = form.cleaned_data
    counted = participants_counted(estimate, d["activity"])
    return EstimateInput(
        activity_id=d["activity"].pk,
        title=d["title"],
        purpose=d["purpose"],
        start_date=d["start_date"],
        end_date=d["end_date"],
        village_ids=[v.pk for v in d["villages"]],
        participants_women=d["participants_women"] if counted is None else counted,
        participants_girls=d["participants_girls"],
        participants_men=d["participants_men"],
        lines=[line.line_input() for line in lines],
    )


# ---------------------------------------------------------------------------------------
# Actions

#: A transition's comment or reason is kept in its audit entry.
COMMENT_LIMIT = field_limit(AuditEntry, "comment")


class CommentForm(forms.Form):
    comment = CleanTextField(
        label=_("Comment (optional)"), required=False, max_length=COMMENT_LIMIT, multiline=True
    )


RETURN_LABELS = {
    "drafter": _("to the drafting unit"),
    "review": _("to the Women's Union above the commune (review)"),
    "appraisal": _("to Finance-Planning (appraisal)"),
}


class ReasonForm(forms.Form):
    """A return's reason (an estimate's or an amendment's)."""

    reason = CleanTextField(
        label=_("Reason for returning"),
        max_length=COMMENT_LIMIT,
        multiline=True,
        widget=forms.Textarea({"rows": 3}),
    )

    #: Service field names -> form field names.
    service_fields = {"comment": "reason"}


class ReturnForm(ReasonForm):
    to = forms.ChoiceField(label=_("Return"), widget=forms.RadioSelect)

    def __init__(self, *args: Any, estimate: Estimate, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        targets = return_choices(estimate.status, estimate.route)
        field: Any = self.fields["to"]
        field.choices = [(t, RETURN_LABELS[t]) for t in targets]
        if targets:
            field.initial = targets[0]


class WithdrawForm(forms.Form):
    reason = CleanTextField(
        label=_("Reason for withdrawing"),
        max_length=COMMENT_LIMIT,
        multiline=True,
        widget=forms.Textarea({"rows": 3}),
    )
    confirm = forms.BooleanField(
        label=_("I confirm: the estimate will be withdrawn for good."), required=True
    )
    service_fields = {"comment": "reason"}


class AmendmentWithdrawForm(WithdrawForm):
    confirm = forms.BooleanField(
        label=_("I confirm: the amendment will be withdrawn; the estimate stays as approved."),
        required=True,
    )


class ApproveForm(CommentForm):
    confirm = forms.BooleanField(
        label=_("I confirm the approval of the appraised amounts."), required=True
    )

    def __init__(self, *args: Any, amount: int | None = None, words: str = "", **kwargs: Any):
        super().__init__(*args, **kwargs)
        if amount is not None:
            self.fields["confirm"].label = _("I approve %(amount)s (%(words)s).") % {
                "amount": format_vnd(amount),
                "words": words,
            }


class AppraiseForm(forms.Form):
    """One appraised amount (and reason, when changed) per line, an optional comment and
    an optional written reason to override the cost norms."""

    comment = CleanTextField(
        label=_("Comment (optional)"), required=False, max_length=COMMENT_LIMIT, multiline=True
    )
    norm_override_reason = CleanTextField(
        label=_("Reason to override the cost norms (only if a line breaks a norm)"),
        required=False,
        max_length=field_limit(NormOverride, "reason"),
        multiline=True,
    )

    def __init__(self, *args: Any, lines: list[EstimateLine], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lines = lines
        for line in lines:
            self.fields[f"line-{line.pk}"] = VndField(
                label=_("Appraised amount, line %(n)s") % {"n": line.position},
                initial=line.appraised_amount if line.appraised_amount is not None else line.amount,
            )
            self.fields[f"line-{line.pk}"].widget.attrs["data-amount"] = ""
            self.fields[f"reason-{line.pk}"] = CleanTextField(
                label=_("Reason for the change, line %(n)s") % {"n": line.position},
                required=False,
                max_length=field_limit(EstimateLine, "appraisal_note"),
            )

    def rows(self) -> list[tuple[EstimateLine, Any, Any]]:
        return [(line, self[f"line-{line.pk}"], self[f"reason-{line.pk}"]) for line in self.lines]

    def clean(self) -> dict[str, Any]:
        """Every line's refusal at once (the service checks the same again): an amount
        above the requested one, a change without its reason."""
        data = super().clean() or {}
        for line in self.lines:
            amount = data.get(f"line-{line.pk}")
            if amount is None:
                continue
            if amount > line.amount:
                self.add_error(
                    f"line-{line.pk}",
                    _(
                        "Line %(n)s: appraisal may lower a line, never raise it (requested "
                        "%(amount)s)."
                    )
                    % {"n": line.position, "amount": format_vnd(line.amount)},
                )
            elif (
                amount != line.amount
                and not data.get(f"reason-{line.pk}")
                and f"reason-{line.pk}" not in self.errors
            ):
                self.add_error(
                    f"reason-{line.pk}",
                    _("Line %(n)s: give the reason for the change.") % {"n": line.position},
                )
        return data

    def cuts(self) -> list[LineCut]:
        d = self.cleaned_data
        return [
            LineCut(
                line_id=line.pk,
                appraised_amount=d[f"line-{line.pk}"],
                reason=d.get(f"reason-{line.pk}", ""),
            )
            for line in self.lines
        ]


# ---------------------------------------------------------------------------------------
# Acting for a colleague


class PersonChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return str(obj.get_full_name() or obj.get_username())


def acting_for_offer(form: forms.Form, options: list[Any]) -> forms.Form:
    """Offer "Acting for" (blank = myself) on an action form when the user holds a
    delegation for this act; without one the field is absent and a posted value is ignored.
    The service checks the delegation again."""
    if options:
        form.fields["acting_for"] = PersonChoiceField(
            label=_("Acting for"),
            queryset=get_user_model().objects.filter(pk__in=[u.pk for u in options]),
            required=False,
            empty_label=_("Myself"),
        )
    return form


# ---------------------------------------------------------------------------------------
# Money


class DisburseForm(forms.Form):
    """An advance or a payment on an approved estimate (the treasurer/accountant)."""

    kind = forms.ChoiceField(
        label=_("Kind"), choices=DisbursementKind.choices, widget=forms.RadioSelect
    )
    paid_on = forms.DateField(label=_("Date paid"), widget=DATE_WIDGET)
    amount = VndField(label=_("Amount (đồng)"), min_value=1)
    source = forms.ChoiceField(label=_("Funding source"), choices=Source.choices)
    document_type = forms.ChoiceField(label=_("Document type"), choices=DocumentType.choices)
    document_number = CleanTextField(
        label=_("Document number"), max_length=field_limit(Disbursement, "document_number")
    )
    payee = CleanTextField(label=_("Payee"), max_length=field_limit(Disbursement, "payee"))
    note = CleanTextField(
        label=_("Note (optional)"),
        required=False,
        max_length=field_limit(Disbursement, "note"),
        multiline=True,
    )

    def __init__(self, *args: Any, sources: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field: Any = self.fields["source"]
        field.choices = sources
        if len(sources) == 1:
            field.initial = sources[0][0]


class ClearAdvanceForm(forms.Form):
    cleared_on = forms.DateField(label=_("Cleared on"), widget=DATE_WIDGET)
    document = CleanTextField(
        label=_("Clearance document"), max_length=field_limit(Disbursement, "clearance_document")
    )


SERVICE_LINE = re.compile(r"^lines\[(\d+)\]\.(spent|note)$")


class SettleForm(forms.Form):
    """The spending unit's settlement: spent per approved line, then what happens to the
    rest. The service checks that spent + returned + carried over = disbursed."""

    returned = VndField(label=_("Returned to the budget (đồng)"), initial=0, required=False)
    return_document = CleanTextField(
        label=_("Return document number"),
        required=False,
        max_length=field_limit(Settlement, "return_document"),
    )
    carried = VndField(label=_("Carried over (đồng)"), initial=0, required=False)
    carried_use_by = forms.DateField(
        label=_("Carried-over money usable until"), required=False, widget=DATE_WIDGET
    )
    settled_on = forms.DateField(
        label=_("Settlement date"),
        required=False,
        widget=DATE_WIDGET,
        help_text=_("Blank: today. Not before the last payment."),
    )
    comment = CleanTextField(
        label=_("Comment (optional)"), required=False, max_length=COMMENT_LIMIT, multiline=True
    )

    def __init__(
        self,
        *args: Any,
        lines: list[EstimateLine],
        reported: dict[int, tuple[int, str]] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.lines = lines
        reported = reported or {}
        for line in lines:
            spent, note = reported.get(line.pk, (None, ""))
            self.fields[f"spent-{line.pk}"] = VndField(
                label=_("Spent, line %(n)s") % {"n": line.position}, initial=spent
            )
            self.fields[f"spent-{line.pk}"].widget.attrs["data-amount"] = ""
            self.fields[f"note-{line.pk}"] = CleanTextField(
                label=_("Note, line %(n)s") % {"n": line.position},
                required=False,
                max_length=field_limit(SettlementLine, "note"),
                initial=note,
            )

    def rows(self) -> list[tuple[EstimateLine, Any, Any]]:
        return [(line, self[f"spent-{line.pk}"], self[f"note-{line.pk}"]) for line in self.lines]

    def service_field(self, field: str | None) -> str | None:
        """The service names a line by its place in :meth:`line_reports`
        (``lines[2].spent``); the form's field is ``spent-<line id>``."""
        match = SERVICE_LINE.match(field or "")
        if match is None or int(match.group(1)) >= len(self.lines):
            return None
        return f"{match.group(2)}-{self.lines[int(match.group(1))].pk}"

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for name in ("returned", "carried"):
            if data.get(name) is None and name not in self.errors:
                data[name] = 0
        for line in self.lines:  # every line's refusal at once (the service checks again)
            spent = data.get(f"spent-{line.pk}")
            if spent is not None and spent > (line.approved_amount or 0):
                self.add_error(
                    f"spent-{line.pk}",
                    _("Line %(pos)s: %(spent)s spent is more than the %(approved)s approved.")
                    % {
                        "pos": line.position,
                        "spent": format_vnd(spent),
                        "approved": format_vnd(line.approved_amount or 0),
                    },
                )
        return data

    def line_reports(self) -> list[dict[str, Any]]:
        d = self.cleaned_data
        return [
            {"line_id": line.pk, "spent": d[f"spent-{line.pk}"], "note": d[f"note-{line.pk}"]}
            for line in self.lines
        ]


class VerifySettlementForm(CommentForm):
    confirm = forms.BooleanField(
        label=_("I confirm: the settlement is verified and the estimate is closed for good."),
        required=True,
    )


class ReturnSettlementForm(forms.Form):
    reason = CleanTextField(
        label=_("What must be corrected"),
        max_length=field_limit(Settlement, "reopen_reason"),
        multiline=True,
        widget=forms.Textarea({"rows": 3}),
    )
    service_fields = {"comment": "reason"}


class SubEnvelopeForm(forms.Form):
    """A commune's share of the commune-level cell of one source."""

    commune = UnitChoiceField(label=_("Commune"), queryset=Unit.objects.none())
    source = forms.ChoiceField(label=_("Funding source"), choices=Source.choices)
    amount = VndField(label=_("Share (đồng)"))

    def __init__(self, *args: Any, communes: QuerySet[Unit], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field: Any = self.fields["commune"]
        field.queryset = communes


class AttachmentForm(forms.Form):
    """Attach a document (or a new version of one: ``replaces``). Offers only the kinds the
    user may attach now and, for a treasury voucher, the estimate's disbursements; the
    service decides (the type is read from the file's content, not its name)."""

    kind = forms.ChoiceField(label=_("What it is"), choices=[])
    disbursement = forms.TypedChoiceField(
        label=_("Disbursement (for a treasury voucher)"),
        coerce=int,
        required=False,
        empty_value=None,
        choices=[],
    )
    file = forms.FileField(label=_("File"))
    replaces = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)

    def __init__(
        self,
        *args: Any,
        kinds: Iterable[str],
        disbursements: Iterable[Disbursement] = (),
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        kinds = list(kinds)
        kind: Any = self.fields["kind"]
        kind.choices = [(k, AttachmentKind(k).label) for k in kinds]
        payments = list(disbursements)
        if AttachmentKind.TREASURY_VOUCHER in kinds and payments:
            disbursement: Any = self.fields["disbursement"]
            disbursement.choices = [
                ("", "—"),
                *(
                    (
                        d.pk,
                        f"{d.paid_on:%d/%m/%Y} · {d.get_kind_display()} · "
                        f"{d.document_number} · {format_vnd(d.amount)}",
                    )
                    for d in payments
                ),
            ]
        else:
            del self.fields["disbursement"]
        self.fields["file"].widget.attrs["accept"] = ACCEPT_ATTRIBUTE


class AmendmentForm(forms.Form):
    """An amendment of an approved estimate: per line its quantity, unit price and days
    (shown with the figures in force), the dates and the reason. Only the lines whose
    figures change are sent to the service."""

    start_date = forms.DateField(label=_("Start date"), widget=DATE_WIDGET)
    end_date = forms.DateField(label=_("End date"), widget=DATE_WIDGET)
    reason = CleanTextField(
        label=_("Reason for the amendment"),
        max_length=field_limit(AuditEntry, "comment"),
        multiline=True,
        widget=forms.Textarea({"rows": 3}),
    )
    service_fields = {"comment": "reason"}

    def __init__(
        self, *args: Any, estimate: Estimate, lines: list[EstimateLine], **kwargs: Any
    ) -> None:
        kwargs.setdefault(
            "initial", {"start_date": estimate.start_date, "end_date": estimate.end_date}
        )
        super().__init__(*args, **kwargs)
        self.lines = lines
        for line in lines:
            self.fields[f"line-{line.pk}-quantity"] = forms.IntegerField(
                label=_("Quantity"), min_value=1, max_value=1_000_000, initial=line.quantity
            )
            self.fields[f"line-{line.pk}-unit_price"] = VndField(
                label=_("Unit price (đồng)"), min_value=1, initial=line.unit_price
            )
            self.fields[f"line-{line.pk}-times"] = forms.IntegerField(
                label=_("Days / times"), min_value=1, max_value=10_000, initial=line.times
            )

    def rows(self) -> list[tuple[EstimateLine, Any, Any, Any]]:
        """Per line: the line and its three bound fields (for the template)."""
        return [
            (
                line,
                self[f"line-{line.pk}-quantity"],
                self[f"line-{line.pk}-unit_price"],
                self[f"line-{line.pk}-times"],
            )
            for line in self.lines
        ]

    def line_inputs(self) -> list[AmendmentLineInput]:
        """The lines whose figures differ from those in force."""
        d = self.cleaned_data
        given = []
        for line in self.lines:
            q, p, t = (d[f"line-{line.pk}-{name}"] for name in ("quantity", "unit_price", "times"))
            if (q, p, t) != (line.quantity, line.unit_price, line.times) or (
                q * p * t != (line.approved_amount or 0)
            ):
                given.append(AmendmentLineInput(line.pk, q, p, t))
        return given
