"""The pages of the money stages: disbursement, clearing an advance, settlement and its
verification, the commune sub-envelopes and the overdue advances.

Thin like ``web.views.estimates``: read through ``approvals.access`` and ``ledger.selectors``,
parse with a form that lists its fields, call one service of ``approvals.services``. The
``RuleViolation`` of a service lands at its field (HTTP 400); ``Forbidden`` and
``Conflict`` become the 403 and 409 pages (``core.middleware``).
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from approvals import lifecycle, services
from approvals.access import access_estimate, envelope_unit_ids, follows_advances, unit_ids_with
from approvals.selectors import estimate_actions
from core.errors import Forbidden, RuleViolation
from estimates.models import Plan
from estimates.selectors import plan_chosen, plan_communes, plan_default_for
from ledger.models import DisbursementKind
from ledger.selectors import (
    CellFigures,
    CommuneFigures,
    advances_overdue,
    cell_balances,
    commune_balances,
    estimate_money,
    estimate_settlement,
)
from organization import permissions as perms
from organization.models import Unit
from reports.listings import totals_of
from web.forms import (
    ClearAdvanceForm,
    DisburseForm,
    ReturnSettlementForm,
    SettleForm,
    SubEnvelopeForm,
    VerifySettlementForm,
)
from web.views.account import recent_second_factor
from web.views.estimates import _act, _estimate_for, _offer, _posted, add_service_error

# ---------------------------------------------------------------------------------------
# Disbursement (the treasurer/accountant)


@require_http_methods(["GET", "POST"])
@recent_second_factor
def estimate_disburse(request: HttpRequest, pk: int) -> HttpResponse:
    estimate = _estimate_for(request, pk, perms.DISBURSE)
    money = estimate_money(estimate)
    form = DisburseForm(
        _posted(request),
        sources=[(s.source, s.label) for s in money.sources],
        initial={"kind": DisbursementKind.ADVANCE, "paid_on": timezone.localdate()},
    )
    _offer(request, estimate, form, perms.DISBURSE)
    return _act(
        request,
        estimate,
        form,
        lambda d: services.estimate_disburse(
            actor=request.user,
            estimate_id=estimate.pk,
            kind=d["kind"],
            paid_on=d["paid_on"],
            amount=d["amount"],
            source=d["source"],
            document_type=d["document_type"],
            document_number=d["document_number"],
            payee=d["payee"],
            note=d["note"],
            acting_for=d.get("acting_for"),
        ),
        title=_("Record a disbursement"),
        button=_("Record the disbursement"),
        available=estimate_actions(request.user, estimate).disburse,
        done=_("The disbursement was recorded."),
        template="estimates/disburse.html",
        extra={"money": money},
    )


@require_http_methods(["GET", "POST"])
def estimate_clear_advance(request: HttpRequest, pk: int, advance_pk: int) -> HttpResponse:
    estimate = _estimate_for(request, pk, perms.DISBURSE)
    money = estimate_money(estimate)
    advance = next(
        (
            d
            for d in money.disbursements
            if d.pk == advance_pk and d.kind == DisbursementKind.ADVANCE
        ),
        None,
    )
    if advance is None:
        raise Http404(_("No such advance on this estimate."))
    form = ClearAdvanceForm(_posted(request), initial={"cleared_on": timezone.localdate()})
    _offer(request, estimate, form, perms.DISBURSE)
    return _act(
        request,
        estimate,
        form,
        lambda d: services.estimate_clear_advance(
            actor=request.user,
            estimate_id=estimate.pk,
            disbursement_id=advance.pk,
            cleared_on=d["cleared_on"],
            document=d["document"],
            acting_for=d.get("acting_for"),
        ),
        title=_("Clear an advance"),
        button=_("Clear the advance"),
        available=estimate_actions(request.user, estimate).clear_advance
        and advance.cleared_on is None,
        done=_("The advance was cleared."),
        template="estimates/clear_advance.html",
        extra={"advance": advance},
    )


# ---------------------------------------------------------------------------------------
# Settlement (the spending unit) and its verification (Finance-Planning)


@require_http_methods(["GET", "POST"])
def estimate_settle(request: HttpRequest, pk: int) -> HttpResponse:
    estimate = access_estimate(request.user, pk, related=("unit", "plan"))
    # Who reports the settlement is the plan level's (the drafting unit, or the commune's
    # accountant where the commune is the spending unit).
    permission = lifecycle.row_for_estimate(lifecycle.rows("settle")[0], estimate).permission
    if estimate.unit_id not in unit_ids_with(request.user, permission):
        raise Forbidden(
            _("Your role does not allow this on this estimate."), estimate_id=estimate.pk
        )
    money = estimate_money(estimate)
    lines = [
        line
        for line in estimate.lines.select_related("norm").order_by("position")
        if line.approved_amount
    ]
    earlier = estimate_settlement(estimate)
    reported = {sl.line_id: (sl.spent, sl.note) for sl in earlier.lines.all()} if earlier else {}
    initial: dict[str, Any] = {"settled_on": timezone.localdate()}
    if earlier is not None:
        initial = {
            "settled_on": earlier.settled_on or timezone.localdate(),
            "returned": earlier.returned,
            "return_document": earlier.return_document,
            "carried": earlier.carried,
            "carried_use_by": earlier.carried_use_by,
        }
    form = SettleForm(_posted(request), lines=lines, reported=reported, initial=initial)
    _offer(request, estimate, form, permission)
    return _act(
        request,
        estimate,
        form,
        lambda d: services.estimate_settle(
            actor=request.user,
            estimate_id=estimate.pk,
            lines=form.line_reports(),
            returned=d["returned"],
            return_document=d["return_document"],
            carried=d["carried"],
            carried_use_by=d["carried_use_by"],
            settled_on=d["settled_on"],
            comment=d["comment"],
            acting_for=d.get("acting_for"),
        ),
        title=_("Settlement"),
        button=_("Submit the settlement"),
        available=estimate_actions(request.user, estimate).settle,
        done=_("The settlement was submitted to Finance-Planning."),
        template="estimates/settle.html",
        extra={"money": money, "earlier": earlier},
    )


@require_http_methods(["GET", "POST"])
@recent_second_factor
def estimate_verify_settlement(request: HttpRequest, pk: int) -> HttpResponse:
    estimate = _estimate_for(request, pk, perms.VERIFY)
    form = _offer(request, estimate, VerifySettlementForm(_posted(request)), perms.VERIFY)
    return _act(
        request,
        estimate,
        form,
        lambda d: services.estimate_verify_settlement(
            actor=request.user,
            estimate_id=estimate.pk,
            comment=d["comment"],
            acting_for=d.get("acting_for"),
        ),
        title=_("Verify the settlement"),
        button=_("Verify and close"),
        available=estimate_actions(request.user, estimate).verify_settlement,
        done=_("The settlement was verified and the estimate closed."),
    )


@require_http_methods(["GET", "POST"])
def estimate_return_settlement(request: HttpRequest, pk: int) -> HttpResponse:
    estimate = _estimate_for(request, pk, perms.VERIFY)
    form = _offer(request, estimate, ReturnSettlementForm(_posted(request)), perms.VERIFY)
    return _act(
        request,
        estimate,
        form,
        lambda d: services.estimate_return_settlement(
            actor=request.user,
            estimate_id=estimate.pk,
            reason=d["reason"],
            acting_for=d.get("acting_for"),
        ),
        title=_("Return the settlement"),
        button=_("Return the settlement"),
        available=estimate_actions(request.user, estimate).return_settlement,
        done=_("The settlement was returned to the spending unit."),
    )


# ---------------------------------------------------------------------------------------
# Plan-level money


@require_http_methods(["GET", "POST"])
def envelope_access(request: HttpRequest) -> tuple[Plan, set[int]]:
    """The plan whose envelope the user splits, and the communes they split it for
    (404 without a plan, 403 for a role that does not split the envelope)."""
    raw = request.GET.get("plan")
    plan = plan_chosen(request.user, raw, "review_unit_estimates")
    if plan is not None and not raw and plan.commune_level() is None:
        plan = plan_default_for(request.user, "appraise_unit_estimates")
    if plan is None:
        raise Http404(_("No plan is loaded yet."))
    manageable = envelope_unit_ids(request.user)
    if not manageable:
        raise Forbidden(_("Your role does not split the envelope among communes."))
    return plan, set(manageable)


def envelope_figures(plan: Plan) -> tuple[list[tuple[CellFigures, int]], list[CommuneFigures]]:
    """The commune-level cells with what is shared out of each, and the per-commune rows:
    the two tables of the envelope page (and of its export)."""
    cells = [c for c in cell_balances(plan) if c.level == plan.commune_level()]
    rows = commune_balances(plan)
    shares = {
        c.source: sum(r.subenvelope or 0 for r in rows if r.source == c.source) for c in cells
    }
    return [(c, shares.get(c.source, 0)) for c in cells], rows


def envelope_split(request: HttpRequest) -> HttpResponse:
    """Each commune's share of the commune-level cells, with the form to set one."""
    plan, manageable = envelope_access(request)
    communes = Unit.objects.filter(
        pk__in=[pc.commune_id for pc in plan_communes(plan) if pc.commune_id in manageable]
    ).order_by("sort_order", "name")
    form = SubEnvelopeForm(_posted(request), communes=communes)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            services.subenvelope_change(
                actor=request.user,
                plan=plan,
                commune=d["commune"],
                source=d["source"],
                amount=d["amount"],
            )
        except RuleViolation as exc:
            add_service_error(form, exc)
        else:
            messages.success(
                request, _("The share of %(commune)s was saved.") % {"commune": d["commune"]}
            )
            return redirect("estimates:envelope")
    cells, rows = envelope_figures(plan)
    context = {"plan": plan, "form": form, "cells": cells, "rows": rows}
    return render(
        request,
        "estimates/envelope.html",
        context,
        status=400 if request.method == "POST" else 200,
    )


ADVANCES_PAGE = 50


def advances_overdue_list(request: HttpRequest) -> HttpResponse:
    """Advances not cleared by the end of the month after they were paid, on the
    estimates the user may see; for the accountant and Finance-Planning."""
    if not follows_advances(request.user):
        raise Forbidden(_("Your role does not follow advances."))
    today = timezone.localdate()
    visible = unit_ids_with(request.user, perms.VIEW)
    queryset = advances_overdue(today).filter(estimate__unit_id__any=visible)
    page = Paginator(queryset, ADVANCES_PAGE).get_page(request.GET.get("page"))
    totals = totals_of(queryset)
    return render(
        request,
        "estimates/advances_overdue.html",
        {"page": page, "today": today, "totals": totals},
    )
