"""The REST API: thin views over the same selectors, access gate and services as the web
pages. A view checks that the user may see the object (``approvals.access``: 404 when
not), reads the input's shape (``api.serializers``), calls the service and answers with
the estimate as it now is. The services decide everything else: rights, segregation of
duties, state (409), rules (400), locking, audit and notifications."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.contrib.auth import authenticate, get_user_model
from django.db.models import F, Prefetch, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase, JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    OpenApiTypes,
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.parsers import MultiPartParser
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import APIView

from accounts.lockout import lockout_response
from accounts.models import ApiToken
from accounts.second_factor import code_check, has_second_factor, second_factor_required
from accounts.tokens import token_issue, tokens_revoke
from approvals import services
from approvals.access import (
    GATE_FIELDS,
    INBOX_ORDER,
    access_estimate,
    amendment_actions_allowed,
    estimate_inbox_for_user,
    estimate_list_for_user,
    inbox_count,
    inbox_first,
    unit_ids_with,
)
from approvals.models import AuditEntry
from attachments import services as attachment_services
from attachments.files import ACCEPTED, file_size_check
from attachments.selectors import attachment_for_user, attachment_response, estimate_attachments
from core.errors import RuleViolation
from core.pagination import Window
from estimates.models import Amendment, Estimate, EstimateLine, EstimateVersion, Plan, Source
from estimates.selectors import plan_communes, plan_contents, plan_default_for
from estimates.tally import tally_available, tally_totals
from ledger import models as ledger_models
from ledger.selectors import carry_over_reconcile, cell_balances
from organization import permissions as perms
from organization.models import Unit
from reorganisations.models import Reorganisation
from reorganisations.selectors import estimate_moves_for_user, reorganisation_list
from reports.consolidated import consolidated_report
from reports.decisions import amendment_decision_pdf, estimate_decision_pdf
from reports.exports import export_prepare
from reports.filters import DecisionFilterForm, ReportFilterForm, ReportQuery, form_errors
from reports.listings import decision_list_for_user
from reports.models import ExportKind
from reports.responses import file_response
from reports.workbooks import XLSX, estimate_form_xlsx, settlement_form_xlsx

from . import serializers as s
from .filters import EstimateFilter
from .idempotency import PARAMETER as IDEMPOTENCY_KEY
from .idempotency import idempotent
from .renderers import PDFRenderer, XLSXRenderer
from .serializers import (
    ConsolidatedReportSerializer,
    DecisionListSerializer,
    DecisionQuerySerializer,
    ReportQuerySerializer,
)

ERROR = OpenApiResponse(s.ErrorSerializer)
READ_ERRORS: dict[int, OpenApiResponse] = {401: ERROR, 404: ERROR, 429: ERROR}
LIST_ERRORS: dict[int, OpenApiResponse] = {400: ERROR, **READ_ERRORS}
WRITE_ERRORS: dict[int, OpenApiResponse] = {
    400: ERROR,
    401: ERROR,
    403: ERROR,
    404: ERROR,
    409: ERROR,
    413: ERROR,
    422: ERROR,
    429: ERROR,
}
ID_PARAMETER = OpenApiParameter(
    "id", OpenApiTypes.INT64, OpenApiParameter.PATH, description="The object's id."
)


def object_id(value: Any) -> int:
    """A path id as an int, or 404 (never a database error for 'abc' or 10^30)."""
    try:
        pk = int(str(value))
    except ValueError:
        raise Http404(_("Not found.")) from None
    if not 1 <= pk <= s.ID_MAX:
        raise Http404(_("Not found."))
    return pk


@csrf_exempt
def api_not_found(request: HttpRequest, path: str = "") -> JsonResponse:
    """Any other address under /api/v1/: a JSON 404, not the site's HTML page, for every
    method. Exempt from the CSRF check, as DRF's views are: it changes nothing, and
    without the exemption ``CsrfViewMiddleware`` answers a POST, PUT, PATCH or DELETE
    without a CSRF cookie with its HTML 403 page before this view runs."""
    return JsonResponse({"detail": _("Not found."), "field": None}, status=404)


# --------------------------------------------------------------------------------------
# Plans


@extend_schema_view(
    list=extend_schema(
        summary="Plans",
        description="Every plan, newest first. Plans are public to every signed-in user.",
        responses={200: s.PlanSerializer(many=True), **READ_ERRORS},
    ),
    retrieve=extend_schema(
        summary="A plan: header, area, catalogue and envelope",
        parameters=[ID_PARAMETER],
        responses={200: s.PlanDetailSerializer, **READ_ERRORS},
    ),
)
class PlanViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = s.PlanSerializer
    filter_backends: list[Any] = []

    def get_queryset(self) -> QuerySet[Plan]:
        return Plan.objects.select_related("area", "issuer").order_by("-year", "number", "pk")

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        plan = self.get_queryset().filter(pk=object_id(kwargs["pk"])).first()
        if plan is None:
            raise Http404(_("No such plan."))
        plan.api_communes = list(plan_communes(plan))  # type: ignore[attr-defined]
        plan.api_contents = list(plan_contents(plan))  # type: ignore[attr-defined]
        plan.api_envelope = cell_balances(plan)  # type: ignore[attr-defined]
        plan.api_levels = [lv.as_dict() for lv in plan.level_specs()]  # type: ignore[attr-defined]
        plan.api_carry_over = carry_over_reconcile(plan)  # type: ignore[attr-defined]
        return Response(s.PlanDetailSerializer(plan, context={"request": request}).data)


class ReorganisationViewSet(viewsets.ReadOnlyModelViewSet):
    """Reorganisations of units applied (``manage.py apply_reorganisation``): which unit
    went to which successor on which date; the detail lists the estimates it moved that
    you may see."""

    serializer_class = s.ReorganisationSerializer
    filter_backends: list[Any] = []

    def get_queryset(self) -> QuerySet[Reorganisation]:
        return reorganisation_list()

    @extend_schema(responses=s.ReorganisationDetailSerializer)
    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        found = self.get_queryset().filter(pk=object_id(kwargs["pk"])).first()
        if found is None:
            raise Http404(_("No such reorganisation."))
        found.api_estimates = list(  # type: ignore[attr-defined]
            estimate_moves_for_user(request.user, found)
        )
        return Response(s.ReorganisationDetailSerializer(found, context={"request": request}).data)


# --------------------------------------------------------------------------------------
# Estimates


def _detail_queryset() -> QuerySet[Estimate]:
    return Estimate.objects.select_related(
        "unit", "content", "activity", "created_by", "submitted_by"
    ).prefetch_related(
        "villages",
        Prefetch("lines", queryset=EstimateLine.objects.order_by("position")),
        Prefetch(
            "versions",
            queryset=EstimateVersion.objects.select_related("created_by").order_by("number"),
        ),
    )


def _estimate_input(data: dict[str, Any]) -> services.EstimateInput:
    return services.EstimateInput(
        activity_id=data["activity"],
        title=data["title"],
        start_date=data["start_date"],
        end_date=data["end_date"],
        purpose=data["purpose"],
        village_ids=list(data["villages"]),
        participants_women=data["participants_women"],
        participants_girls=data["participants_girls"],
        participants_men=data["participants_men"],
        lines=[
            services.LineInput(
                description=line["description"],
                unit_of_measure=line["unit_of_measure"],
                quantity=line["quantity"],
                unit_price=line["unit_price"],
                times=line["times"],
                source=line["source"],
                norm_id=line.get("norm"),
                line_id=line.get("id"),
            )
            for line in data["lines"]
        ],
    )


def _transition(summary: str, description: str, request: Any = None) -> Any:
    return extend_schema(
        summary=summary,
        description=description,
        parameters=[ID_PARAMETER, IDEMPOTENCY_KEY],
        request=request,
        responses={200: s.EstimateDetailSerializer, **WRITE_ERRORS},
    )


#: Query parameters of a list that are not filters: pagination and DRF's format.
LIST_PARAMETERS = frozenset({"page", "page_size", "format"})
#: The estimate list's filters the tally can count (``EstimateViewSet.list_count``).
TALLY_FILTERS = frozenset({"plan", "commune", "status"})


def tally_filters(request: Any) -> dict[str, Any] | None:
    """The estimate filters of a list request as the tally takes them (``plan_id``,
    ``status``, ``unit_id``) when only those choose; None when another does (a search, a
    content, an ordering) or one is invalid: then the pager counts the rows. Read once a
    request (the count and the page's rows both ask)."""
    if hasattr(request, "_tally_filters"):
        kept: dict[str, Any] | None = request._tally_filters
        return kept
    found = None
    chosen = set(request.query_params) - LIST_PARAMETERS - {"ordering"}
    if chosen <= TALLY_FILTERS:
        filterset = EstimateFilter(request.query_params, queryset=Estimate.objects.none())
        if filterset.is_valid():
            data = filterset.form.cleaned_data
            found = {
                "plan_id": data.get("plan"),
                "status": data.get("status") or None,
                "unit_id": data.get("commune"),
            }
    request._tally_filters = found
    return found


@extend_schema_view(
    list=extend_schema(
        summary="Estimates you may see",
        description=(
            "Your communes' estimates (or every commune's, for district roles), newest first "
            "unless `ordering` says otherwise; the id breaks ties."
        ),
        responses={200: s.EstimateSerializer(many=True), **LIST_ERRORS},
    ),
)
class _TransitionViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """A list of objects that move through the lifecycle table. A transition's validated
    input gives up ``acting_for`` (a colleague acted for under a delegation), kept on the
    view for the service call."""

    acting_for: Any = None

    def _input(self, serializer_class: type[serializers.Serializer]) -> dict[str, Any]:
        serializer = serializer_class(data=self.request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        acting_for_id = data.pop("acting_for", None)
        self.acting_for = None
        if acting_for_id is not None:
            self.acting_for = get_user_model().objects.filter(pk=acting_for_id).first()
            if self.acting_for is None:
                raise RuleViolation(_("No such colleague."), field="acting_for")
        return data


#: What a row of the estimates' list reads: the columns ``EstimateSerializer`` answers
#: with and those its actions ask about (``approvals.access.GATE_FIELDS``). Read whole,
#: each row carried its plan's row too, its levels parsed again row after row.
LIST_FIELDS = (
    *(
        field
        for field in s.EstimateSerializer.Meta.fields
        if field not in {"actions", "status_display"}
    ),
    *GATE_FIELDS,
)
#: The unit's, content's and activity's columns an answer names, read with the estimate's
#: row (``EstimateSerializer`` reads them there: three model instances a row fewer).
LIST_REFS = {
    s.ref_alias(relation, column): F(f"{relation}__{column}")
    for relation, columns in s.ESTIMATE_REFS.items()
    for column in columns
    if column != "id"
}


def list_rows(queryset: QuerySet[Estimate]) -> QuerySet[Estimate]:
    """The estimates of a page of a list, read as the list answers them (``LIST_FIELDS``,
    ``LIST_REFS``), without their plans: a row answers with its plan's id, and the
    actions read the page's plans in one query (settling follows the plan's level:
    ``approvals.access.actions_allowed``), lighter than Django's prefetch. Joined to every
    row, the plan cost more to plan and to build than the rows (50 rows: 4.4 → 2.9 ms to
    read)."""
    return queryset.only(*LIST_FIELDS).annotate(**LIST_REFS)


class EstimateViewSet(_TransitionViewSet):
    serializer_class = s.EstimateSerializer
    filterset_class = EstimateFilter

    def get_queryset(self) -> QuerySet[Estimate]:
        # The plan with each estimate: the actions it offers follow its plan's levels (who
        # pays and settles at its level), read without a query per plan.
        queryset = estimate_list_for_user(self.request.user)
        if self.action == "list":  # a page of rows: the columns it answers with only
            return list_rows(queryset)
        return queryset.select_related("unit", "content", "activity", "plan")

    def list_count(self) -> int | None:
        """The list's count read from the estimates' tally when only the plan, the commune
        and the status choose (exact, without counting a district's 100,000 rows); None
        otherwise, and the pager counts."""
        if self.action != "list" or not tally_available():  # history, versions...: their own rows
            return None
        chosen = tally_filters(self.request)
        if chosen is None:
            return None
        return tally_totals(unit_ids_with(self.request.user, perms.VIEW), **chosen)["count"]

    def filter_queryset(self, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.action == "list":
            known = set(EstimateFilter.base_filters) | LIST_PARAMETERS
            unknown = sorted(set(self.request.query_params) - known)
            if unknown:
                raise serializers.ValidationError(
                    {name: [_("Unknown filter: this list does not know it.")] for name in unknown}
                )
        queryset = super().filter_queryset(queryset)
        ordering = [str(key) for key in queryset.query.order_by] or ["-created_at"]
        return queryset.order_by(*ordering, "-pk")

    def _estimate(self, pk: Any, *, perm: str = perms.VIEW) -> Estimate:
        return access_estimate(
            self.request.user, object_id(pk), perm=perm, queryset=_detail_queryset()
        )

    def _answer(self, pk: int, code: int = status.HTTP_200_OK) -> Response:
        estimate = self._estimate(pk)
        context = self.get_serializer_context()
        return Response(s.EstimateDetailSerializer(estimate, context=context).data, status=code)

    @extend_schema(
        summary="An estimate with its lines and versions",
        parameters=[ID_PARAMETER],
        responses={200: s.EstimateDetailSerializer, **READ_ERRORS},
    )
    def retrieve(self, request: Request, pk: str) -> Response:
        return self._answer(self._estimate(pk).pk)

    @extend_schema(
        summary="Draft a new estimate",
        description=(
            "Creates a draft for your unit (your commune, or the district for a "
            "district-level activity). Amounts are whole đồng; each line's amount is "
            "quantity × unit price × times, computed by the server."
        ),
        parameters=[IDEMPOTENCY_KEY],
        request=s.EstimateWriteSerializer,
        responses={201: s.EstimateDetailSerializer, **WRITE_ERRORS},
    )
    @idempotent
    def create(self, request: Request) -> Response:
        data = self._input(s.EstimateWriteSerializer)
        if "plan" in data:
            plan = Plan.objects.filter(pk=data["plan"]).first()
        else:
            plan = plan_default_for(request.user, perms.DRAFT)
        if plan is None:
            raise RuleViolation(_("No such plan."), field="plan")
        if "unit" in data:
            unit = Unit.objects.filter(pk=data["unit"]).first()
        else:
            own = unit_ids_with(request.user, perms.DRAFT)
            unit = Unit.objects.filter(pk=next(iter(own))).first() if len(own) == 1 else None
        if unit is None:
            raise RuleViolation(_("Choose the unit the estimate is for."), field="unit")
        estimate = services.estimate_create(
            actor=request.user, plan=plan, unit=unit, data=_estimate_input(data)
        )
        return self._answer(estimate.pk, status.HTTP_201_CREATED)

    @extend_schema(
        summary="Edit a draft or returned estimate",
        description="Replaces the estimate's fields and lines (send `id` to keep a line).",
        parameters=[ID_PARAMETER, IDEMPOTENCY_KEY],
        request=s.EstimateWriteSerializer,
        responses={200: s.EstimateDetailSerializer, **WRITE_ERRORS},
    )
    @idempotent
    def update(self, request: Request, pk: str) -> Response:
        estimate = self._estimate(pk)
        data = self._input(s.EstimateWriteSerializer)
        services.estimate_update(
            actor=request.user, estimate_id=estimate.pk, data=_estimate_input(data)
        )
        return self._answer(estimate.pk)

    @extend_schema(
        summary="An estimate's history",
        description="Every action on the estimate, oldest first, from the audit trail.",
        parameters=[ID_PARAMETER],
        responses={200: s.HistoryEntrySerializer(many=True), **READ_ERRORS},
    )
    @action(detail=True, methods=["get"], filter_backends=[])
    def history(self, request: Request, pk: str) -> Response:
        estimate = self._estimate(pk)
        entries = AuditEntry.objects.filter(estimate=estimate).order_by("seq")
        page = self.paginate_queryset(entries)
        return self.get_paginated_response(s.HistoryEntrySerializer(page, many=True).data)

    @extend_schema(
        summary="An estimate's approval decision (PDF)",
        description=(
            "The decision issued when the estimate was approved, as a PDF in the format of "
            "Decree 30/2020/NĐ-CP, printed from the decision frozen at approval (the same "
            "bytes each time). 409 while the estimate has no decision."
        ),
        parameters=[ID_PARAMETER],
        responses={
            (200, "application/pdf"): OpenApiTypes.BINARY,
            **{(code, "application/json"): ERROR for code in (401, 404, 409, 429)},
        },
    )
    @action(
        detail=True,
        methods=["get"],
        filter_backends=[],
        renderer_classes=[*api_settings.DEFAULT_RENDERER_CLASSES, PDFRenderer],
    )
    def decision(self, request: Request, pk: str) -> HttpResponse:
        content, filename = estimate_decision_pdf(self._estimate(pk))
        return file_response(content, filename, content_type="application/pdf", inline=True)

    @extend_schema(
        summary="An estimate's estimate form (Excel)",
        description=(
            "The estimate form (dự toán kinh phí) as an Excel workbook: the lines, the "
            "appraised and approved amounts once they exist, subtotals per funding source, "
            "the total in figures and in words, and the signature blocks."
        ),
        parameters=[ID_PARAMETER],
        responses={
            (200, XLSX): OpenApiTypes.BINARY,
            **{(code, "application/json"): ERROR for code in (401, 404, 429)},
        },
    )
    @action(
        detail=True,
        methods=["get"],
        url_path="estimate-form",
        filter_backends=[],
        renderer_classes=[*api_settings.DEFAULT_RENDERER_CLASSES, XLSXRenderer],
    )
    def estimate_form(self, request: Request, pk: str) -> HttpResponse:
        content, filename = estimate_form_xlsx(self._estimate(pk))
        return file_response(content, filename, content_type=XLSX)

    @extend_schema(
        summary="An estimate's settlement form (Excel)",
        description=(
            "The settlement form (quyết toán kinh phí) as an Excel workbook: per line the "
            "approved amount and what was spent; per funding source approved, disbursed, "
            "spent, returned and carried over. 409 while the estimate has no settlement."
        ),
        parameters=[ID_PARAMETER],
        responses={
            (200, XLSX): OpenApiTypes.BINARY,
            **{(code, "application/json"): ERROR for code in (401, 404, 409, 429)},
        },
    )
    @action(
        detail=True,
        methods=["get"],
        url_path="settlement-form",
        filter_backends=[],
        renderer_classes=[*api_settings.DEFAULT_RENDERER_CLASSES, XLSXRenderer],
    )
    def settlement_form(self, request: Request, pk: str) -> HttpResponse:
        content, filename = settlement_form_xlsx(self._estimate(pk))
        return file_response(content, filename, content_type=XLSX)

    @extend_schema(
        summary="An estimate's submitted versions",
        description="Each version as it was frozen on submission, oldest first.",
        parameters=[ID_PARAMETER],
        responses={200: s.VersionSerializer(many=True), **READ_ERRORS},
    )
    @action(detail=True, methods=["get"], filter_backends=[])
    def versions(self, request: Request, pk: str) -> Response:
        estimate = self._estimate(pk)
        versions = (
            EstimateVersion.objects.filter(estimate=estimate)
            .select_related("created_by")
            .order_by("number")
        )
        page = self.paginate_queryset(versions)
        return self.get_paginated_response(s.VersionSerializer(page, many=True).data)

    # ----------------------------------------------------------------------------------
    # Transitions: POST /estimates/{id}/<action>/

    @_transition(
        "Submit",
        "The drafting unit submits a draft or returned estimate (a new version is frozen).",
        s.CommentSerializer,
    )
    @action(detail=True, methods=["post"], filter_backends=[])
    @idempotent
    def submit(self, request: Request, pk: str) -> Response:
        estimate = self._estimate(pk)
        data = self._input(s.CommentSerializer)
        services.estimate_submit(
            actor=request.user, estimate_id=estimate.pk, acting_for=self.acting_for, **data
        )
        return self._answer(estimate.pk)

    @_transition(
        "Forward",
        "The district Women's Union forwards a reviewed estimate to Finance-Planning.",
        s.CommentSerializer,
    )
    @action(detail=True, methods=["post"], filter_backends=[])
    @idempotent
    def forward(self, request: Request, pk: str) -> Response:
        estimate = self._estimate(pk)
        data = self._input(s.CommentSerializer)
        services.estimate_forward(
            actor=request.user, estimate_id=estimate.pk, acting_for=self.acting_for, **data
        )
        return self._answer(estimate.pk)

    @_transition(
        "Return for revision",
        "With a reason: from review to the drafter; from appraisal to the drafter or to "
        "review; from approval to appraisal.",
        s.ReturnSerializer,
    )
    @action(detail=True, methods=["post"], url_path="return", filter_backends=[])
    @idempotent
    def return_(self, request: Request, pk: str) -> Response:
        estimate = self._estimate(pk)
        data = self._input(s.ReturnSerializer)
        services.estimate_return(
            actor=request.user,
            estimate_id=estimate.pk,
            reason=data["reason"],
            to=data.get("to"),
            acting_for=self.acting_for,
        )
        return self._answer(estimate.pk)

    @_transition(
        "Appraise",
        "Finance-Planning appraises: may lower lines (whole đồng, with a reason each), never "
        "raise them; lines not listed keep their requested amount. Forwards to the approver.",
        s.AppraiseSerializer,
    )
    @action(detail=True, methods=["post"], filter_backends=[])
    @idempotent
    def appraise(self, request: Request, pk: str) -> Response:
        estimate = self._estimate(pk)
        data = self._input(s.AppraiseSerializer)
        services.estimate_appraise(
            actor=request.user,
            estimate_id=estimate.pk,
            cuts=[
                services.LineCut(cut["line_id"], cut["appraised_amount"], cut["reason"])
                for cut in data["cuts"]
            ],
            comment=data["comment"],
            norm_override_reason=data["norm_override_reason"],
            acting_for=self.acting_for,
        )
        return self._answer(estimate.pk)

    @_transition(
        "Approve",
        "The vice chair approves the appraised amounts.",
        s.CommentSerializer,
    )
    @action(detail=True, methods=["post"], filter_backends=[])
    @idempotent
    def approve(self, request: Request, pk: str) -> Response:
        estimate = self._estimate(pk)
        data = self._input(s.CommentSerializer)
        services.estimate_approve(
            actor=request.user, estimate_id=estimate.pk, acting_for=self.acting_for, **data
        )
        return self._answer(estimate.pk)

    @_transition(
        "Withdraw",
        "The drafting unit withdraws an estimate that is not yet approved, with a reason.",
        s.ReasonSerializer,
    )
    @action(detail=True, methods=["post"], filter_backends=[])
    @idempotent
    def withdraw(self, request: Request, pk: str) -> Response:
        estimate = self._estimate(pk)
        data = self._input(s.ReasonSerializer)
        services.estimate_withdraw(
            actor=request.user,
            estimate_id=estimate.pk,
            reason=data["reason"],
            acting_for=self.acting_for,
        )
        return self._answer(estimate.pk)

    @_transition(
        "Record a disbursement",
        "The accountant records an advance or a payment (whole đồng), never more than approved.",
        s.DisburseSerializer,
    )
    @action(detail=True, methods=["post"], filter_backends=[])
    @idempotent
    def disburse(self, request: Request, pk: str) -> Response:
        estimate = self._estimate(pk)
        data = self._input(s.DisburseSerializer)
        services.estimate_disburse(
            actor=request.user, estimate_id=estimate.pk, acting_for=self.acting_for, **data
        )
        return self._answer(estimate.pk)

    @_transition(
        "Clear an advance",
        "The accountant records that an advance was justified with payment documents, on "
        "a date not in the future. No money moves and the status stays.",
        s.ClearAdvanceSerializer,
    )
    @action(
        detail=True,
        methods=["post"],
        url_path="clear-advance",
        url_name="clear-advance",
        filter_backends=[],
    )
    @idempotent
    def clear_advance(self, request: Request, pk: str) -> Response:
        estimate = self._estimate(pk)
        data = self._input(s.ClearAdvanceSerializer)
        services.estimate_clear_advance(
            actor=request.user,
            estimate_id=estimate.pk,
            disbursement_id=data["disbursement"],
            cleared_on=data["cleared_on"],
            document=data["document"],
            acting_for=self.acting_for,
        )
        return self._answer(estimate.pk)

    @_transition(
        "Submit the settlement",
        "The drafting unit reports what was spent per line (where the plan's level makes "
        "the commune the spending unit, the commune's accountant does); the unspent part is "
        "returned (with its document) or carried over (with a use-by date).",
        s.SettleSerializer,
    )
    @action(detail=True, methods=["post"], filter_backends=[])
    @idempotent
    def settle(self, request: Request, pk: str) -> Response:
        estimate = self._estimate(pk)
        data = self._input(s.SettleSerializer)
        services.estimate_settle(
            actor=request.user,
            estimate_id=estimate.pk,
            lines=[dict(line) for line in data["lines"]],
            returned=data["returned"],
            return_document=data["return_document"],
            carried=data["carried"],
            carried_use_by=data["carried_use_by"],
            settled_on=data["settled_on"],
            acting_for=self.acting_for,
        )
        return self._answer(estimate.pk)

    @_transition(
        "Verify the settlement",
        "Finance-Planning verifies the settlement and closes the estimate.",
        s.EmptySerializer,
    )
    @action(
        detail=True,
        methods=["post"],
        url_path="verify-settlement",
        url_name="verify-settlement",
        filter_backends=[],
    )
    @idempotent
    def verify_settlement(self, request: Request, pk: str) -> Response:
        estimate = self._estimate(pk)
        self._input(s.EmptySerializer)
        services.estimate_verify_settlement(
            actor=request.user, estimate_id=estimate.pk, acting_for=self.acting_for
        )
        return self._answer(estimate.pk)

    @_transition(
        "Return the settlement",
        "Finance-Planning sends a settlement back to the spending unit for correction, with "
        "a reason.",
        s.ReasonSerializer,
    )
    @action(
        detail=True,
        methods=["post"],
        url_path="return-settlement",
        url_name="return-settlement",
        filter_backends=[],
    )
    @idempotent
    def return_settlement(self, request: Request, pk: str) -> Response:
        estimate = self._estimate(pk)
        data = self._input(s.ReasonSerializer)
        services.estimate_return_settlement(
            actor=request.user,
            estimate_id=estimate.pk,
            reason=data["reason"],
            acting_for=self.acting_for,
        )
        return self._answer(estimate.pk)


# --------------------------------------------------------------------------------------
# Tasks


@extend_schema_view(
    list=extend_schema(
        summary="Tasks waiting for you",
        description=(
            "Estimates in a status where one of your roles acts, the longest waiting first, "
            "each with the actions your roles open on it."
        ),
        responses={200: s.EstimateSerializer(many=True), **LIST_ERRORS},
    ),
)
class TaskViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    serializer_class = s.EstimateSerializer
    filterset_class = EstimateFilter

    def get_queryset(self) -> QuerySet[Estimate]:
        return list_rows(estimate_inbox_for_user(self.request.user))

    def list_count(self) -> int | None:
        """The list's count from the estimates' tally when only the plan, the commune and
        the status choose (``approvals.access.inbox_count``); None otherwise, and the pager
        counts."""
        chosen = tally_filters(self.request)
        return None if chosen is None else inbox_count(self.request.user, **chosen)

    def list_window(self, queryset: QuerySet[Estimate]) -> Window | None:
        """The page's rows found one stage at a time (``approvals.access.inbox_first``)
        when the list is in the inbox's order and only the tally's filters choose."""
        chosen = tally_filters(self.request)
        if chosen is None or tuple(queryset.query.order_by) != INBOX_ORDER:
            return None
        status = chosen["status"]
        user = self.request.user

        def window(rows: int) -> QuerySet[Estimate]:
            return inbox_first(
                user,
                queryset,
                rows,
                statuses=[status] if status else None,
                plan_id=chosen["plan_id"],
                unit_id=chosen["unit_id"],
            )

        return window

    def filter_queryset(self, queryset: QuerySet[Any]) -> QuerySet[Any]:
        queryset = super().filter_queryset(queryset)
        ordering = [str(key) for key in queryset.query.order_by] or [INBOX_ORDER[0]]
        return queryset.order_by(*ordering, "pk")


# --------------------------------------------------------------------------------------
# Disbursements and settlements (the ledger's records, read through the access gate)


class DisbursementQuery(serializers.Serializer):
    estimate = serializers.IntegerField(min_value=1, max_value=s.ID_MAX, required=False)
    kind = serializers.ChoiceField(choices=s.DISBURSEMENT_KINDS, required=False)
    source = serializers.ChoiceField(choices=Source.choices, required=False)  # type: ignore[assignment]
    paid_from = serializers.DateField(required=False)
    paid_to = serializers.DateField(required=False)


class SettlementQuery(serializers.Serializer):
    estimate = serializers.IntegerField(min_value=1, max_value=s.ID_MAX, required=False)
    status = serializers.ChoiceField(choices=s.SETTLEMENT_STATUSES, required=False)


def _ledger_model(name: str) -> Any:
    return getattr(ledger_models, name)


class _LedgerListView(mixins.ListModelMixin, viewsets.GenericViewSet):
    filter_backends: list[Any] = []
    query_serializer: type[serializers.Serializer]

    def _query(self) -> dict[str, Any]:
        query = self.query_serializer(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        return dict(query.validated_data)

    def _visible(self, model: Any) -> Any:
        return model.objects.filter(
            estimate__unit_id__any=unit_ids_with(self.request.user, perms.VIEW)
        ).select_related("estimate")


@extend_schema_view(
    list=extend_schema(
        summary="Disbursements (advances and payments)",
        description="On the estimates you may see, the latest payment first.",
        parameters=[DisbursementQuery],
        responses={200: s.DisbursementSerializer(many=True), **LIST_ERRORS},
    )
)
class DisbursementViewSet(_LedgerListView):
    serializer_class = s.DisbursementSerializer
    query_serializer = DisbursementQuery

    def get_queryset(self) -> Any:
        query = self._query()
        qs = self._visible(_ledger_model("Disbursement"))
        if "estimate" in query:
            qs = qs.filter(estimate_id=query["estimate"])
        for name in ("kind", "source"):
            if name in query:
                qs = qs.filter(**{name: query[name]})
        if "paid_from" in query:
            qs = qs.filter(paid_on__gte=query["paid_from"])
        if "paid_to" in query:
            qs = qs.filter(paid_on__lte=query["paid_to"])
        return qs.order_by("-paid_on", "-pk")


@extend_schema_view(
    list=extend_schema(
        summary="Settlements",
        description="On the estimates you may see, the latest submitted first.",
        parameters=[SettlementQuery],
        responses={200: s.SettlementSerializer(many=True), **LIST_ERRORS},
    )
)
class SettlementViewSet(_LedgerListView):
    serializer_class = s.SettlementSerializer
    query_serializer = SettlementQuery

    def get_queryset(self) -> Any:
        query = self._query()
        qs = self._visible(_ledger_model("Settlement"))
        if "estimate" in query:
            qs = qs.filter(estimate_id=query["estimate"])
        if "status" in query:
            qs = qs.filter(status=query["status"])
        return qs.order_by("-submitted_at", "-pk")


# --------------------------------------------------------------------------------------
# Tokens


class TokenRequestSerializer(serializers.Serializer):
    name = serializers.CharField(
        max_length=100, help_text="What the token is for (shown in your list of tokens)."
    )
    days = serializers.IntegerField(
        min_value=1,
        max_value=365,
        required=False,
        help_text="How many days the token is valid (API_TOKEN_DAYS by default).",
    )
    username = serializers.CharField(max_length=150, required=False)
    password = serializers.CharField(max_length=4096, required=False, write_only=True)
    otp = serializers.CharField(
        max_length=32,
        required=False,
        write_only=True,
        help_text="A code from your authenticator app, or a recovery code.",
    )


class TokenListSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    prefix = serializers.CharField(help_text="The first characters of the key.")
    created_at = serializers.DateTimeField()
    expires_at = serializers.DateTimeField()


def _user(request: Request) -> Any:
    """The authenticated user (IsAuthenticated has let only those through)."""
    return request.user


def _refused(detail: str, field: str | None, code: int) -> Response:
    return Response({"detail": detail, "field": field}, status=code)


class TokenView(APIView):
    """Your API tokens: get one (with your username, password and second factor, or from
    a signed-in web session that has passed the second factor), list them, revoke the one
    you use. Tokens expire; a changed password or a deactivated user revokes them all."""

    def get_permissions(self) -> Any:
        if self.request.method == "POST":
            return [AllowAny()]
        return super().get_permissions()

    @extend_schema(
        summary="Your active tokens",
        responses={200: TokenListSerializer(many=True), 401: ERROR, 429: ERROR},
    )
    def get(self, request: Request) -> Response:
        tokens = ApiToken.objects.active().filter(user=_user(request))
        return Response(TokenListSerializer(tokens, many=True).data)

    @extend_schema(
        summary="Get a new token",
        description=(
            "Send `username` and `password`, and `otp` (a code from your authenticator "
            "app, or a recovery code) when you have a second factor or your role requires "
            "one; or call it from a signed-in web session. Too many wrong passwords for a "
            "username from one address lock that pair out for a while (429)."
        ),
        request=TokenRequestSerializer,
        responses={
            201: s.TokenSerializer,
            400: ERROR,
            401: ERROR,
            403: ERROR,
            429: ERROR,
        },
    )
    def post(self, request: Request) -> Response | HttpResponse:
        body = TokenRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        if isinstance(request.auth, ApiToken):
            return _refused(
                _("A new token needs your password and second factor, not another token."),
                None,
                status.HTTP_403_FORBIDDEN,
            )
        user = request.user if request.user.is_authenticated else None
        if user is None:
            user = authenticate(
                request._request,
                username=data.get("username", ""),
                password=data.get("password", ""),
            )
            if getattr(request._request, "axes_locked_out", False):
                return lockout_response(request._request)
            if user is None:
                return _refused(
                    _("Wrong username or password."), "password", status.HTTP_400_BAD_REQUEST
                )
            if has_second_factor(user):
                if code_check(user, data.get("otp", ""), request=request._request) is None:
                    return _refused(
                        _("The second-factor code is missing or not right."),
                        "otp",
                        status.HTTP_400_BAD_REQUEST,
                    )
            elif second_factor_required(user):
                return _refused(
                    _("Set up your second factor on the web site first."),
                    "otp",
                    status.HTTP_403_FORBIDDEN,
                )
        token, key = token_issue(user, name=data["name"], days=data.get("days"), request=request)
        return Response(
            {
                "token": key,
                "id": token.pk,
                "name": token.name,
                "created": token.created_at,
                "expires": token.expires_at,
            },
            status=status.HTTP_201_CREATED,
        )

    @extend_schema(
        summary="Revoke the token you use (from a web session: all your tokens)",
        request=None,
        responses={204: None, 401: ERROR, 403: ERROR, 429: ERROR},
    )
    def delete(self, request: Request) -> Response:
        tokens = ApiToken.objects.filter(user=_user(request))
        if isinstance(request.auth, ApiToken):
            tokens = tokens.filter(pk=request.auth.pk)
        tokens_revoke(tokens, reason="revoked by its owner", request=request._request)
        return Response(status=status.HTTP_204_NO_CONTENT)


# --------------------------------------------------------------------------------------
# Attachments


class AnyAccept(DefaultContentNegotiation):
    """The download answers with the file's own type whatever the client accepts (its
    errors in JSON): an ``Accept: application/pdf`` must not be a 406."""

    def select_renderer(
        self, request: Request, renderers: Iterable[Any], format_suffix: str | None = None
    ) -> tuple[Any, str]:
        first = next(iter(renderers))
        return first, first.media_type


#: What a download's body may be: the types ``attachments.files`` accepts.
DOWNLOAD_RESPONSES: dict[Any, Any] = {
    **{(200, t): OpenApiTypes.BINARY for t in sorted({f.media_type for f in ACCEPTED.values()})},
    **{(code, "application/json"): ERROR for code in (401, 404, 429)},
}


def _too_large(request: Request) -> None:
    """Refuse a body clearly larger than the largest attachment from its Content-Length,
    before it is read (the multipart envelope and the other fields get 64 KiB)."""
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > attachment_services.max_bytes() + 64 * 1024:
        file_size_check(length, limit=attachment_services.max_bytes())


class EstimateAttachmentsView(APIView):
    """``/api/v1/estimates/{id}/attachments/``: list and attach."""

    parser_classes = [MultiPartParser]

    @extend_schema(
        summary="An estimate's attachments",
        description=(
            "Every attachment of the estimate, every version (a replaced one has "
            "`current: false`), oldest first."
        ),
        parameters=[ID_PARAMETER],
        responses={200: s.AttachmentSerializer(many=True), **READ_ERRORS},
    )
    def get(self, request: Request, pk: str) -> Response:
        estimate = access_estimate(request.user, object_id(pk))
        rows = estimate_attachments(estimate)
        return Response(s.AttachmentSerializer(rows, many=True, context={"request": request}).data)

    @extend_schema(
        summary="Attach a document to an estimate",
        description=(
            "Multipart upload of one file. Who may attach what, and when: the commune's "
            "officers attach invoices, lists of participants and other documents while "
            "drafting and for the settlement (approved, settlement); the accountant attaches "
            "the treasury voucher of one of the estimate's disbursements (`disbursement`); "
            "the appraiser or the approver attaches the signed decision once approved. The "
            "type is read from the content (PDF, JPEG, PNG, docx, xlsx, odt, ods, doc, xls) "
            "and must agree with the name's extension; at most `ATTACHMENT_MAX_BYTES` (10 MB "
            "by default). With `replaces`, a new version of an attachment (its kind and "
            "disbursement are kept; the old version stays). No `Idempotency-Key`: a retried "
            "upload attaches the file again (compare `sha256`)."
        ),
        parameters=[ID_PARAMETER],
        request={"multipart/form-data": s.AttachmentUploadSerializer},
        responses={201: s.AttachmentSerializer, **WRITE_ERRORS},
    )
    def post(self, request: Request, pk: str) -> Response:
        estimate = access_estimate(request.user, object_id(pk))
        _too_large(request)
        serializer = s.AttachmentUploadSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        attachment = attachment_services.attachment_add(
            actor=request.user,
            estimate_id=estimate.pk,
            file=data["file"],
            kind=data.get("kind", ""),
            disbursement_id=data.get("disbursement"),
            replaces_id=data.get("replaces"),
        )
        return Response(
            s.AttachmentSerializer(attachment, context={"request": request}).data,
            status=status.HTTP_201_CREATED,
        )


class AttachmentView(APIView):
    """``/api/v1/attachments/{id}/``: one attachment; removal from a draft."""

    @extend_schema(
        summary="An attachment",
        parameters=[ID_PARAMETER],
        responses={200: s.AttachmentSerializer, **READ_ERRORS},
    )
    def get(self, request: Request, pk: str) -> Response:
        attachment = attachment_for_user(request.user, object_id(pk))
        return Response(s.AttachmentSerializer(attachment, context={"request": request}).data)

    @extend_schema(
        summary="Remove an attachment from a draft",
        description=(
            "Only the person who attached it, only while the estimate is a draft, only its "
            "newest version. Once the estimate has been submitted nothing is removed (400): "
            "attach a new version instead."
        ),
        parameters=[ID_PARAMETER],
        responses={204: None, **WRITE_ERRORS},
    )
    def delete(self, request: Request, pk: str) -> Response:
        attachment = attachment_for_user(request.user, object_id(pk))
        attachment_services.attachment_delete(actor=request.user, attachment_id=attachment.pk)
        return Response(status=status.HTTP_204_NO_CONTENT)


class AttachmentDownloadView(APIView):
    """``/api/v1/attachments/{id}/download/``: the file."""

    content_negotiation_class = AnyAccept

    @extend_schema(
        summary="Download an attachment",
        description=(
            "The file as it was attached, with `Content-Disposition: attachment` and its "
            "original name (RFC 5987 `filename*` for names beyond ASCII), the type read from "
            "its content and `X-Content-Type-Options: nosniff`. 404 unless you may see the "
            "estimate."
        ),
        parameters=[ID_PARAMETER],
        responses=DOWNLOAD_RESPONSES,
    )
    def get(self, request: Request, pk: str) -> HttpResponseBase:
        return attachment_response(attachment_for_user(request.user, object_id(pk)))


# Reports (reports/): the consolidated report and the approval decisions


def _report_form(form_class: type[ReportFilterForm], request: Request) -> ReportQuery:
    """The filters checked as the user: a unit they may not see is refused (400 naming the
    field) like one that does not exist."""
    form = form_class(request.query_params, user=request.user)
    if not form.is_valid():
        field, message = form_errors(form)
        raise RuleViolation(message, field=field)
    query = form.query()
    if query is None:
        raise Http404(_("No plan is loaded."))
    return query


FORMAT_PARAMETER = OpenApiParameter(
    "format",
    OpenApiTypes.STR,
    OpenApiParameter.QUERY,
    enum=["json", "xlsx"],
    description="xlsx: the same report as an Excel workbook (or send the Accept header).",
)


class ConsolidatedReportView(APIView):
    renderer_classes = [*api_settings.DEFAULT_RENDERER_CLASSES, XLSXRenderer]  # type: ignore[list-item]

    @extend_schema(
        summary="The consolidated report (JSON or Excel)",
        description=(
            "Where the plan's money stands per spending unit × content × funding source, the "
            "district's own money as its own group: allocated (the envelope: the district's "
            "cell, a commune's share), reserved, committed, disbursed, spent, returned and "
            "carried over, with subtotals per unit and source and totals per level and source. "
            "Restricted to the units you may see; a unit you may not see is a 400 at `unit`. "
            "Unfiltered, the totals equal `manage.py plan_summary --json`. The Excel workbook "
            "is served at once here (on the site a long one is produced in the background)."
        ),
        parameters=[ReportQuerySerializer, FORMAT_PARAMETER],
        responses={
            (200, "application/json"): ConsolidatedReportSerializer,
            (200, XLSX): OpenApiTypes.BINARY,
            **{(code, "application/json"): ERROR for code in (400, 401, 404, 429)},
        },
    )
    def get(self, request: Request) -> HttpResponse:
        query = _report_form(ReportFilterForm, request)
        if request.accepted_renderer.format == "xlsx":
            prepared = export_prepare(
                user=request.user, kind=ExportKind.CONSOLIDATED, params=request.query_params
            )
            return file_response(prepared.write(), prepared.filename, content_type=XLSX)
        return Response(consolidated_report(request.user, query).as_dict())


@extend_schema_view(
    list=extend_schema(
        summary="Approval decisions",
        description=(
            "The decisions issued on the estimates you may see, in the order they were "
            "issued: number and symbol, date, estimate, unit, approved amount (đồng)."
        ),
        parameters=[DecisionQuerySerializer],
        responses={200: DecisionListSerializer(many=True), **LIST_ERRORS},
    )
)
class DecisionViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    serializer_class = DecisionListSerializer
    filter_backends: list[Any] = []

    def get_queryset(self) -> Any:
        return decision_list_for_user(
            self.request.user, _report_form(DecisionFilterForm, self.request)
        )


# --------------------------------------------------------------------------------------
# Amendments of approved estimates (điều chỉnh dự toán)


class AmendmentQuery(serializers.Serializer):
    estimate = serializers.IntegerField(
        min_value=1,
        max_value=s.ID_MAX,
        required=False,
        help_text="Only the amendments of this estimate.",
    )


#: The amendment actions of the API (``/amendments/{id}/<action>/``) and their rows in
#: ``approvals.lifecycle.AMENDMENT_TRANSITIONS``.
AMENDMENT_API_ACTIONS = {
    "amendment-forward": "forward",
    "amendment-appraise": "appraise",
    "amendment-approve": "approve",
    "amendment-return": "return",
    "amendment-withdraw": "withdraw",
}


def _amendment_step(summary: str, description: str, request: Any) -> Any:
    return extend_schema(
        summary=summary,
        description=description,
        parameters=[ID_PARAMETER, IDEMPOTENCY_KEY],
        request=request,
        responses={200: s.AmendmentSerializer, **WRITE_ERRORS},
    )


@extend_schema_view(
    list=extend_schema(
        summary="Amendments of the estimates you may see",
        description=(
            "Amendments of approved estimates (điều chỉnh dự toán), newest first; "
            "`estimate` narrows to one estimate."
        ),
        parameters=[AmendmentQuery],
        responses={200: s.AmendmentSerializer(many=True), **LIST_ERRORS},
    ),
)
class AmendmentViewSet(_TransitionViewSet):
    """Amending an approved estimate: the spending unit proposes (``POST``), the district
    Women's Union forwards (commune level), Finance-Planning appraises, the approver
    approves (the commitment moves and the amendment's decision is issued) or any of them
    returns it; the unit may withdraw it while it is open. Same access rules as the
    estimate's own steps."""

    serializer_class = s.AmendmentSerializer

    def get_queryset(self) -> QuerySet[Any]:
        return (
            Amendment.objects.filter(
                estimate__unit_id__any=unit_ids_with(self.request.user, perms.VIEW)
            )
            .select_related("estimate", "decision")
            .prefetch_related("lines__line")
            .order_by("-created_at", "-pk")
        )

    def filter_queryset(self, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.action != "list":
            return queryset
        unknown = sorted(set(self.request.query_params) - {"estimate"} - LIST_PARAMETERS)
        if unknown:
            raise serializers.ValidationError(
                {name: [_("Unknown filter: this list does not know it.")] for name in unknown}
            )
        query = AmendmentQuery(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        if "estimate" in query.validated_data:
            queryset = queryset.filter(estimate_id=query.validated_data["estimate"])
        return queryset

    def _amendment(self, pk: Any) -> Any:
        found = self.get_queryset().filter(pk=object_id(pk)).first()
        if found is None:
            raise Http404(_("Not found."))
        return found

    def _answer(self, pk: int, code: int = status.HTTP_200_OK) -> Response:
        amendment = self._amendment(pk)
        allowed = (
            amendment_actions_allowed(self.request.user, amendment.estimate, amendment.status)
            if amendment.is_open
            else []
        )
        context = {
            **self.get_serializer_context(),
            "actions": {
                amendment.pk: [
                    AMENDMENT_API_ACTIONS[a] for a in allowed if a in AMENDMENT_API_ACTIONS
                ]
            },
        }
        return Response(s.AmendmentSerializer(amendment, context=context).data, status=code)

    @extend_schema(
        summary="An amendment with its lines, decision and the actions open to you",
        parameters=[ID_PARAMETER],
        responses={200: s.AmendmentSerializer, **READ_ERRORS},
    )
    def retrieve(self, request: Request, pk: str) -> Response:
        return self._answer(self._amendment(pk).pk)

    @extend_schema(
        summary="Propose an amendment",
        description=(
            "The drafting unit proposes new quantities, unit prices or days on lines of an "
            "approved estimate (up or down) and new dates, with a reason. Nothing of the "
            "estimate changes until the amendment is approved; one amendment is open per "
            "estimate at a time (409 otherwise). A source cut below what is already "
            "disbursed is refused (400, field `lines`)."
        ),
        parameters=[IDEMPOTENCY_KEY],
        request=s.AmendmentWriteSerializer,
        responses={201: s.AmendmentSerializer, **WRITE_ERRORS},
    )
    @idempotent
    def create(self, request: Request) -> Response:
        data = self._input(s.AmendmentWriteSerializer)
        estimate = access_estimate(request.user, data["estimate"])
        amendment = services.amendment_propose(
            actor=request.user,
            estimate_id=estimate.pk,
            lines=[
                services.AmendmentLineInput(
                    line["line_id"], line["quantity"], line["unit_price"], line["times"]
                )
                for line in data["lines"]
            ],
            start_date=data["start_date"],
            end_date=data["end_date"],
            reason=data["reason"],
            acting_for=self.acting_for,
        )
        return self._answer(amendment.pk, status.HTTP_201_CREATED)

    def _step(self, pk: str, run: Any, serializer_class: type[serializers.Serializer]) -> Response:
        amendment = self._amendment(pk)
        data = self._input(serializer_class)
        run(
            actor=self.request.user,
            estimate_id=amendment.estimate_id,
            acting_for=self.acting_for,
            amendment_id=amendment.pk,
            **data,
        )
        return self._answer(amendment.pk)

    @_amendment_step(
        "Forward an amendment",
        "The district Women's Union forwards a commune's amendment to Finance-Planning.",
        s.CommentSerializer,
    )
    @action(detail=True, methods=["post"], filter_backends=[])
    @idempotent
    def forward(self, request: Request, pk: str) -> Response:
        return self._step(pk, services.amendment_forward, s.CommentSerializer)

    @_amendment_step(
        "Appraise an amendment",
        "Finance-Planning appraises the amendment and sends it to the approver.",
        s.CommentSerializer,
    )
    @action(detail=True, methods=["post"], filter_backends=[])
    @idempotent
    def appraise(self, request: Request, pk: str) -> Response:
        return self._step(pk, services.amendment_appraise, s.CommentSerializer)

    @_amendment_step(
        "Approve an amendment",
        "The approver approves: the commitment moves by the difference per source (an "
        "increase needs free money in the envelope and the commune's share, a decrease never "
        "goes below what is disbursed), the lines and dates change, and the amendment's "
        "decision is issued; the estimate's own decision stays as issued.",
        s.CommentSerializer,
    )
    @action(detail=True, methods=["post"], filter_backends=[])
    @idempotent
    def approve(self, request: Request, pk: str) -> Response:
        return self._step(pk, services.amendment_approve, s.CommentSerializer)

    @_amendment_step(
        "Return an amendment",
        "With a reason: the amendment closes and the unit may propose another.",
        s.ReasonSerializer,
    )
    @action(detail=True, methods=["post"], url_path="return", filter_backends=[])
    @idempotent
    def return_(self, request: Request, pk: str) -> Response:
        return self._step(pk, services.amendment_return, s.ReasonSerializer)

    @_amendment_step(
        "Withdraw an amendment",
        "The drafting unit withdraws its open amendment, with a reason.",
        s.ReasonSerializer,
    )
    @action(detail=True, methods=["post"], filter_backends=[])
    @idempotent
    def withdraw(self, request: Request, pk: str) -> Response:
        return self._step(pk, services.amendment_withdraw, s.ReasonSerializer)

    @extend_schema(
        summary="An amendment's decision (PDF)",
        description=(
            "The decision issued when the amendment was approved (Quyết định điều chỉnh dự "
            "toán), printed from its frozen snapshot. 409 while it has none."
        ),
        parameters=[ID_PARAMETER],
        responses={
            (200, "application/pdf"): OpenApiTypes.BINARY,
            **{(code, "application/json"): ERROR for code in (401, 404, 409, 429)},
        },
    )
    @action(
        detail=True,
        methods=["get"],
        filter_backends=[],
        renderer_classes=[*api_settings.DEFAULT_RENDERER_CLASSES, PDFRenderer],
    )
    def decision(self, request: Request, pk: str) -> HttpResponse:
        content, filename = amendment_decision_pdf(self._amendment(pk))
        return file_response(content, filename, content_type="application/pdf", inline=True)
