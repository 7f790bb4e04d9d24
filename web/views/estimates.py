"""The estimate pages. Thin: parse the input, call one service of ``approvals.services``,
show the result. Every read goes through ``approvals.access``; every rule is the
service's. ``RuleViolation`` re-renders the form with the message at its field (HTTP 400);
``Forbidden`` and ``Conflict`` become the 403 and 409 pages (``core.middleware``)."""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

from django import forms
from django.contrib import messages
from django.db.models import Count, QuerySet, Sum
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from approvals import lifecycle, services
from approvals.access import (
    INBOX_ORDER,
    access_estimate,
    estimate_inbox_for_user,
    estimate_list_for_user,
    inbox_count,
    inbox_first,
    unit_ids_with,
)
from approvals.lifecycle import EDITABLE_STATUSES, MONEY_STATUSES
from approvals.models import Stage
from approvals.selectors import (
    approval_summary,
    estimate_actions,
    estimate_history,
    estimate_latest_diff,
    estimate_waiting_on,
    version_diff,
)
from approvals.services.transition import moved_on
from core.auth import request_user
from core.errors import Conflict, Forbidden, RuleViolation
from delegations.selectors import (
    acting_for_in,
    acting_for_options,
    delegated_grants,
    delegations_offered_for,
)
from estimates.models import (
    Amendment,
    Estimate,
    EstimateLine,
    EstimateVersion,
    Source,
)
from estimates.selectors import plan_chosen, units_named_by
from estimates.tally import tally_available, tally_totals
from ledger.norms import NormFinding, norm_check_line
from ledger.selectors import estimate_funding, estimate_money, estimate_settlement
from organization import permissions as perms
from organization.models import Unit
from reports.exports import params_lists
from web.filters import EstimateFilter, filter_summary
from web.forms import (
    AppraiseForm,
    ApproveForm,
    CommentForm,
    EstimateForm,
    LineForm,
    LineFormSet,
    ReturnForm,
    ReturnSettlementForm,
    VerifySettlementForm,
    WithdrawForm,
    acting_for_offer,
    estimate_input,
    line_initial,
)
from web.views.account import recent_second_factor
from web.views.attachments import attachments_context
from web.views.lists import list_page

PAGE_SIZE = 25
LINE_FIELD = re.compile(r"^lines\[(\d+)\](?:\.(\w+))?$")


def _detail(estimate: Estimate | int) -> HttpResponseRedirect:
    pk = estimate if isinstance(estimate, int) else estimate.pk
    return HttpResponseRedirect(reverse("estimates:detail", args=[pk]))


def _posted(request: HttpRequest) -> Any:
    """The posted data on POST (even when empty, so the form is bound), else None."""
    return request.POST if request.method == "POST" else None


def _page(request: HttpRequest, queryset: QuerySet[Estimate]) -> Any:
    return list_page(request, queryset, PAGE_SIZE)


def _acting_for(request: HttpRequest, estimate: Estimate, codename: str) -> list[Any]:
    """The colleagues the user may act for with ``codename`` on this estimate today."""
    return acting_for_options(request_user(request), codename, estimate.unit, timezone.localdate())


def _offer(request: HttpRequest, estimate: Estimate, form: Any, codename: str) -> Any:
    """The action form, with "Acting for" when the user holds a delegation for it."""
    return acting_for_offer(form, _acting_for(request, estimate, codename))


def norm_findings(lines: list[EstimateLine], on_date: Any) -> dict[int, list[NormFinding]]:
    """Per line that references a cost norm, how it departs from it (empty when it meets
    it). Lines carry their norm already (``select_related("norm")``): no query."""
    return {line.pk: norm_check_line(line, on_date) for line in lines if line.norm_id}


def add_service_error(
    form: forms.Form,
    exc: RuleViolation,
    line_forms: list[LineForm] | None = None,
    line_errors: list[str] | None = None,
) -> None:
    """Put each of a service's messages (it may refuse several lines at once) on the field
    it names, else on the form as a whole."""
    for field, message in exc.errors:
        _add_one_error(form, field, message, line_forms, line_errors)


def _add_one_error(
    form: forms.Form,
    field: str | None,
    message: str,
    line_forms: list[LineForm] | None,
    line_errors: list[str] | None,
) -> None:
    mapper = getattr(form, "service_field", None)
    name = mapper(field) if callable(mapper) else None
    if name is None:
        name = getattr(form, "service_fields", {}).get(field, field)
    match = LINE_FIELD.match(field or "")
    if match and line_forms is not None:
        index, sub = int(match.group(1)), match.group(2)
        if index < len(line_forms):
            line_form = line_forms[index]
            line_form.add_error(sub if sub in line_form.fields else None, message)
            return
    if field == "lines" and line_errors is not None:
        line_errors.append(message)
        return
    form.add_error(name if name in form.fields else None, message)


# ---------------------------------------------------------------------------------------
# Lists


def estimate_start(request: HttpRequest) -> HttpResponse:
    """Where a user lands after logging in: the inbox when something waits for them or
    when they draft (its "New estimate" is one tap away), else the estimates they may
    see. The plan page is a menu entry."""
    if _may_draft(request) or estimate_inbox_for_user(request.user).exists():
        return redirect("estimates:inbox")
    return redirect("estimates:list")


def estimate_list_filtered(request: HttpRequest) -> tuple[EstimateFilter, QuerySet[Estimate]]:
    """The estimates of the list page under its filters (none when a filter is refused),
    newest first: the page, its printable version and its Excel export show these."""
    return estimate_list_filtered_for(request.user, request.GET)


def estimate_list_filtered_for(user: Any, params: Any) -> tuple[EstimateFilter, QuerySet[Estimate]]:
    """``estimate_list_filtered`` for ``user`` with the filters ``params`` (a query string,
    or the filters kept with an export produced in the background)."""
    base = (
        estimate_list_for_user(user)
        .select_related("unit", "content")
        .order_by("-created_at", "-pk")
    )
    params = QueryDict(mutable=True) if not params else _as_query(params)
    for key in ("page", "print"):
        params.pop(key, None)
    filterset = EstimateFilter(params or None, queryset=base, request=SimpleNamespace(user=user))
    queryset = filterset.qs if filterset.is_bound else base
    if filterset.is_bound and not filterset.is_valid():
        queryset = base.none()
    return filterset, queryset


def _as_query(params: Any) -> QueryDict:
    """The filters as a query string, from one or from those kept with an export."""
    query = QueryDict(mutable=True)
    for key, values in params_lists(params).items():
        query.setlist(key, values)
    return query


def estimate_totals(queryset: QuerySet[Estimate]) -> dict[str, int]:
    """The number of estimates of a selection and their requested, appraised and approved
    totals (one query)."""
    sums = queryset.order_by().aggregate(
        count=Count("pk"),
        requested=Sum("total_amount"),
        appraised=Sum("appraised_amount"),
        approved=Sum("approved_amount"),
    )
    return {key: value or 0 for key, value in sums.items()}


def estimate_inbox_queryset(request: HttpRequest) -> QuerySet[Estimate]:
    """The estimates waiting for the user, oldest first (the inbox and its export); of
    one plan with ``?plan=<id>``."""
    return estimate_inbox_queryset_for(request.user, request.GET)


def _inbox_plan_id(params: Any) -> int | None:
    """The inbox's ``?plan=<id>``; ValueError when it is not a number."""
    raw = _as_query(params).get("plan") if params else None
    return int(raw) if raw else None


def estimate_inbox_queryset_for(user: Any, params: Any) -> QuerySet[Estimate]:
    queryset = estimate_inbox_for_user(user)
    try:
        plan_id = _inbox_plan_id(params)
    except ValueError:
        queryset = queryset.none()
    else:
        if plan_id is not None:
            queryset = queryset.filter(plan_id=plan_id)
    return queryset.select_related("unit", "content").order_by(*INBOX_ORDER)


def estimate_list_totals(
    user: Any, filterset: EstimateFilter, queryset: QuerySet[Estimate]
) -> dict[str, int]:
    """The list's count and totals: from the tally (``estimates.tally``, a row per unit and
    status) when only the plan, status and commune filters apply; with a text search, from
    the tally for the units whose name holds every word and the aggregate of the other
    units' matching estimates; else (a content picks estimates the tally cannot tell) the
    aggregate of the selection."""
    if filterset.is_bound and not filterset.is_valid():
        return estimate_totals(queryset)  # the selection is empty: no query
    data = filterset.form.cleaned_data if filterset.is_bound else {}
    if not tally_available() or data.get("content"):
        return estimate_totals(queryset)
    plan, unit = data.get("plan"), data.get("unit")
    filters = {
        "plan_id": plan.pk if plan else None,
        "status": data.get("status") or None,
        "unit_id": unit.pk if unit else None,
    }
    visible = unit_ids_with(user, perms.VIEW)
    if not data.get("q"):
        return tally_totals(visible, **filters)
    # A search: the estimates of the units whose name holds every word all match (from the
    # tally: a commune's name searched by a district role is 100 of its estimates, "xa"
    # every one of them); the others are added up from their own rows.
    named = units_named_by(visible, data["q"])
    totals = tally_totals(named, **filters) if named else estimate_totals(queryset.none())
    rest = sorted(set(visible) - set(named))
    if rest:
        more = estimate_totals(queryset.filter(unit_id__any=rest))
        totals = {key: value + more[key] for key, value in totals.items()}
    return totals


#: What a row of the lists' table shows (``estimates/_table.html``): a page reads these
#: columns only, not each estimate's whole row.
TABLE_FIELDS = (
    "number",
    "title",
    "status",
    "status_changed_at",
    "total_amount",
    "appraised_amount",
    "approved_amount",
    "unit__name",
    "content__code",
)


def estimate_list(request: HttpRequest) -> HttpResponse:
    filterset, queryset = estimate_list_filtered(request)
    totals = estimate_list_totals(request.user, filterset, queryset)
    context = {
        "filter": filterset,
        "filters": filter_summary(filterset),
        "page": list_page(request, queryset.only(*TABLE_FIELDS), PAGE_SIZE, count=totals["count"]),
        "totals": totals,
        "may_draft": _may_draft(request),
    }
    return render(request, "estimates/list.html", context)


def estimate_inbox(request: HttpRequest) -> HttpResponse:
    """What waits for the user, oldest first, counted exactly from the estimates' tally (a
    district role may have 20,000 waiting: counting their rows cost every visit); where no
    tally is kept, counted up to 1,000 ("1000+")."""
    queryset = estimate_inbox_queryset(request).only(*TABLE_FIELDS)
    count = None
    window = None
    if not queryset.query.is_empty():  # an unknown plan asked for: no rows, no count
        plan_id = _inbox_plan_id(request.GET)
        count = inbox_count(request.user, plan_id=plan_id)
        if plan_id is None:
            request._inbox_exact = count  # type: ignore[attr-defined]  # the menu's badge

        def window(rows: int) -> QuerySet[Estimate]:
            return inbox_first(request.user, queryset, rows, plan_id=plan_id)

    return render(
        request,
        "estimates/inbox.html",
        {
            "page": list_page(
                request, queryset, PAGE_SIZE, count=count, bounded=True, window=window
            ),
            "may_draft": _may_draft(request),
            "may_approve": bool(unit_ids_with(request.user, perms.APPROVE)),
        },
    )


def _may_draft(request: HttpRequest) -> bool:
    return bool(unit_ids_with(request.user, perms.DRAFT))


# ---------------------------------------------------------------------------------------
# Drafting


def _line_formset(request: HttpRequest, initial: list[dict[str, Any]]) -> Any:
    if request.method != "POST":
        return LineFormSet(prefix="lines", initial=initial)
    data = request.POST.copy()
    if "add_line" in data:
        key = "lines-TOTAL_FORMS"
        try:
            total = int(data.get(key) or 0)
        except ValueError:
            total = 0
        data[key] = str(total + 1)
    return LineFormSet(data, prefix="lines")


def _save_draft(
    request: HttpRequest,
    form: EstimateForm,
    formset: Any,
    run: Callable[[services.EstimateInput], Estimate],
    estimate: Estimate | None = None,
) -> tuple[Estimate | None, list[str]]:
    """Validate the header and lines and call the service; on a refused input put the
    message at its field. Returns the saved estimate, or None with the errors shown."""
    line_errors: list[str] = []
    if "add_line" in request.POST:
        return None, line_errors
    if not (form.is_valid() and formset.is_valid()):
        return None, line_errors
    lines = formset.filled_forms()
    try:
        return run(estimate_input(form, lines, estimate)), line_errors
    except RuleViolation as exc:
        add_service_error(form, exc, lines, line_errors)
        return None, line_errors


def _form_page(request: HttpRequest, context: dict[str, Any], *, failed: bool) -> HttpResponse:
    status = 400 if failed and "add_line" not in request.POST else 200
    return render(request, "estimates/form.html", context, status=status)


@require_http_methods(["GET", "POST"])
def estimate_create(request: HttpRequest) -> HttpResponse:
    plan = plan_chosen(request.user, request.GET.get("plan"), perms.DRAFT)
    if plan is None:
        raise Http404(_("No plan is loaded yet."))
    unit_ids = unit_ids_with(request.user, perms.DRAFT)
    if not unit_ids:
        raise Forbidden(_("Your role does not draft estimates."))
    units = Unit.objects.filter(pk__any=unit_ids).order_by("kind", "sort_order", "name")
    form = EstimateForm(_posted(request), plan=plan, units=units)
    formset = _line_formset(request, [])

    def create(data: services.EstimateInput) -> Estimate:
        unit = form.cleaned_data["unit"]
        if unit.pk not in unit_ids_with(request.user, perms.DRAFT):  # never another unit
            raise RuleViolation(_("You may draft estimates for your own unit only."), field="unit")
        return services.estimate_create(actor=request.user, plan=plan, unit=unit, data=data)

    line_errors: list[str] = []
    if request.method == "POST":
        estimate, line_errors = _save_draft(request, form, formset, create)
        if estimate is not None:
            messages.success(request, _("The estimate %(n)s was saved.") % {"n": estimate.number})
            return _detail(estimate)
    context = {"form": form, "formset": formset, "line_errors": line_errors, "plan": plan}
    return _form_page(request, context, failed=request.method == "POST")


@require_http_methods(["GET", "POST"])
def estimate_edit(request: HttpRequest, pk: int) -> HttpResponse:
    estimate = access_estimate(
        request.user,
        pk,
        perm=perms.DRAFT,
        related=("unit", "plan", "activity"),
    )
    if estimate.status not in EDITABLE_STATUSES:
        if request.method == "POST":
            raise Conflict(
                _("This estimate is no longer a draft: it is now “%(status)s”.")
                % {"status": estimate.get_status_display()}
            )
        messages.warning(request, _("Only a draft or a returned estimate can be edited."))
        return _detail(estimate)
    form = EstimateForm(
        _posted(request),
        initial=EstimateForm.initial_for(estimate),
        plan=estimate.plan,
        unit=estimate.unit,
        counted=services.participants_counted(estimate, estimate.activity) is not None,
    )
    saved_lines = list(estimate.lines.select_related("norm").order_by("position"))
    formset = _line_formset(request, line_initial(saved_lines))

    def update(data: services.EstimateInput) -> Estimate:
        return services.estimate_update(actor=request.user, estimate_id=estimate.pk, data=data)

    line_errors: list[str] = []
    if request.method == "POST":
        saved, line_errors = _save_draft(request, form, formset, update, estimate)
        if saved is not None:
            messages.success(request, _("The estimate was saved."))
            return _detail(saved)
    context = {
        "form": form,
        "formset": formset,
        "line_errors": line_errors,
        "estimate": estimate,
        "plan": estimate.plan,
        "norm_warnings": _norm_warnings(saved_lines, estimate),
    }
    return _form_page(request, context, failed=request.method == "POST")


def _norm_warnings(lines: list[EstimateLine], estimate: Estimate) -> list[tuple[Any, Any]]:
    """(line, findings) for the saved lines that depart from their cost norm on the
    estimate's start date: warnings while drafting, never blocking."""
    found = norm_findings(lines, estimate.start_date)
    return [(line, found[line.pk]) for line in lines if found.get(line.pk)]


# ---------------------------------------------------------------------------------------
# Reading


DETAIL_RELATED = ("unit", "plan__area", "content", "activity", "created_by", "submitted_by")


def _totals(lines: list[Any]) -> list[dict[str, Any]]:
    rows = []
    for value, label in Source.choices:
        mine = [line for line in lines if line.source == value]
        if not mine:
            continue
        rows.append(
            {
                "label": label,
                "requested": sum(line.amount for line in mine),
                "appraised": _sum_or_none(line.appraised_amount for line in mine),
                "approved": _sum_or_none(line.approved_amount for line in mine),
            }
        )
    return rows


def _sum_or_none(values: Any) -> int | None:
    values = list(values)
    return None if any(v is None for v in values) else sum(values)


def _process_url(request: HttpRequest, estimate: Estimate) -> str | None:
    from workflows.engine import process_for
    from workflows.flows import EstimateFlow
    from workflows.models import EstimateProcess

    if not request.user.has_perm("workflows.view_estimateprocess"):
        return None
    try:
        process = process_for(estimate)
    except EstimateProcess.DoesNotExist:
        return None
    url: str = EstimateFlow.instance.reverse("process_detail", args=[process.pk])
    return url


def estimate_detail(request: HttpRequest, pk: int) -> HttpResponse:
    estimate = access_estimate(request.user, pk, related=DETAIL_RELATED)
    lines = list(estimate.lines.select_related("norm").order_by("position"))
    history = list(estimate_history(estimate))
    actions = estimate_actions(request.user, estimate)
    money = estimate_money(estimate) if estimate.status in MONEY_STATUSES else None
    summary = approval_summary(estimate, lines) if actions.approve else None
    context = {
        "summary": summary,
        "estimate": estimate,
        "lines": lines,
        "totals": _totals(lines),
        "villages": list(estimate.villages.order_by("sort_order", "name")),
        "history": history,
        "returns": [entry for entry in history if entry.action == "estimate.returned"],
        "diff": estimate_latest_diff(estimate),
        "waiting": estimate_waiting_on(estimate),
        "actions": actions,
        "return_form": ReturnForm(estimate=estimate) if actions.return_ else None,
        "withdraw_form": WithdrawForm() if actions.withdraw else None,
        "approve_form": (
            ApproveForm(amount=summary.amount, words=summary.words) if summary else None
        ),
        "comment_form": CommentForm(),
        "verify_form": VerifySettlementForm() if actions.verify_settlement else None,
        "return_settlement_form": ReturnSettlementForm() if actions.return_settlement else None,
        "process_url": _process_url(request, estimate),
        "money": money,
        "settlement": estimate_settlement(estimate) if money is not None else None,
        "norm_warnings": (
            _norm_warnings(lines, estimate) if estimate.status in EDITABLE_STATUSES else []
        ),
        "acting_for": _acting_for_detail(request, estimate, actions),
        **_amendments_context(request, estimate),
        **attachments_context(
            request.user, estimate, money.disbursements if money is not None else None
        ),
    }
    return render(request, "estimates/detail.html", context)


def _amendments_context(request: HttpRequest, estimate: Estimate) -> dict[str, Any]:
    """The estimate's amendments (one query, for an estimate that holds money), and whether
    to offer "Propose an amendment" (the service and its page check the rest)."""
    if estimate.status not in MONEY_STATUSES:
        return {"amendments": [], "may_amend": False}
    amendments = list(
        Amendment.objects.filter(estimate=estimate).select_related("decision").order_by("number")
    )
    may_amend = (
        estimate.status in lifecycle.sources_of_amend()
        and not any(a.is_open for a in amendments)
        and estimate.unit_id in unit_ids_with(request.user, perms.DRAFT)
    )
    return {"amendments": amendments, "may_amend": may_amend}


def _acting_for_detail(
    request: HttpRequest, estimate: Estimate, actions: Any
) -> dict[str, list[Any]]:
    """Per inline action form of the detail page, whom the user may act for. One query
    when the user holds no delegation today (the usual case; none once that is kept),
    none without buttons; for a delegate, the delegations and what their roles hold read
    once for all the forms (``acting_for_options`` for each)."""
    delegations = (
        delegations_offered_for(request_user(request), timezone.localdate()) if actions.any else []
    )
    if not delegations:
        return {}
    lent = delegated_grants(delegations)
    found: dict[str, list[Any]] = {}
    for name in actions.names:
        row = lifecycle.transition(name, estimate.status)
        if row is not None:
            row = lifecycle.row_for_estimate(row, estimate)
            # the settlement's verification: one form, its two actions (the table's stage)
            key = "settlement" if row.stage == Stage.VERIFICATION else name
            found[key] = acting_for_in(delegations, lent, row.permission, estimate.unit_id)
    return found


def estimate_versions(request: HttpRequest, pk: int) -> HttpResponse:
    estimate = access_estimate(request.user, pk, related=("unit",))
    versions = list(
        EstimateVersion.objects.filter(estimate=estimate)
        .select_related("created_by")
        .order_by("-number")
    )
    diffs = [version_diff(old, new) for new, old in itertools.pairwise(versions)]
    return render(
        request,
        "estimates/versions.html",
        {"estimate": estimate, "versions": versions, "diffs": diffs},
    )


# ---------------------------------------------------------------------------------------
# Actions: each calls one service


def _act(
    request: HttpRequest,
    estimate: Estimate,
    form: forms.Form,
    run: Callable[[dict[str, Any]], Any],
    *,
    title: str,
    button: str,
    done: str,
    available: bool = True,
    template: str = "estimates/action.html",
    extra: dict[str, Any] | None = None,
) -> HttpResponse:
    """GET shows the action's page (or sends back to the estimate when the action is not
    open to the user now); POST validates and calls the service. A POST made from a page
    that showed another status than the estimate's current one is a conflict (409)."""
    if request.method == "GET" and not available:
        messages.warning(request, _("This action is not open to you on this estimate now."))
        return _detail(estimate)
    seen = request.POST.get("seen_status") if request.method == "POST" else None
    if seen and seen != estimate.status:
        raise moved_on(estimate)
    if request.method == "POST" and form.is_valid():
        try:
            run(form.cleaned_data)
        except RuleViolation as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, done)
            return _detail(estimate)
    context = {"estimate": estimate, "form": form, "title": title, "button": button}
    context.update(extra or {})
    return render(request, template, context, status=400 if request.method == "POST" else 200)


def _estimate_for(request: HttpRequest, pk: int, perm: str) -> Estimate:
    # With its plan: the action pages show the envelope's figures, which name the plan's
    # levels and sources.
    return access_estimate(request.user, pk, perm=perm, related=("unit", "plan"))


@require_POST
def estimate_submit(request: HttpRequest, pk: int) -> HttpResponse:
    estimate = _estimate_for(request, pk, perms.DRAFT)
    return _act(
        request,
        estimate,
        _offer(request, estimate, CommentForm(request.POST), perms.DRAFT),
        lambda d: services.estimate_submit(
            actor=request.user,
            estimate_id=estimate.pk,
            comment=d["comment"],
            acting_for=d.get("acting_for"),
        ),
        title=_("Submit"),
        button=_("Submit"),
        done=_("The estimate was submitted."),
    )


@require_POST
def estimate_forward(request: HttpRequest, pk: int) -> HttpResponse:
    estimate = _estimate_for(request, pk, perms.REVIEW)
    return _act(
        request,
        estimate,
        _offer(request, estimate, CommentForm(request.POST), perms.REVIEW),
        lambda d: services.estimate_forward(
            actor=request.user,
            estimate_id=estimate.pk,
            comment=d["comment"],
            acting_for=d.get("acting_for"),
        ),
        title=_("Forward to Finance-Planning"),
        button=_("Forward"),
        done=_("The estimate was forwarded to Finance-Planning."),
    )


@require_http_methods(["GET", "POST"])
def estimate_return(request: HttpRequest, pk: int) -> HttpResponse:
    estimate = _estimate_for(request, pk, perms.VIEW)
    row = lifecycle.transition("return", estimate.status)
    if request.method == "POST" and row is None:
        raise moved_on(estimate)
    form = ReturnForm(_posted(request), estimate=estimate)
    if row is not None:
        _offer(request, estimate, form, row.permission)
    return _act(
        request,
        estimate,
        form,
        lambda d: services.estimate_return(
            actor=request.user,
            estimate_id=estimate.pk,
            reason=d["reason"],
            to=d["to"],
            acting_for=d.get("acting_for"),
        ),
        title=_("Return for revision"),
        button=_("Return"),
        available=estimate_actions(request.user, estimate).return_,
        done=_("The estimate was returned."),
    )


@require_http_methods(["GET", "POST"])
def estimate_appraise(request: HttpRequest, pk: int) -> HttpResponse:
    estimate = _estimate_for(request, pk, perms.APPRAISE)
    lines = list(estimate.lines.select_related("norm").order_by("position"))
    form = _offer(request, estimate, AppraiseForm(_posted(request), lines=lines), perms.APPRAISE)
    findings = norm_findings(lines, estimate.start_date)
    return _act(
        request,
        estimate,
        form,
        lambda d: services.estimate_appraise(
            actor=request.user,
            estimate_id=estimate.pk,
            cuts=form.cuts(),
            comment=d["comment"],
            norm_override_reason=d["norm_override_reason"],
            acting_for=d.get("acting_for"),
        ),
        title=_("Appraise"),
        button=_("Appraise and send for approval"),
        available=estimate_actions(request.user, estimate).appraise,
        done=_("The estimate was appraised and sent for approval."),
        template="estimates/appraise.html",
        extra={
            "funding": estimate_funding(estimate),
            "rows": [(*row, findings.get(row[0].pk, [])) for row in form.rows()],
            "findings_any": any(findings.values()),
            "appraised_total": sum(
                line.amount if line.appraised_amount is None else line.appraised_amount
                for line in lines
            ),
        },
    )


@require_http_methods(["GET", "POST"])
@recent_second_factor
def estimate_approve(request: HttpRequest, pk: int) -> HttpResponse:
    estimate = _estimate_for(request, pk, perms.APPROVE)
    summary = approval_summary(estimate, list(estimate.lines.order_by("position")))
    form = ApproveForm(_posted(request), amount=summary.amount, words=summary.words)
    return _act(
        request,
        estimate,
        _offer(request, estimate, form, perms.APPROVE),
        lambda d: services.estimate_approve(
            actor=request.user,
            estimate_id=estimate.pk,
            comment=d["comment"],
            acting_for=d.get("acting_for"),
        ),
        title=_("Approve"),
        button=_("Approve"),
        available=estimate_actions(request.user, estimate).approve,
        done=_("The estimate was approved."),
        extra={"summary": summary},
    )


@require_http_methods(["GET", "POST"])
def estimate_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    estimate = _estimate_for(request, pk, perms.DRAFT)
    return _act(
        request,
        estimate,
        _offer(request, estimate, WithdrawForm(_posted(request)), perms.DRAFT),
        lambda d: services.estimate_withdraw(
            actor=request.user,
            estimate_id=estimate.pk,
            reason=d["reason"],
            acting_for=d.get("acting_for"),
        ),
        title=_("Withdraw"),
        button=_("Withdraw"),
        available=estimate_actions(request.user, estimate).withdraw,
        done=_("The estimate was withdrawn."),
    )
