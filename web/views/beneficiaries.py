"""An estimate's beneficiaries (a register activity: the mothers supported, what each is
paid, the payment list as Excel and PDF) and its participants per priority group.

Every read goes through the access gate (404 for an estimate the user may not see); what
of a person is shown is ``beneficiaries.selectors``' answer; every rule is
``beneficiaries.services``'. Pages with personal data are never cached."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from approvals.access import access_estimate, unit_ids_with
from approvals.lifecycle import EDITABLE_STATUSES
from beneficiaries import services
from beneficiaries.documents import payment_list_pdf, payment_list_xlsx
from beneficiaries.forms import BeneficiaryForm, GroupCountsForm
from beneficiaries.models import Beneficiary
from beneficiaries.selectors import (
    estimate_group_counts,
    estimate_register,
    payment_list_register,
    register_activity,
    sees_personal_data,
)
from core.errors import Forbidden, RuleViolation
from estimates.models import Estimate
from organization import permissions as perms
from reports.list_workbooks import XLSX
from reports.responses import file_response


def _service_error(form: forms.Form, exc: RuleViolation) -> None:
    name = getattr(form, "service_fields", {}).get(exc.field, exc.field)
    form.add_error(name if name in form.fields else None, exc.message)


def _editable(user: Any, estimate: Estimate) -> bool:
    return estimate.status in EDITABLE_STATUSES and estimate.unit_id in unit_ids_with(
        user, perms.DRAFT
    )


def _to_page(estimate_pk: int) -> HttpResponseRedirect:
    return HttpResponseRedirect(reverse("beneficiaries:estimate", args=[estimate_pk]))


@never_cache
@require_http_methods(["GET", "POST"])
def estimate_beneficiaries(request: HttpRequest, pk: int) -> HttpResponse:
    """GET: the list (as the user may see it), its totals per component, the norms cited,
    the participants per priority group, and the form to register a mother while the
    estimate is a draft of the user's commune. POST: register her, then back to the list;
    a refusal shows the form again with the message at its field (400)."""
    estimate = access_estimate(request.user, pk, related=("unit", "activity", "plan"))
    register = register_activity(estimate)
    editable = _editable(request.user, estimate)
    form = BeneficiaryForm(estimate=estimate) if register is not None and editable else None
    status = 200
    if request.method == "POST":
        form = BeneficiaryForm(request.POST, estimate=estimate)
        if form.is_valid():
            try:
                b = services.beneficiary_register(
                    actor=request.user, estimate_id=estimate.pk, data=form.to_input()
                )
            except RuleViolation as exc:
                _service_error(form, exc)
            else:
                messages.success(request, _("Beneficiary #%(n)s was registered.") % {"n": b.pk})
                return _to_page(estimate.pk)
        status = 400
    groups = estimate_group_counts(estimate)
    context = {
        "estimate": estimate,
        "register": estimate_register(request.user, estimate) if register is not None else None,
        "keeps_register": register is not None,
        "editable": editable,
        "form": form,
        "groups": groups,
        "groups_form": (GroupCountsForm(groups=groups) if editable and register is None else None),
    }
    return render(request, "beneficiaries/estimate.html", context, status=status)


@require_POST
def estimate_groups(request: HttpRequest, pk: int) -> HttpResponse:
    """Set the participants per priority group (not for a register activity, whose counts
    come from its list)."""
    estimate = access_estimate(request.user, pk)
    groups = estimate_group_counts(estimate)
    form = GroupCountsForm(request.POST, groups=groups)
    if form.is_valid():
        try:
            services.estimate_groups_set(
                actor=request.user, estimate_id=estimate.pk, counts=form.counts()
            )
        except RuleViolation as exc:
            _service_error(form, exc)
        else:
            messages.success(request, _("The participants per priority group were saved."))
            return _to_page(estimate.pk)
    context = {
        "estimate": estimate,
        "register": None,
        "keeps_register": False,
        "editable": True,
        "form": None,
        "groups": groups,
        "groups_form": form,
    }
    return render(request, "beneficiaries/estimate.html", context, status=400)


@never_cache
@require_http_methods(["GET", "POST"])
def beneficiary_edit(request: HttpRequest, pk: int, beneficiary_pk: int) -> HttpResponse:
    """Correct a record of a draft (the commune's drafter): the same checks as registering."""
    estimate = access_estimate(request.user, pk, related=("unit", "activity", "plan"))
    if not _editable(request.user, estimate) or not sees_personal_data(request.user, estimate):
        raise Forbidden(
            _("Your role does not allow this on this estimate."), estimate_id=estimate.pk
        )
    b = (
        Beneficiary.objects.filter(pk=beneficiary_pk, estimate=estimate)
        .prefetch_related("payments", "groups")
        .first()
    )
    if b is None:
        raise Http404(_("No such beneficiary."))
    status = 200
    if request.method == "POST":
        form = BeneficiaryForm(request.POST, estimate=estimate)
        if form.is_valid():
            try:
                services.beneficiary_update(
                    actor=request.user, beneficiary_id=b.pk, data=form.to_input()
                )
            except RuleViolation as exc:
                _service_error(form, exc)
            else:
                messages.success(request, _("Beneficiary #%(n)s was corrected.") % {"n": b.pk})
                return _to_page(estimate.pk)
        status = 400
    else:
        form = BeneficiaryForm(initial=BeneficiaryForm.initial_of(b), estimate=estimate)
    context = {"estimate": estimate, "form": form, "beneficiary": b}
    return render(request, "beneficiaries/edit.html", context, status=status)


@require_POST
def beneficiary_remove(request: HttpRequest, pk: int, beneficiary_pk: int) -> HttpResponse:
    estimate = access_estimate(request.user, pk)
    if not Beneficiary.objects.filter(pk=beneficiary_pk, estimate=estimate).exists():
        messages.error(request, _("No such beneficiary."))
        return _to_page(estimate.pk)
    try:
        services.beneficiary_remove(actor=request.user, beneficiary_id=beneficiary_pk)
    except RuleViolation as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Beneficiary #%(n)s was removed.") % {"n": beneficiary_pk})
    return _to_page(estimate.pk)


@never_cache
@require_GET
def payment_list_excel(request: HttpRequest, pk: int) -> HttpResponse:
    """The payment list as Excel: the personal-data roles only (403 for the others)."""
    estimate = access_estimate(request.user, pk)
    content, filename = payment_list_xlsx(payment_list_register(request.user, estimate))
    return file_response(content, filename, content_type=XLSX)


@never_cache
@require_GET
def payment_list_document(request: HttpRequest, pk: int) -> HttpResponse:
    """The payment list as PDF, for signature: the personal-data roles only."""
    estimate = access_estimate(request.user, pk, related=("unit", "activity"))
    content, filename = payment_list_pdf(payment_list_register(request.user, estimate))
    return file_response(content, filename, content_type="application/pdf", inline=True)
