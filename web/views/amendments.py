"""Amending an approved estimate: the proposal form with its lines, the amendment's page
(before and after, its history and decision) and its actions (forward, appraise, approve,
return, withdraw). Each action calls one service of ``approvals.services.amendments``."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from approvals import lifecycle, services
from approvals.access import access_estimate, amendment_actions_allowed
from approvals.selectors import amendments_of
from core.errors import RuleViolation
from core.money import format_vnd
from core.words import amount_in_words
from estimates.models import Amendment, Estimate
from organization import permissions as perms
from reports.decisions import amendment_decision_pdf
from reports.responses import file_response
from web.forms import (
    AmendmentForm,
    AmendmentWithdrawForm,
    ApproveForm,
    CommentForm,
    ReasonForm,
)
from web.views.account import recent_second_factor
from web.views.estimates import _offer, _posted, add_service_error

#: "lines[2].quantity": the service's field of the third line given.
GIVEN_LINE = re.compile(r"^lines\[(\d+)\]\.(\w+)$")


def _estimate(request: HttpRequest, pk: int) -> Estimate:
    return access_estimate(request.user, pk, related=("unit", "plan"))


def _page(estimate: Estimate, number: int | None = None) -> HttpResponseRedirect:
    if number is None:
        return HttpResponseRedirect(reverse("estimates:detail", args=[estimate.pk]))
    return HttpResponseRedirect(reverse("estimates:amendment", args=[estimate.pk, number]))


@require_http_methods(["GET", "POST"])
def amendment_propose(request: HttpRequest, pk: int) -> HttpResponse:
    """The spending unit's proposal: every line with the figures in force, the dates and
    the reason."""
    estimate = access_estimate(
        request.user,
        pk,
        perm=perms.DRAFT,
        related=("unit", "plan"),
    )
    allowed = amendment_actions_allowed(request.user, estimate, _open_status(estimate))
    if request.method == "GET" and "amend" not in allowed:
        messages.warning(request, _("This action is not open to you on this estimate now."))
        return _page(estimate)
    lines = list(estimate.lines.order_by("position"))
    form = AmendmentForm(_posted(request), estimate=estimate, lines=lines)
    _offer(request, estimate, form, perms.DRAFT)
    line_errors: list[str] = []
    if request.method == "POST" and form.is_valid():
        given = form.line_inputs()
        try:
            amendment = services.amendment_propose(
                actor=request.user,
                estimate_id=estimate.pk,
                lines=given,
                start_date=form.cleaned_data["start_date"],
                end_date=form.cleaned_data["end_date"],
                reason=form.cleaned_data["reason"],
                acting_for=form.cleaned_data.get("acting_for"),
            )
        except RuleViolation as exc:
            _service_error(form, exc, given, line_errors)
        else:
            messages.success(request, _("The amendment was proposed."))
            return _page(estimate, amendment.number)
    return render(
        request,
        "estimates/amendment_form.html",
        {
            "estimate": estimate,
            "form": form,
            "line_errors": line_errors,
            "title": _("Propose an amendment"),
        },
        status=400 if request.method == "POST" else 200,
    )


def _service_error(
    form: AmendmentForm, exc: RuleViolation, given: list[Any], line_errors: list[str]
) -> None:
    """The service names the n-th line given (``lines[n].quantity``): put the message at
    that line's field on the form; a message about the lines together above the table."""
    match = GIVEN_LINE.match(exc.field or "")
    if match and int(match.group(1)) < len(given):
        line_id = given[int(match.group(1))].line_id
        name = f"line-{line_id}-{match.group(2)}"
        if name in form.fields:
            form.add_error(name, exc.message)
            return
    if exc.field in (None, "", "lines") or (exc.field or "").startswith("lines"):
        line_errors.append(exc.message)
        return
    add_service_error(form, exc)


def _open_status(estimate: Estimate) -> str | None:
    found = (
        Amendment.objects.filter(
            estimate=estimate, status__in=lifecycle.AMENDMENT_STATUS_PERMISSIONS
        )
        .values_list("status", flat=True)
        .first()
    )
    return found


def amendment_detail(request: HttpRequest, pk: int, number: int) -> HttpResponse:
    """One amendment: the lines and dates before and after, totals per change, its
    history, its decision, and the actions open to the user on it."""
    estimate = _estimate(request, pk)
    amendment = next((a for a in amendments_of(estimate) if a.number == number), None)
    if amendment is None:
        raise Http404(_("No such amendment."))
    allowed = (
        amendment_actions_allowed(request.user, estimate, amendment.status)
        if amendment.is_open
        else []
    )
    history = [
        e
        for e in estimate.audit_entries.filter(action__startswith="amendment.").order_by("seq")
        if (e.data or {}).get("amendment") == amendment.number
    ]
    return render(
        request,
        "estimates/amendment.html",
        {
            "estimate": estimate,
            "title": _("Amendment %(n)s") % {"n": amendment.number},
            "amendment": amendment,
            "lines": list(amendment.lines.all()),
            "history": history,
            "allowed": allowed,
            "comment_form": CommentForm(),
            "reason_form": ReasonForm(),
            "withdraw_form": AmendmentWithdrawForm(),
            "approve_form": _approve_form(None, amendment),
        },
    )


def _approve_form(data: Any, amendment: Amendment) -> ApproveForm:
    form = ApproveForm(data)
    form.fields["confirm"].label = _(
        "I approve the amendment: %(amount)s (%(words)s) in total."
    ) % {"amount": format_vnd(amendment.total), "words": amount_in_words(amendment.total)}
    return form


def _act(
    request: HttpRequest,
    pk: int,
    name: str,
    make_form: Callable[[Any, Amendment], forms.Form],
    run: Callable[[Estimate, dict[str, Any]], Any],
    *,
    title: str,
    button: str,
    done: str,
) -> HttpResponse:
    """GET shows the action's page (or sends back when the action is not open to the
    user); POST validates the form and calls the service."""
    estimate = _estimate(request, pk)
    amendment = Amendment.objects.filter(
        estimate=estimate, status__in=lifecycle.AMENDMENT_STATUS_PERMISSIONS
    ).first()
    if amendment is None:
        if request.method == "POST":
            # The service answers: another step was taken (409) or the role lacks it (403).
            run(estimate, {"comment": "", "reason": "-", "acting_for": None})
        messages.warning(request, _("This action is not open to you on this estimate now."))
        return _page(estimate)
    form = make_form(_posted(request), amendment)
    row = lifecycle.amendment_transition(name, amendment.status)
    if row is not None:
        _offer(request, estimate, form, row.permission)
    if request.method == "GET" and name not in amendment_actions_allowed(
        request.user, estimate, amendment.status
    ):
        messages.warning(request, _("This action is not open to you on this estimate now."))
        return _page(estimate, amendment.number)
    if request.method == "POST" and form.is_valid():
        try:
            run(estimate, form.cleaned_data)
        except RuleViolation as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, done)
            return _page(estimate, amendment.number)
    return render(
        request,
        "estimates/action.html",
        {"estimate": estimate, "form": form, "title": title, "button": button},
        status=400 if request.method == "POST" else 200,
    )


@require_http_methods(["GET", "POST"])
def amendment_forward(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(
        request,
        pk,
        "amendment-forward",
        lambda data, _a: CommentForm(data),
        lambda e, d: services.amendment_forward(
            actor=request.user,
            estimate_id=e.pk,
            comment=d["comment"],
            acting_for=d.get("acting_for"),
        ),
        title=_("Forward the amendment to appraisal"),
        button=_("Forward"),
        done=_("The amendment was forwarded to Finance-Planning."),
    )


@require_http_methods(["GET", "POST"])
def amendment_appraise(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(
        request,
        pk,
        "amendment-appraise",
        lambda data, _a: CommentForm(data),
        lambda e, d: services.amendment_appraise(
            actor=request.user,
            estimate_id=e.pk,
            comment=d["comment"],
            acting_for=d.get("acting_for"),
        ),
        title=_("Appraise the amendment"),
        button=_("Appraise"),
        done=_("The amendment was appraised and sent for approval."),
    )


@require_http_methods(["GET", "POST"])
@recent_second_factor
def amendment_approve(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(
        request,
        pk,
        "amendment-approve",
        _approve_form,
        lambda e, d: services.amendment_approve(
            actor=request.user,
            estimate_id=e.pk,
            comment=d["comment"],
            acting_for=d.get("acting_for"),
        ),
        title=_("Approve the amendment"),
        button=_("Approve"),
        done=_("The amendment was approved and its decision issued."),
    )


@require_http_methods(["GET", "POST"])
def amendment_return(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(
        request,
        pk,
        "amendment-return",
        lambda data, _a: ReasonForm(data),
        lambda e, d: services.amendment_return(
            actor=request.user,
            estimate_id=e.pk,
            reason=d["reason"],
            acting_for=d.get("acting_for"),
        ),
        title=_("Return the amendment"),
        button=_("Return"),
        done=_("The amendment was returned."),
    )


@require_http_methods(["GET", "POST"])
def amendment_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(
        request,
        pk,
        "amendment-withdraw",
        lambda data, _a: AmendmentWithdrawForm(data),
        lambda e, d: services.amendment_withdraw(
            actor=request.user,
            estimate_id=e.pk,
            reason=d["reason"],
            acting_for=d.get("acting_for"),
        ),
        title=_("Withdraw the amendment"),
        button=_("Withdraw"),
        done=_("The amendment was withdrawn."),
    )


def amendment_decision(request: HttpRequest, pk: int, number: int) -> HttpResponse:
    """The PDF of an approved amendment's decision."""
    estimate = _estimate(request, pk)
    amendment = Amendment.objects.filter(estimate=estimate, number=number).first()
    if amendment is None:
        raise Http404(_("No such amendment."))
    content, filename = amendment_decision_pdf(amendment)
    return file_response(content, filename, content_type="application/pdf", inline=True)
