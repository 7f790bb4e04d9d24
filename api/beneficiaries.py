"""The API of the beneficiary register and the priority groups: the same gate, selectors
and services as the pages (``beneficiaries``). Personal data is answered only to the roles
that see it (``beneficiaries.selectors``); to the others a record is its number, village
and amounts. Refusals never repeat a name, an ID number or a date of a person."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpResponse
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from approvals.access import access_estimate
from beneficiaries import services
from beneficiaries.documents import payment_list_pdf, payment_list_xlsx
from beneficiaries.models import Beneficiary, Component, Delivery, Ethnicity, Place, PriorityGroup
from beneficiaries.selectors import (
    Row,
    estimate_group_counts,
    estimate_register,
    group_totals,
    payment_list_register,
    register_activity,
)
from core.errors import RuleViolation
from core.text import field_limit
from reports.filters import ReportFilterForm, form_errors
from reports.list_workbooks import XLSX
from reports.responses import file_response

from .fields import CleanCharField, MoneyField, MoneyOutField, StrictIntegerField
from .renderers import PDFRenderer, XLSXRenderer
from .serializers import ID_MAX, ReportQuerySerializer
from .views import ERROR, ID_PARAMETER, READ_ERRORS, object_id

WRITE_ERRORS: dict[int, OpenApiResponse] = {code: ERROR for code in (400, 401, 403, 404, 409, 429)}


def _id(**kwargs: Any) -> StrictIntegerField:
    return StrictIntegerField(min_value=1, max_value=ID_MAX, **kwargs)


# --- serializers ----------------------------------------------------------------------


class PaymentSerializer(serializers.Serializer):
    quantity = StrictIntegerField(min_value=1, max_value=1000, help_text="People, packs, times.")
    unit_price = MoneyField(positive=True)
    times = StrictIntegerField(min_value=1, max_value=1000, default=1, help_text="Days / times.")


class PaymentsSerializer(serializers.Serializer):
    travel = PaymentSerializer(required=False)
    kit = PaymentSerializer(required=False)
    meals = PaymentSerializer(required=False)
    nutrition = PaymentSerializer(required=False)


class BeneficiaryInSerializer(serializers.Serializer):
    full_name = CleanCharField(max_length=field_limit(Beneficiary, "full_name"))
    date_of_birth = serializers.DateField()
    ethnicity = _id(help_text="An ethnicity id (`/api/v1/ethnicities/`).")
    village = _id(help_text="A village of the estimate's commune.")
    national_id = serializers.CharField(max_length=20, help_text="The CCCD: 12 digits.")
    birth_date = serializers.DateField()
    place = serializers.ChoiceField(choices=Place.choices)
    facility = CleanCharField(
        max_length=field_limit(Beneficiary, "facility"), required=False, allow_blank=True
    )
    delivery = serializers.ChoiceField(choices=Delivery.choices)
    babies = StrictIntegerField(min_value=1, max_value=10, default=1)
    groups = serializers.ListField(child=_id(), required=False, max_length=50)
    payments = PaymentsSerializer()

    def to_input(self) -> services.BeneficiaryInput:
        d = self.validated_data
        return services.BeneficiaryInput(
            full_name=d["full_name"],
            date_of_birth=d["date_of_birth"],
            ethnicity_id=d["ethnicity"],
            village_id=d["village"],
            national_id=d["national_id"],
            birth_date=d["birth_date"],
            place=d["place"],
            facility=d.get("facility", ""),
            delivery=d["delivery"],
            babies=d["babies"],
            group_ids=d.get("groups", []),
            payments={
                c: services.PaymentInput(p["quantity"], p["unit_price"], p.get("times", 1))
                for c, p in d["payments"].items()
            },
        )


class AmountsSerializer(serializers.Serializer):
    travel = MoneyOutField(allow_null=True)
    kit = MoneyOutField(allow_null=True)
    meals = MoneyOutField(allow_null=True)
    nutrition = MoneyOutField(allow_null=True)


class BeneficiarySerializer(serializers.Serializer):
    """A record as the reader may see it: without personal data (`personal: false`), the
    name is the record's number and the personal fields are null or empty."""

    id = serializers.IntegerField(source="pk")
    number = serializers.IntegerField(help_text="STT in the list.")
    personal = serializers.BooleanField(help_text="Whether you see personal data.")
    name = serializers.CharField()
    village = serializers.CharField()
    national_id = serializers.CharField(
        help_text="Whole for those who pay, masked (last four digits) for the others."
    )
    date_of_birth = serializers.DateField(allow_null=True)
    ethnicity = serializers.CharField()
    birth_date = serializers.DateField(allow_null=True)
    place = serializers.CharField()
    facility = serializers.CharField()
    delivery = serializers.CharField()
    babies = serializers.IntegerField()
    groups = serializers.ListField(child=serializers.CharField())
    amounts = serializers.SerializerMethodField()
    total = MoneyOutField()

    @extend_schema_field(AmountsSerializer)
    def get_amounts(self, row: Row) -> dict[str, int | None]:
        return {c: row.amounts.get(c) for c in Component.values}


class RegisterSerializer(serializers.Serializer):
    estimate = serializers.IntegerField(source="estimate.pk")
    keeps_register = serializers.BooleanField()
    personal = serializers.BooleanField()
    beneficiaries = BeneficiarySerializer(many=True, source="rows")
    totals = AmountsSerializer()
    total = MoneyOutField()
    norms = serializers.ListField(child=serializers.CharField(), help_text="Norms cited.")


class GroupCountSerializer(serializers.Serializer):
    group = serializers.IntegerField()
    code = serializers.CharField()
    name = serializers.CharField()
    count = serializers.IntegerField()


class GroupCountsInSerializer(serializers.Serializer):
    counts = serializers.DictField(
        child=StrictIntegerField(min_value=0, max_value=1_000_000),
        help_text="Participants per priority group id; a group left out counts 0.",
    )


class GroupTotalSerializer(serializers.Serializer):
    group = serializers.IntegerField(source="group.pk")
    code = serializers.CharField(source="group.code")
    name = serializers.CharField(source="group.name")
    planned = serializers.IntegerField(help_text="In every estimate not withdrawn.")
    approved = serializers.IntegerField(help_text="In estimates approved, settling or closed.")


class NamedSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    code = serializers.CharField()
    name = serializers.CharField()


# --- views --------------------------------------------------------------------------


def _register_answer(request: Request, estimate: Any) -> dict[str, Any]:
    register = estimate_register(request.user, estimate)
    return {
        "estimate": estimate.pk,
        "keeps_register": True,
        "personal": register.personal,
        "beneficiaries": BeneficiarySerializer(register.rows, many=True).data,
        "totals": {c: register.totals.get(c, 0) for c in Component.values},
        "total": register.total,
        "norms": [f"{n.item} ({n.citation})" for n in register.norms],
    }


class EstimateBeneficiariesView(APIView):
    """``/api/v1/estimates/{id}/beneficiaries/``: the list; register a mother."""

    @extend_schema(
        summary="An estimate's beneficiaries",
        description=(
            "The mothers supported under the estimate (a register activity), what each is "
            "paid per component, the totals and the norms cited. Personal data only for the "
            "commune's Women's Union officers and those who appraise, approve, pay and audit; "
            "ID numbers whole only for those who pay. 400 for an activity without a list."
        ),
        responses={200: RegisterSerializer, 400: ERROR, **READ_ERRORS},
    )
    def get(self, request: Request, pk: str) -> Response:
        estimate = access_estimate(request.user, object_id(pk))
        if register_activity(estimate) is None:
            raise RuleViolation(_("This estimate's activity keeps no beneficiary list."))
        return Response(_register_answer(request, estimate))

    @extend_schema(
        summary="Register a mother on an estimate",
        description=(
            "The commune's drafter, while the estimate is a draft or returned. Refused (400, "
            "naming the field, nothing written): a village outside the plan's area or the "
            "commune, not of an ethnic minority (nor of a group the plan makes eligible), "
            "younger than the minimum age, a birth not at a health facility or outside the "
            "plan's period, an ID number of the wrong shape, a payment above its norm "
            "(Circular 15/2022/TT-BTC art. 38), a second payment for the same birth in any "
            "commune. The estimate's cost lines are regenerated from the list."
        ),
        request=BeneficiaryInSerializer,
        responses={201: RegisterSerializer, **WRITE_ERRORS},
    )
    def post(self, request: Request, pk: str) -> Response:
        estimate = access_estimate(request.user, object_id(pk))
        serializer = BeneficiaryInSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.beneficiary_register(
            actor=request.user, estimate_id=estimate.pk, data=serializer.to_input()
        )
        return Response(_register_answer(request, estimate), status=status.HTTP_201_CREATED)


#: Who may download the payment list, said once for both formats.
PAYMENT_LIST_RULE = (
    "The payment list (danh sách chi trả: STT, name, ID number, village, the amount of each "
    "component, total, a signature column) of an estimate of a register activity, for the "
    "treasury and for signature. Only the roles that see personal data (the commune's "
    "Women's Union officers and those who appraise, approve, pay and audit); 403 for the "
    "others who may see the estimate, 404 for another commune's estimate, 400 for an "
    "activity without a list. ID numbers whole only for those who pay. Sent "
    "`Cache-Control: no-store`."
)


def _payment_list_errors() -> dict[Any, Any]:
    return {(code, "application/json"): ERROR for code in (400, 401, 403, 404, 429)}


def _payment_list(request: Request, pk: str) -> Any:
    estimate = access_estimate(request.user, object_id(pk), related=("unit", "activity"))
    if register_activity(estimate) is None:
        raise RuleViolation(_("This estimate's activity keeps no beneficiary list."))
    return payment_list_register(request.user, estimate)


def _no_store(response: HttpResponse) -> HttpResponse:
    add_never_cache_headers(response)
    return response


class PaymentListExcelView(APIView):
    """``/api/v1/estimates/{id}/payment-list.xlsx``"""

    renderer_classes = [JSONRenderer, XLSXRenderer]

    @extend_schema(
        summary="An estimate's payment list (Excel)",
        description=PAYMENT_LIST_RULE,
        parameters=[ID_PARAMETER],
        responses={(200, XLSX): OpenApiTypes.BINARY, **_payment_list_errors()},
    )
    def get(self, request: Request, pk: str) -> HttpResponse:
        content, filename = payment_list_xlsx(_payment_list(request, pk))
        return _no_store(file_response(content, filename, content_type=XLSX))


class PaymentListPdfView(APIView):
    """``/api/v1/estimates/{id}/payment-list.pdf``"""

    renderer_classes = [JSONRenderer, PDFRenderer]

    @extend_schema(
        summary="An estimate's payment list (PDF, for signature)",
        description=PAYMENT_LIST_RULE,
        parameters=[ID_PARAMETER],
        responses={(200, "application/pdf"): OpenApiTypes.BINARY, **_payment_list_errors()},
    )
    def get(self, request: Request, pk: str) -> HttpResponse:
        content, filename = payment_list_pdf(_payment_list(request, pk))
        return _no_store(
            file_response(content, filename, content_type="application/pdf", inline=True)
        )


def _estimate_of(request: Request, pk: str) -> Any:
    """The beneficiary's estimate through the gate (404 as for a record that does not
    exist)."""
    estimate_id = (
        Beneficiary.objects.filter(pk=object_id(pk)).values_list("estimate_id", flat=True).first()
    )
    if estimate_id is None:
        raise Http404(_("Not found."))
    return access_estimate(request.user, estimate_id)


class BeneficiaryView(APIView):
    """``/api/v1/beneficiaries/{id}/``: correct a record, or remove it from a draft's list."""

    @extend_schema(
        summary="Correct a beneficiary's record",
        description=(
            "The commune's drafter, while the estimate is a draft or returned; the same "
            "checks as registering. Answers the estimate's list."
        ),
        request=BeneficiaryInSerializer,
        responses={200: RegisterSerializer, **WRITE_ERRORS},
    )
    def put(self, request: Request, pk: str) -> Response:
        estimate = _estimate_of(request, pk)
        serializer = BeneficiaryInSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.beneficiary_update(
            actor=request.user, beneficiary_id=object_id(pk), data=serializer.to_input()
        )
        return Response(_register_answer(request, estimate))

    @extend_schema(
        summary="Remove a beneficiary from a draft",
        description="The commune's drafter, while the estimate is a draft or returned.",
        responses={204: None, **WRITE_ERRORS},
    )
    def delete(self, request: Request, pk: str) -> Response:
        _estimate_of(request, pk)
        services.beneficiary_remove(actor=request.user, beneficiary_id=object_id(pk))
        return Response(status=status.HTTP_204_NO_CONTENT)


def _counts(estimate: Any) -> list[dict[str, Any]]:
    return [
        {"group": g.pk, "code": g.code, "name": g.name, "count": n}
        for g, n in estimate_group_counts(estimate)
    ]


class EstimateGroupsView(APIView):
    """``/api/v1/estimates/{id}/groups/``: participants per priority group."""

    @extend_schema(
        summary="An estimate's participants per priority group",
        responses={200: GroupCountSerializer(many=True), **READ_ERRORS},
    )
    def get(self, request: Request, pk: str) -> Response:
        estimate = access_estimate(request.user, object_id(pk))
        return Response(_counts(estimate))

    @extend_schema(
        summary="Set an estimate's participants per priority group",
        description=(
            "The drafting unit, while the estimate is a draft or returned. Each count a whole "
            "number from 0 to 1,000,000 (400 naming `groups.<id>`). Refused for a register "
            "activity, whose counts come from its beneficiary list."
        ),
        request=GroupCountsInSerializer,
        responses={200: GroupCountSerializer(many=True), **WRITE_ERRORS},
    )
    def put(self, request: Request, pk: str) -> Response:
        estimate = access_estimate(request.user, object_id(pk))
        serializer = GroupCountsInSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.estimate_groups_set(
            actor=request.user, estimate_id=estimate.pk, counts=serializer.validated_data["counts"]
        )
        return Response(_counts(estimate))


class PriorityGroupsView(APIView):
    @extend_schema(
        summary="The plan's priority groups", responses={200: NamedSerializer(many=True)}
    )
    def get(self, request: Request) -> Response:
        rows = PriorityGroup.objects.order_by("sort_order")
        return Response(NamedSerializer(rows, many=True).data)


class EthnicitiesView(APIView):
    @extend_schema(summary="Ethnic groups", responses={200: NamedSerializer(many=True)})
    def get(self, request: Request) -> Response:
        rows = Ethnicity.objects.order_by("sort_order", "name")
        return Response(NamedSerializer(rows, many=True).data)


class GroupTotalsReportView(APIView):
    @extend_schema(
        summary="Participants per priority group, summed",
        description=(
            "The participants per priority group over the estimates you may see, with the "
            "consolidated report's filters: in every estimate not withdrawn (`planned`) and "
            "in those approved, settling or closed (`approved`)."
        ),
        parameters=[ReportQuerySerializer],
        responses={200: GroupTotalSerializer(many=True), 400: ERROR, **READ_ERRORS},
    )
    def get(self, request: Request) -> Response:
        form = ReportFilterForm(request.query_params, user=request.user)
        if not form.is_valid():
            field, message = form_errors(form)
            raise RuleViolation(message, field=field)
        query = form.query()
        if query is None:
            raise Http404(_("No plan is loaded."))
        return Response(GroupTotalSerializer(group_totals(request.user, query), many=True).data)
