"""Approving several estimates at once: choose from the appraised estimates waiting for
the user, confirm once (each estimate and the total listed), then each is approved by its
own service call (its own transaction, audit entry, decision number and notices). One
that cannot be approved (someone acted first, the role or segregation of duties does not
allow it) is reported by its number with the reason; the others go through."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.db.models import Q, QuerySet, Sum
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from approvals import lifecycle, services
from approvals.access import actions_allowed, estimate_inbox_for_user, estimate_list_for_user
from core.errors import DomainError
from estimates.models import Estimate, Source
from web.views.account import recent_second_factor

#: At most this many estimates in one confirmation.
MAX_BULK = 50


@dataclass
class Outcome:
    estimate: Estimate
    ok: bool
    detail: str


def _approvable(user: Any) -> list[Estimate]:
    """The appraised estimates waiting for ``user``'s approval (as themselves), oldest
    first, with the amount to approve per source. The page's estimates are chosen first
    (a subquery read from the inbox's index), then their lines added up: not the lines of
    every estimate waiting at a district."""
    oldest = (
        estimate_inbox_for_user(user, statuses=lifecycle.sources_of("approve"))
        .order_by("status_changed_at", "pk")
        .values("pk")[:MAX_BULK]
    )
    queryset: QuerySet[Estimate] = (
        Estimate.objects.filter(pk__in=oldest)
        .select_related("unit", "activity")
        .annotate(
            **{
                f"to_approve_{source}": Sum(
                    "lines__appraised_amount", filter=Q(lines__source=source), default=0
                )
                for source in Source.values
            }
        )
        .order_by("status_changed_at", "pk")[:MAX_BULK]
    )
    estimates = list(queryset)
    allowed = actions_allowed(user, estimates)
    return [e for e in estimates if "approve" in allowed[e.pk]]


def _chosen(request: HttpRequest, candidates: list[Estimate]) -> list[Estimate]:
    by_id = {str(e.pk): e for e in candidates}
    return [by_id[i] for i in dict.fromkeys(request.POST.getlist("estimate")) if i in by_id]


def _total(estimates: list[Estimate]) -> int:
    return sum(e.appraised_amount or 0 for e in estimates)


@recent_second_factor
@require_http_methods(["GET", "POST"])
def estimate_approve_many(request: HttpRequest) -> HttpResponse:
    candidates = _approvable(request.user)
    if request.method == "GET":
        return render(
            request,
            "estimates/approve_many.html",
            {"candidates": candidates, "total": _total(candidates), "step": "choose"},
        )
    if request.POST.get("confirmed") == "1":
        return _approve_each(request)
    chosen = _chosen(request, candidates)
    if not chosen:
        messages.error(
            request,
            _(
                "Choose at least one estimate to approve (those listed are the ones still "
                "waiting for your approval)."
            ),
        )
        return redirect("estimates:approve_many")
    return render(
        request,
        "estimates/approve_many.html",
        {"candidates": chosen, "total": _total(chosen), "step": "confirm"},
    )


def _approve_each(request: HttpRequest) -> HttpResponse:
    """The confirmed estimates, each approved on its own. One that moved on since the
    confirmation was shown, or that the user may not approve, is reported by its number
    with the service's reason; ids of estimates the user may not see are ignored."""
    ids = [i for i in dict.fromkeys(request.POST.getlist("estimate")) if i.isdigit()][:MAX_BULK]
    chosen = list(
        estimate_list_for_user(request.user)
        .filter(pk__in=[int(i) for i in ids])
        .select_related("unit")
        .order_by("status_changed_at", "pk")
    )
    if not chosen:
        messages.error(request, _("Choose at least one estimate to approve."))
        return redirect("estimates:approve_many")
    outcomes: list[Outcome] = []
    for estimate in chosen:
        try:
            done = services.estimate_approve(actor=request.user, estimate_id=estimate.pk)
        except (DomainError, Http404) as exc:
            outcomes.append(Outcome(estimate, False, str(exc)))
        else:
            decision = getattr(done, "decision", None)
            outcomes.append(Outcome(done, True, getattr(decision, "symbol", "")))
    return render(
        request,
        "estimates/approve_many.html",
        {
            "outcomes": outcomes,
            "approved": [o for o in outcomes if o.ok],
            "refused": [o for o in outcomes if not o.ok],
            "total": sum(o.estimate.approved_amount or 0 for o in outcomes if o.ok),
            "step": "done",
        },
    )
