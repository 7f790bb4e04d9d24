"""The API of the indicators, the reporting periods, the progress reports and the
monitoring notes: the same gate (``progress.access``, ``monitoring.selectors``) and the
same services as the pages; serializers check shape only."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import HttpResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.settings import api_settings

from core.errors import Forbidden, RuleViolation
from core.text import LONG_TEXT, field_limit
from estimates.selectors import plan_get_default
from monitoring import selectors as note_selectors
from monitoring import services as note_services
from monitoring.models import MonitoringNote
from monitoring.services import NoteInput
from progress import selectors, services
from progress.access import access_report, report_actions_allowed, report_list_for_user
from progress.exports import district_report_pdf, district_report_workbook
from progress.models import Indicator, Period, ProgressReport, ReportActivity
from progress.services import ActivityInput, ReportInput, ValueInput
from reports.responses import file_response
from reports.xlsx import XLSX

from .fields import CleanCharField, MoneyOutField, StrictIntegerField
from .renderers import PDFRenderer, XLSXRenderer
from .views import ERROR, ID_PARAMETER, LIST_ERRORS, READ_ERRORS, WRITE_ERRORS, object_id

NOT_NEGATIVE = gettext_lazy("Enter a number that is not negative.")


class CountField(StrictIntegerField):
    default_error_messages = {"min_value": NOT_NEGATIVE}

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("min_value", 0)
        kwargs.setdefault("max_value", 10**15)
        super().__init__(**kwargs)


# --- serializers ---------------------------------------------------------------------------


class PeriodSerializer(serializers.ModelSerializer):
    class Meta:
        model = Period
        fields = ["id", "plan", "kind", "label", "starts_on", "ends_on", "due_on"]


class IndicatorSerializer(serializers.ModelSerializer):
    content = serializers.CharField(source="content.code")
    activity = serializers.CharField(source="activity.code", allow_null=True, default=None)

    class Meta:
        model = Indicator
        fields = [
            "id",
            "plan",
            "code",
            "content",
            "activity",
            "name",
            "unit_of_measure",
            "level",
            "target",
            "target_source",
            "citation",
        ]


class TargetSerializer(serializers.Serializer):
    target = CountField(allow_null=True)


class GroupCountsOutField(serializers.DictField):
    """An activity line's participants per priority group, keyed by the group's code
    (groups not counted are absent)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(child=serializers.IntegerField(), read_only=True, **kwargs)

    def to_representation(self, value: Any) -> dict[str, int]:
        return {g.group.code: g.count for g in value.all()}


class ReportActivitySerializer(serializers.ModelSerializer):
    activity = serializers.CharField(source="activity.code")
    activity_id = serializers.IntegerField()
    group_counts = GroupCountsOutField(source="groups")
    spent = MoneyOutField()

    class Meta:
        model = ReportActivity
        fields = [
            "activity_id",
            "activity",
            "held",
            "held_from",
            "held_to",
            "place",
            "participants_women",
            "participants_girls",
            "participants_men",
            "group_counts",
            "spent",
        ]


class ReportSerializer(serializers.ModelSerializer):
    unit_name = serializers.CharField(source="unit.name")
    period_label = serializers.CharField(source="period.label")

    class Meta:
        model = ProgressReport
        fields = [
            "id",
            "plan",
            "period",
            "period_label",
            "unit",
            "unit_name",
            "level",
            "version",
            "previous",
            "status",
            "status_changed_at",
            "submitted_at",
        ]


class ValueOutSerializer(serializers.Serializer):
    indicator = serializers.IntegerField(source="indicator_id")
    code = serializers.CharField(source="indicator.code")
    value = serializers.IntegerField()
    note = serializers.CharField()


class ReportDetailSerializer(ReportSerializer):
    activities = ReportActivitySerializer(many=True)
    values = ValueOutSerializer(many=True)
    actions = serializers.SerializerMethodField()

    class Meta(ReportSerializer.Meta):
        fields = [
            *ReportSerializer.Meta.fields,
            "difficulties",
            "proposals",
            "return_reason",
            "activities",
            "values",
            "snapshot",
            "actions",
        ]

    def get_actions(self, report: ProgressReport) -> list[str]:
        return report_actions_allowed(self.context["request"].user, [report])[report.pk]


class ReportCreateSerializer(serializers.Serializer):
    period = StrictIntegerField(min_value=1)
    unit = StrictIntegerField(min_value=1)


class ActivityInSerializer(serializers.Serializer):
    activity = StrictIntegerField(min_value=1)
    held = CleanCharField(max_length=LONG_TEXT, multiline=True, required=False, allow_blank=True)
    held_from = serializers.DateField(required=False, allow_null=True)
    held_to = serializers.DateField(required=False, allow_null=True)
    place = CleanCharField(
        max_length=field_limit(ReportActivity, "place"), required=False, allow_blank=True
    )
    participants_women = CountField(required=False, default=0)
    participants_girls = CountField(required=False, default=0)
    participants_men = CountField(required=False, default=0)
    group_counts = serializers.DictField(child=CountField(), required=False, default=dict)


class ValueInSerializer(serializers.Serializer):
    indicator = StrictIntegerField(min_value=1)
    value = CountField()
    note = CleanCharField(max_length=300, required=False, allow_blank=True, default="")


class ReportWriteSerializer(serializers.Serializer):
    difficulties = CleanCharField(
        max_length=LONG_TEXT, multiline=True, required=False, allow_blank=True, default=""
    )
    proposals = CleanCharField(
        max_length=LONG_TEXT, multiline=True, required=False, allow_blank=True, default=""
    )
    activities = ActivityInSerializer(many=True, required=False, default=list)
    values = ValueInSerializer(many=True, required=False, default=list)


class ReportReasonSerializer(serializers.Serializer):
    reason = CleanCharField(max_length=LONG_TEXT, multiline=True)


class ConsolidateSerializer(serializers.Serializer):
    period = StrictIntegerField(min_value=1)
    unit = StrictIntegerField(min_value=1)
    values = ValueInSerializer(many=True, required=False, default=list)


class RemindedSerializer(serializers.Serializer):
    reminded = serializers.ListField(child=serializers.CharField())


class MissingSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class NoteSerializer(serializers.ModelSerializer):
    unit_name = serializers.CharField(source="unit.name")

    class Meta:
        model = MonitoringNote
        fields = [
            "id",
            "plan",
            "unit",
            "unit_name",
            "estimate",
            "activity",
            "visited_on",
            "visitors",
            "checked",
            "findings",
            "recommendations",
            "follow_up_due",
            "status",
            "author_agency",
            "answer",
            "answered_at",
            "closing_note",
            "closed_at",
        ]


class NoteWriteSerializer(serializers.Serializer):
    unit = StrictIntegerField(min_value=1, required=False, allow_null=True)
    estimate = StrictIntegerField(min_value=1, required=False, allow_null=True)
    activity = StrictIntegerField(min_value=1, required=False, allow_null=True)
    visited_on = serializers.DateField()
    visitors = CleanCharField(max_length=field_limit(MonitoringNote, "visitors"))
    checked = CleanCharField(max_length=LONG_TEXT, multiline=True)
    findings = CleanCharField(max_length=LONG_TEXT, multiline=True)
    recommendations = CleanCharField(
        max_length=LONG_TEXT, multiline=True, required=False, allow_blank=True, default=""
    )
    follow_up_due = serializers.DateField(required=False, allow_null=True)


class NoteTextSerializer(serializers.Serializer):
    text = CleanCharField(max_length=LONG_TEXT, multiline=True)


def _valid(serializer_class: type[serializers.Serializer], request: Request) -> dict[str, Any]:
    serializer = serializer_class(data=request.data)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


# --- views ------------------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(
        summary="Reporting periods",
        description="The plan's reporting periods (month, quarter, half-year, year) and due dates.",
        responses={200: PeriodSerializer(many=True), **READ_ERRORS},
    )
)
class PeriodViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    serializer_class = PeriodSerializer

    def get_queryset(self) -> QuerySet[Period]:
        return Period.objects.order_by("plan", "starts_on", "ends_on")

    @extend_schema(
        summary="Communes that have not reported for a period",
        parameters=[ID_PARAMETER],
        responses={200: MissingSerializer(many=True), **READ_ERRORS},
    )
    @action(detail=True, methods=["get"], filter_backends=[], pagination_class=None)
    def missing(self, request: Request, pk: str) -> Response:
        period = selectors.access_period(request.user, object_id(pk))
        units = services.communes_missing(period)
        return Response([{"id": u.pk, "name": u.name} for u in units])

    @extend_schema(
        summary="Remind the communes that have not reported",
        description="The Women's Union above the commune reminds them; each commune once a day.",
        parameters=[ID_PARAMETER],
        request=None,
        responses={200: RemindedSerializer, **WRITE_ERRORS},
    )
    @action(detail=True, methods=["post"], filter_backends=[])
    def remind(self, request: Request, pk: str) -> Response:
        period = selectors.access_period(request.user, object_id(pk))
        units = services.reports_remind(actor=request.user, period_id=period.pk)
        return Response({"reminded": [u.name for u in units]})


@extend_schema_view(
    list=extend_schema(
        summary="Indicators and their targets",
        description=(
            "What is counted under each content and activity, and the target: from the plan "
            "(`target_source` = plan, cited) or entered by the Women's Union above the "
            "commune, district or province after the plan's area "
            "(`district`); null when not set."
        ),
        responses={200: IndicatorSerializer(many=True), **READ_ERRORS},
    )
)
class IndicatorViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    serializer_class = IndicatorSerializer

    def get_queryset(self) -> QuerySet[Indicator]:
        return Indicator.objects.select_related("content", "activity").order_by(
            "plan", "sort_order"
        )

    @extend_schema(
        summary="Enter a target the plan does not give",
        parameters=[ID_PARAMETER],
        request=TargetSerializer,
        responses={200: IndicatorSerializer, **WRITE_ERRORS},
    )
    @action(detail=True, methods=["post"], filter_backends=[])
    def target(self, request: Request, pk: str) -> Response:
        data = _valid(TargetSerializer, request)
        indicator = services.indicator_target_set(
            actor=request.user, indicator_id=object_id(pk), target=data["target"]
        )
        indicator = self.get_queryset().get(pk=indicator.pk)
        return Response(IndicatorSerializer(indicator).data)


def _report_input(data: dict[str, Any]) -> ReportInput:
    return ReportInput(
        difficulties=data.get("difficulties", ""),
        proposals=data.get("proposals", ""),
        activities=[
            ActivityInput(
                activity_id=a["activity"],
                held=a.get("held", ""),
                held_from=a.get("held_from"),
                held_to=a.get("held_to"),
                place=a.get("place", ""),
                participants_women=a.get("participants_women", 0),
                participants_girls=a.get("participants_girls", 0),
                participants_men=a.get("participants_men", 0),
                group_counts=a.get("group_counts", {}),
            )
            for a in data.get("activities", [])
        ],
        values=[
            ValueInput(indicator_id=v["indicator"], value=v["value"], note=v.get("note", ""))
            for v in data.get("values", [])
        ],
    )


def _report_action(summary: str, request: Any = None) -> Any:
    return extend_schema(
        summary=summary,
        parameters=[ID_PARAMETER],
        request=request,
        responses={200: ReportDetailSerializer, **WRITE_ERRORS},
    )


@extend_schema_view(
    list=extend_schema(
        summary="Progress reports you may see",
        description="Commune reports and the reports of the plans' areas (district or province), "
        "newest period first.",
        responses={200: ReportSerializer(many=True), **LIST_ERRORS},
    )
)
class ProgressReportViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    serializer_class = ReportSerializer

    def get_queryset(self) -> QuerySet[ProgressReport]:
        return selectors.report_rows_for_user(self.request.user)

    def _answer(self, pk: int, code: int = status.HTTP_200_OK) -> Response:
        report = access_report(self.request.user, pk, queryset=selectors.report_detail_queryset())
        data = ReportDetailSerializer(report, context=self.get_serializer_context()).data
        return Response(data, status=code)

    def _report(self, pk: Any) -> ProgressReport:
        return access_report(self.request.user, object_id(pk))

    @extend_schema(
        summary="A report with its activities, results and actions",
        parameters=[ID_PARAMETER],
        responses={200: ReportDetailSerializer, **READ_ERRORS},
    )
    def retrieve(self, request: Request, pk: str) -> Response:
        return self._answer(self._report(pk).pk)

    @extend_schema(
        summary="Start a commune's report for a period",
        description="For your own commune, for a period that has started.",
        request=ReportCreateSerializer,
        responses={201: ReportDetailSerializer, **WRITE_ERRORS},
    )
    def create(self, request: Request) -> Response:
        data = _valid(ReportCreateSerializer, request)
        report = services.report_create(
            actor=request.user, period_id=data["period"], unit_id=data["unit"]
        )
        return self._answer(report.pk, status.HTTP_201_CREATED)

    @extend_schema(
        summary="Edit a commune's report (until it is accepted)",
        description=(
            "Replaces the texts, the activities held (participants by sex, and per group "
            "code) and the results per indicator. The money is read from the ledger."
        ),
        parameters=[ID_PARAMETER],
        request=ReportWriteSerializer,
        responses={200: ReportDetailSerializer, **WRITE_ERRORS},
    )
    def update(self, request: Request, pk: str) -> Response:
        report = self._report(pk)
        data = _valid(ReportWriteSerializer, request)
        services.report_update(actor=request.user, report_id=report.pk, data=_report_input(data))
        return self._answer(report.pk)

    @_report_action("Submit to the Women's Union above the commune")
    @action(detail=True, methods=["post"], filter_backends=[])
    def submit(self, request: Request, pk: str) -> Response:
        services.report_submit(actor=request.user, report_id=self._report(pk).pk)
        return self._answer(object_id(pk))

    @_report_action("Accept a commune's report")
    @action(detail=True, methods=["post"], filter_backends=[])
    def accept(self, request: Request, pk: str) -> Response:
        services.report_accept(actor=request.user, report_id=self._report(pk).pk)
        return self._answer(object_id(pk))

    @_report_action("Return a commune's report, with a reason", ReportReasonSerializer)
    @action(detail=True, methods=["post"], filter_backends=[], url_path="return")
    def return_(self, request: Request, pk: str) -> Response:
        report = self._report(pk)
        data = _valid(ReportReasonSerializer, request)
        services.report_return(actor=request.user, report_id=report.pk, reason=data["reason"])
        return self._answer(report.pk)

    @_report_action("Correct an accepted report: a new version (draft)")
    @action(detail=True, methods=["post"], filter_backends=[])
    def correct(self, request: Request, pk: str) -> Response:
        new = services.report_correct(actor=request.user, report_id=self._report(pk).pk)
        return self._answer(new.pk, status.HTTP_201_CREATED)

    @extend_schema(
        summary="Consolidate the area's report for a period",
        description=(
            "Creates or refreshes the draft report of the plan's area (district or province) "
            "from the accepted commune reports and the ledger; `values` are the results of "
            "the indicators above the commune (level `district`)."
        ),
        request=ConsolidateSerializer,
        responses={200: ReportDetailSerializer, **WRITE_ERRORS},
    )
    @action(detail=False, methods=["post"], filter_backends=[])
    def consolidate(self, request: Request) -> Response:
        data = _valid(ConsolidateSerializer, request)
        report = services.district_report_consolidate(
            actor=request.user,
            period_id=data["period"],
            unit_id=data["unit"],
            values=[
                ValueInput(indicator_id=v["indicator"], value=v["value"], note=v.get("note", ""))
                for v in data["values"]
            ],
        )
        return self._answer(report.pk)

    @_report_action("Submit the area's report upward (a district's to the province)")
    @action(detail=True, methods=["post"], filter_backends=[], url_path="submit-upward")
    def submit_upward(self, request: Request, pk: str) -> Response:
        services.district_report_submit(actor=request.user, report_id=self._report(pk).pk)
        return self._answer(object_id(pk))

    @extend_schema(
        summary="The area's report as Excel",
        parameters=[ID_PARAMETER],
        responses={
            (200, XLSX): OpenApiTypes.BINARY,
            **{(code, "application/json"): ERROR for code in (401, 404, 429)},
        },
    )
    @action(
        detail=True,
        methods=["get"],
        filter_backends=[],
        renderer_classes=[*api_settings.DEFAULT_RENDERER_CLASSES, XLSXRenderer],
    )
    def workbook(self, request: Request, pk: str) -> HttpResponse:
        report = self._district(pk)
        content, name = district_report_workbook(report)
        return file_response(content, name, content_type=XLSX)

    @extend_schema(
        summary="The area's report as a PDF (administrative format, with the recipients)",
        parameters=[ID_PARAMETER],
        responses={
            (200, "application/pdf"): OpenApiTypes.BINARY,
            **{(code, "application/json"): ERROR for code in (401, 404, 429)},
        },
    )
    @action(
        detail=True,
        methods=["get"],
        filter_backends=[],
        renderer_classes=[*api_settings.DEFAULT_RENDERER_CLASSES, PDFRenderer],
    )
    def pdf(self, request: Request, pk: str) -> HttpResponse:
        content, name = district_report_pdf(self._district(pk))
        return file_response(content, name, content_type="application/pdf", inline=True)

    def _district(self, pk: Any) -> ProgressReport:
        report = access_report(
            self.request.user, object_id(pk), queryset=selectors.report_detail_queryset()
        )
        if report.level != "district":
            raise RuleViolation(_("Only the area's report is exported."), field="id")
        return report


@extend_schema_view(
    list=extend_schema(
        summary="Monitoring notes you may see",
        responses={200: NoteSerializer(many=True), **READ_ERRORS},
    )
)
class MonitoringNoteViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    serializer_class = NoteSerializer

    def get_queryset(self) -> QuerySet[MonitoringNote]:
        return note_selectors.note_list_for_user(self.request.user)

    @extend_schema(
        summary="A monitoring note",
        parameters=[ID_PARAMETER],
        responses={200: NoteSerializer, **READ_ERRORS},
    )
    def retrieve(self, request: Request, pk: str) -> Response:
        return Response(
            NoteSerializer(note_selectors.access_note(request.user, object_id(pk))).data
        )

    @extend_schema(
        summary="Record a monitoring visit",
        description=(
            "Line departments, the Fatherland Front and the auditor, on a unit they "
            "monitor: on an estimate (its unit), a commune, or an activity in a commune."
        ),
        request=NoteWriteSerializer,
        responses={201: NoteSerializer, **WRITE_ERRORS},
    )
    def create(self, request: Request) -> Response:
        if not note_selectors.may_record(request.user):
            raise Forbidden(str(note_services.NO_RIGHT))
        data = _valid(NoteWriteSerializer, request)
        plan = plan_get_default()
        if plan is None:
            raise RuleViolation(_("No such plan."), field="plan")
        note = note_services.note_record(
            actor=request.user,
            plan=plan,
            data=NoteInput(
                unit_id=data.get("unit"),
                estimate_id=data.get("estimate"),
                activity_id=data.get("activity"),
                visited_on=data["visited_on"],
                visitors=data["visitors"],
                checked=data["checked"],
                findings=data["findings"],
                recommendations=data.get("recommendations", ""),
                follow_up_due=data.get("follow_up_due"),
            ),
        )
        return Response(NoteSerializer(note).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="The unit's answer",
        parameters=[ID_PARAMETER],
        request=NoteTextSerializer,
        responses={200: NoteSerializer, **WRITE_ERRORS},
    )
    @action(detail=True, methods=["post"], filter_backends=[])
    def answer(self, request: Request, pk: str) -> Response:
        data = _valid(NoteTextSerializer, request)
        note = note_services.note_answer(
            actor=request.user, note_id=object_id(pk), answer=data["text"]
        )
        return Response(NoteSerializer(note).data)

    @extend_schema(
        summary="Close the recommendations",
        parameters=[ID_PARAMETER],
        request=NoteTextSerializer,
        responses={200: NoteSerializer, **WRITE_ERRORS},
    )
    @action(detail=True, methods=["post"], filter_backends=[])
    def close(self, request: Request, pk: str) -> Response:
        data = _valid(NoteTextSerializer, request)
        note = note_services.note_close(
            actor=request.user, note_id=object_id(pk), closing_note=data["text"]
        )
        return Response(NoteSerializer(note).data)


__all__ = [
    "IndicatorViewSet",
    "MonitoringNoteViewSet",
    "PeriodViewSet",
    "ProgressReportViewSet",
    "report_list_for_user",
]
