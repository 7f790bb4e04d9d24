"""The progress reports' pages: the list and a new report, a report with its actions, the
commune's edit form, a period's status (who has not reported, remind, consolidate), the
district report's exports, and the indicators with their targets. Thin: read through
``progress.access`` and ``progress.selectors``, call one service, redirect."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from core.auth import request_user
from core.errors import DomainError, Forbidden
from core.forms import CleanTextField
from core.text import LONG_TEXT, field_limit
from organization import permissions as perms
from progress import selectors, services
from progress.access import access_report, may_set_targets, report_actions_allowed
from progress.exports import district_report_pdf, district_report_workbook
from progress.models import Indicator, ProgressReport, ReportActivity
from progress.services import ActivityInput, ReportInput, ValueInput
from reports.responses import file_response
from reports.xlsx import XLSX
from web.views.lists import list_page

#: Reports per page.
PAGE_SIZE = 50


class NewReportForm(forms.Form):
    period = forms.ChoiceField(label=gettext_lazy("Period"))
    unit = forms.ChoiceField(label=gettext_lazy("Commune"))

    def __init__(self, *args: Any, periods: Any, units: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        period: Any = self.fields["period"]
        period.choices = [(p.pk, p.label) for p in periods]
        unit: Any = self.fields["unit"]
        unit.choices = [(u.pk, u.name) for u in units]


class ReturnForm(forms.Form):
    reason = CleanTextField(
        label=gettext_lazy("Reason for return"), max_length=LONG_TEXT, multiline=True
    )


def _domain_error(form: forms.Form, exc: DomainError, names: dict[str, str] | None = None) -> None:
    field = (names or {}).get(exc.field or "", exc.field)
    form.add_error(field if field in form.fields else None, exc.message)


@require_GET
def report_list(request: HttpRequest) -> HttpResponse:
    user = request_user(request)
    rows = selectors.report_rows_for_user(user)
    page = list_page(request, rows, PAGE_SIZE)
    context = {
        "page": page,
        "new_form": _new_form(user),
        "periods": selectors.periods_for_user(user),
    }
    return render(request, "progress/list.html", context)


def _new_form(user: Any, data: Any = None) -> NewReportForm | None:
    units = selectors.communes_reported_by(user)
    if not units:
        return None
    return NewReportForm(data, periods=selectors.periods_started(), units=units)


@require_POST
def report_create(request: HttpRequest) -> HttpResponse:
    user = request_user(request)
    form = _new_form(user, request.POST)
    if form is None:
        raise Forbidden(_("Your role does not draft progress reports."))
    if form.is_valid():
        try:
            report = services.report_create(
                actor=user, period_id=form.cleaned_data["period"], unit_id=form.cleaned_data["unit"]
            )
        except DomainError as exc:
            _domain_error(form, exc)
        else:
            return redirect("progress:report_update", report.pk)
    page = list_page(request, selectors.report_rows_for_user(user), PAGE_SIZE)
    return render(
        request,
        "progress/list.html",
        {"page": page, "new_form": form, "periods": selectors.periods_for_user(user)},
        status=400,
    )


@require_GET
def report_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = request_user(request)
    report = access_report(user, pk, queryset=selectors.report_detail_queryset())
    context = {
        "report": report,
        "actions": report_actions_allowed(user, [report])[report.pk],
        "return_form": ReturnForm(),
        **selectors.report_content(report),
    }
    return render(request, "progress/detail.html", context)


class ReportForm(forms.Form):
    """The commune's report: its texts, a row per activity of the plan run at commune
    level (left empty when nothing was held), a result per commune indicator."""

    ROW_FIELDS = (
        "held",
        "held_from",
        "held_to",
        "place",
        "participants_women",
        "participants_girls",
        "participants_men",
    )

    def __init__(self, *args: Any, report: ProgressReport, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.report = report
        self.activities, self.indicators = selectors.report_choices(report)
        #: One number per priority group of the plan (``beneficiaries.PriorityGroup``).
        self.groups = selectors.priority_groups()
        self.fields["difficulties"] = CleanTextField(
            label=_("Difficulties"), max_length=LONG_TEXT, multiline=True, required=False
        )
        self.fields["proposals"] = CleanTextField(
            label=_("Proposals"), max_length=LONG_TEXT, multiline=True, required=False
        )
        place = field_limit(ReportActivity, "place")
        for a in self.activities:
            p = f"a{a.pk}_"
            self.fields[p + "held"] = CleanTextField(
                label=_("What was held"), max_length=LONG_TEXT, multiline=True, required=False
            )
            self.fields[p + "held_from"] = forms.CharField(label=_("From"), required=False)
            self.fields[p + "held_to"] = forms.CharField(label=_("Until"), required=False)
            self.fields[p + "place"] = CleanTextField(
                label=_("Where"), max_length=place, required=False
            )
            for sex, label in (
                ("women", _("Women")),
                ("girls", _("Girls")),
                ("men", _("Men and boys")),
            ):
                self.fields[f"{p}participants_{sex}"] = forms.CharField(label=label, required=False)
            for g in self.groups:
                self.fields[f"{p}group_{g.code}"] = forms.CharField(label=g.name, required=False)
        for i in self.indicators:
            self.fields[f"v{i.pk}"] = forms.CharField(label=i.name, required=False)
        if not self.is_bound:
            self.initial = selectors.report_form_initial(report)

    def _row_names(self) -> tuple[str, ...]:
        return (*self.ROW_FIELDS, *(f"group_{g.code}" for g in self.groups))

    def rows(self) -> list[tuple[Any, list[forms.BoundField]]]:
        names = self._row_names()
        return [(a, [self[f"a{a.pk}_{n}"] for n in names]) for a in self.activities]

    def value_fields(self) -> list[tuple[Indicator, forms.BoundField]]:
        return [(i, self[f"v{i.pk}"]) for i in self.indicators]

    def to_input(self) -> tuple[ReportInput, dict[str, str]]:
        """The service's input, and where each of its field names lands in this form."""
        data = self.cleaned_data
        rows: list[ActivityInput] = []
        names: dict[str, str] = {}
        for a in self.activities:
            p = f"a{a.pk}_"
            if not any(data.get(p + n) for n in self._row_names()):
                continue
            index = len(rows)
            for n in self.ROW_FIELDS:
                names[f"activities[{index}].{n}"] = p + n
            groups: dict[str, str] = {}
            for g in self.groups:
                given = data.get(f"{p}group_{g.code}") or ""
                if given.strip():
                    groups[g.code] = given.strip()
                names[f"activities[{index}].group_counts.{g.code}"] = f"{p}group_{g.code}"
            rows.append(
                ActivityInput(
                    activity_id=a.pk,
                    group_counts=groups,
                    **{
                        n: data.get(p + n) or (0 if n.startswith("part") else "")
                        for n in self.ROW_FIELDS
                    },
                )
            )
        values: list[ValueInput] = []
        for i in self.indicators:
            text = data.get(f"v{i.pk}", "")
            if text in ("", None):
                continue
            names[f"values[{len(values)}].value"] = f"v{i.pk}"
            values.append(ValueInput(indicator_id=i.pk, value=text))
        return (
            ReportInput(
                difficulties=data.get("difficulties", ""),
                proposals=data.get("proposals", ""),
                activities=rows,
                values=values,
            ),
            names,
        )


def report_update(request: HttpRequest, pk: int) -> HttpResponse:
    user = request_user(request)
    report = access_report(user, pk, perm=perms.DRAFT)
    form = ReportForm(request.POST or None, report=report)
    if request.method == "POST" and form.is_valid():
        data, names = form.to_input()
        if not form.errors:
            try:
                services.report_update(actor=user, report_id=report.pk, data=data)
            except DomainError as exc:
                _domain_error(form, exc, names)
            else:
                messages.success(request, _("The report was saved."))
                return redirect("progress:report_detail", report.pk)
    status = 400 if form.errors else 200
    return render(request, "progress/form.html", {"report": report, "form": form}, status=status)


def _act(request: HttpRequest, pk: int, call: Any, done: str) -> HttpResponse:
    """Run ``call`` on the report; ``done``: the key of the words said after it (in the words
    of the report's plan, :mod:`progress.words`) or the message itself."""
    user = request_user(request)
    report = access_report(user, pk, queryset=ProgressReport.objects.select_related("plan__area"))
    try:
        result = call(user, report)
    except DomainError as exc:
        if isinstance(exc, Forbidden):
            raise
        messages.error(request, exc.message)
        return redirect("progress:report_detail", report.pk)
    messages.success(request, report.words.get(done, done))
    return redirect("progress:report_detail", result.pk)


@require_POST
def report_submit(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(
        request,
        pk,
        lambda u, r: services.report_submit(actor=u, report_id=r.pk),
        "submitted",
    )


@require_POST
def report_accept(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(
        request,
        pk,
        lambda u, r: services.report_accept(actor=u, report_id=r.pk),
        _("The report was accepted."),
    )


@require_POST
def report_return(request: HttpRequest, pk: int) -> HttpResponse:
    user = request_user(request)
    report = access_report(user, pk, queryset=selectors.report_detail_queryset())
    form = ReturnForm(request.POST)
    if form.is_valid():
        try:
            services.report_return(
                actor=user, report_id=report.pk, reason=form.cleaned_data["reason"]
            )
        except DomainError as exc:
            if isinstance(exc, Forbidden):
                raise
            _domain_error(form, exc)
        else:
            messages.success(request, _("The report was returned to the commune."))
            return redirect("progress:report_detail", report.pk)
    context = {
        "report": report,
        "actions": report_actions_allowed(user, [report])[report.pk],
        "return_form": form,
        **selectors.report_content(report),
    }
    return render(request, "progress/detail.html", context, status=400)


@require_POST
def report_correct(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(
        request,
        pk,
        lambda u, r: services.report_correct(actor=u, report_id=r.pk),
        _("A new version of the report was opened for correction."),
    )


@require_POST
def report_consolidate(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(
        request,
        pk,
        lambda u, r: services.district_report_consolidate(
            actor=u, period_id=r.period_id, unit_id=r.unit_id
        ),
        "consolidated_again",
    )


@require_POST
def report_submit_upward(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(
        request,
        pk,
        lambda u, r: services.district_report_submit(actor=u, report_id=r.pk),
        "submitted_upward",
    )


@require_GET
def report_xlsx(request: HttpRequest, pk: int) -> HttpResponse:
    report = access_report(request_user(request), pk, queryset=selectors.report_detail_queryset())
    if report.level != "district":
        raise Forbidden(_("Only the area's report is exported."))
    content, name = district_report_workbook(report)
    return file_response(content, name, content_type=XLSX)


@require_GET
def report_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    report = access_report(request_user(request), pk, queryset=selectors.report_detail_queryset())
    if report.level != "district":
        raise Forbidden(_("Only the area's report is exported."))
    content, name = district_report_pdf(report)
    return file_response(content, name, content_type="application/pdf", inline=True)


@require_GET
def period_status(request: HttpRequest, pk: int) -> HttpResponse:
    user = request_user(request)
    period = selectors.access_period(user, pk)
    return render(request, "progress/period.html", selectors.period_overview(user, period))


@require_POST
def period_remind(request: HttpRequest, pk: int) -> HttpResponse:
    user = request_user(request)
    period = selectors.access_period(user, pk)
    try:
        reminded = services.reports_remind(actor=user, period_id=period.pk)
    except DomainError as exc:
        if isinstance(exc, Forbidden):
            raise
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _("%(n)s communes were reminded (a commune is reminded once a day).")
            % {"n": len(reminded)},
        )
    return redirect("progress:period", period.pk)


@require_POST
def period_consolidate(request: HttpRequest, pk: int) -> HttpResponse:
    user = request_user(request)
    period = selectors.access_period(user, pk)
    try:
        report = services.district_report_consolidate(
            actor=user, period_id=period.pk, unit_id=period.plan.area_id
        )
    except DomainError as exc:
        if isinstance(exc, Forbidden):
            raise
        messages.error(request, exc.message)
        return redirect("progress:period", period.pk)
    messages.success(request, period.words["consolidated"])
    return redirect("progress:report_detail", report.pk)


class TargetForm(forms.Form):
    target = forms.CharField(label=gettext_lazy("Target"), required=False)


def indicator_list(request: HttpRequest) -> HttpResponse:
    user = request_user(request)
    if not perms.unit_ids_with(user, perms.VIEW):
        raise Forbidden(_("Your role does not open the indicators."))
    form = TargetForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.indicator_target_set(
                actor=user,
                indicator_id=request.POST.get("indicator"),
                target=form.cleaned_data["target"],
            )
        except DomainError as exc:
            if isinstance(exc, Forbidden):
                raise
            messages.error(request, exc.message)
        else:
            messages.success(request, _("The target was saved."))
            return redirect("progress:indicators")
    context = {
        "indicators": selectors.indicators_for_user(user),
        "may_set": may_set_targets(user),
    }
    return render(request, "progress/indicators.html", context)
