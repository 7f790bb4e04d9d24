"""The shape of what the API reads and answers. Input serializers check types, ranges and
lengths only; every business rule (state, rights, envelope, norms, dates within the plan)
is the services' (``approvals.services``), which the views call."""

from __future__ import annotations

import datetime
from typing import Any

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from approvals.models import AuditEntry
from attachments.models import AttachmentKind
from core.text import field_limit
from estimates.models import (
    Activity,
    AmendmentStatus,
    Content,
    Estimate,
    EstimateLine,
    EstimateStatus,
    EstimateVersion,
    Level,
    Plan,
    Source,
)
from ledger.models import Disbursement, NormOverride, Settlement, SettlementLine
from organization.models import Unit

from .actions import ACTION_NAMES, actions_for_many
from .fields import (
    ChoiceLabelField,
    CleanCharField,
    MoneyField,
    MoneyOutField,
    StrictIntegerField,
)

#: The largest value a 32-bit count column holds (people, quantities, days).
COUNT_MAX = 2**31 - 1
#: The largest id.
ID_MAX = 2**63 - 1


def _id(**kwargs: Any) -> StrictIntegerField:
    return StrictIntegerField(min_value=1, max_value=ID_MAX, **kwargs)


def _count(**kwargs: Any) -> StrictIntegerField:
    return StrictIntegerField(min_value=0, max_value=COUNT_MAX, **kwargs)


# --------------------------------------------------------------------------------------
# Errors


class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField(help_text=_("What went wrong, for the user."))
    field = serializers.CharField(
        allow_null=True,
        help_text=_("The input field at fault (dotted for nested input), or null."),
    )
    errors = serializers.JSONField(  # type: ignore[assignment]
        required=False, help_text=_("Every input error, by field (bad input only).")
    )


# --------------------------------------------------------------------------------------
# Plans


class UnitRefSerializer(serializers.ModelSerializer):
    code = serializers.CharField(read_only=True, help_text=_("The unit's stable key."))

    class Meta:
        model = Unit
        fields = ["id", "code", "name"]


class PlanSerializer(serializers.ModelSerializer):
    area = UnitRefSerializer(read_only=True)
    total_amount = MoneyOutField(read_only=True)

    class Meta:
        model = Plan
        fields = [
            "id",
            "number",
            "title",
            "year",
            "issued_on",
            "period_start",
            "period_end",
            "area",
            "total_amount",
        ]


class EnvelopeCellSerializer(serializers.Serializer):
    """One envelope cell (level × source) and where its money stands, from the ledger."""

    level = serializers.ChoiceField(choices=Level.choices)
    source = serializers.ChoiceField(choices=Source.choices)  # type: ignore[assignment]
    allocated = MoneyOutField()
    reserved = MoneyOutField()
    committed = MoneyOutField()
    disbursed = MoneyOutField()
    settled = MoneyOutField(source="spent")
    returned = MoneyOutField()
    carried = MoneyOutField()
    free = MoneyOutField()


class PlanCommuneSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="commune.pk")
    code = serializers.CharField(source="commune.code")
    name = serializers.CharField(source="commune.name")
    village_count = serializers.IntegerField()


class ActivitySerializer(serializers.ModelSerializer):
    levels = serializers.SerializerMethodField()

    class Meta:
        model = Activity
        fields = ["id", "code", "title", "levels"]

    @extend_schema_field(serializers.ListField(child=serializers.ChoiceField(Level.choices)))
    def get_levels(self, activity: Activity) -> list[str]:
        return [part.strip() for part in activity.levels.split(",") if part.strip()]


class ContentSerializer(serializers.ModelSerializer):
    activities = ActivitySerializer(many=True, read_only=True)

    class Meta:
        model = Content
        fields = ["id", "code", "title", "activities"]


class PlanLevelSerializer(serializers.Serializer):
    """A level of the plan: its key, its words, who spends its money (``area``: the plan's
    area; ``communes``: each commune its share) and whose offices act at each stage
    (``area``, ``commune``, or ``""``: the stage is skipped)."""

    code = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]
    scope = serializers.CharField()
    review = serializers.CharField()
    appraise = serializers.CharField()
    approve = serializers.CharField()
    disburse = serializers.CharField()
    verify = serializers.CharField()


class CarryOverRowSerializer(serializers.Serializer):
    from_level = serializers.CharField()
    source = serializers.CharField()  # type: ignore[assignment]
    into_level = serializers.CharField()
    carried_out = MoneyOutField()


class CarryOverCellSerializer(serializers.Serializer):
    level = serializers.CharField()
    carried_in = MoneyOutField()
    recorded = MoneyOutField()


class CarryOverSerializer(serializers.Serializer):
    """What the earlier plan's settlements carried over, per level and source, and what
    this plan's carried-over cells brought in."""

    carried_from = serializers.CharField(source="earlier.number")
    rows = CarryOverRowSerializer(many=True)
    cells = CarryOverCellSerializer(many=True)
    carried_out = MoneyOutField()
    carried_in = MoneyOutField()
    balanced = serializers.BooleanField()


class PlanDetailSerializer(PlanSerializer):
    issuer = UnitRefSerializer(read_only=True)
    levels = PlanLevelSerializer(many=True, read_only=True, source="api_levels")
    carry_over = CarryOverSerializer(read_only=True, allow_null=True, source="api_carry_over")
    communes = PlanCommuneSerializer(many=True, read_only=True, source="api_communes")
    contents = ContentSerializer(many=True, read_only=True, source="api_contents")
    envelope = EnvelopeCellSerializer(many=True, read_only=True, source="api_envelope")

    class Meta(PlanSerializer.Meta):
        fields = [
            *PlanSerializer.Meta.fields,
            "issuer",
            "signatory_name",
            "signatory_title",
            "programme",
            "project",
            "current_source_label",
            "carried_source_label",
            "carried_use_by",
            "carried_use_by_ground",
            "note",
            "levels",
            "carry_over",
            "communes",
            "contents",
            "envelope",
        ]


# --------------------------------------------------------------------------------------
# Estimates (answers)


class ContentRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Content
        fields = ["id", "code"]


class ActivityRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Activity
        fields = ["id", "code", "title"]


class EstimateLineSerializer(serializers.ModelSerializer):
    unit_price = MoneyOutField()
    amount = MoneyOutField()
    appraised_amount = MoneyOutField(allow_null=True)
    approved_amount = MoneyOutField(allow_null=True)

    class Meta:
        model = EstimateLine
        fields = [
            "id",
            "position",
            "description",
            "unit_of_measure",
            "quantity",
            "unit_price",
            "times",
            "source",
            "norm",
            "amount",
            "appraised_amount",
            "appraisal_note",
            "approved_amount",
        ]
        read_only_fields = fields


#: The related rows an estimate's answer names, with their columns (``UnitRefSerializer``,
#: ``ContentRefSerializer``, ``ActivityRefSerializer``). A list reads their columns with
#: the estimate's row, as annotations named by ``ref_alias`` (``api.views.list_rows``),
#: instead of building three more model instances a row.
ESTIMATE_REFS: dict[str, tuple[str, ...]] = {
    "unit": ("id", "code", "name"),
    "content": ("id", "code"),
    "activity": ("id", "code", "title"),
}


def ref_alias(relation: str, column: str) -> str:
    return f"ref_{relation}_{column}"


def _ref(instance: Estimate, relation: str) -> dict[str, Any]:
    """A related row's reference in an estimate's answer: from the columns read with the
    estimate's row when the list read them, else from the related object."""
    columns = ESTIMATE_REFS[relation]
    read = instance.__dict__
    if ref_alias(relation, columns[1]) in read:
        return {
            column: getattr(instance, f"{relation}_id")
            if column == "id"
            else read[ref_alias(relation, column)]
            for column in columns
        }
    related = getattr(instance, relation)
    return {
        column: related.pk if column == "id" else getattr(related, column) for column in columns
    }


def _moment(value: datetime.datetime | None, zone: datetime.tzinfo) -> str | None:
    """A moment as DRF's ``DateTimeField`` writes it (ISO 8601 in ``zone``, the current
    time zone, asked for once a row rather than once a field; ``Z`` for UTC)."""
    if value is None:
        return None
    text = value.astimezone(zone).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def _day(value: datetime.date | None) -> str | None:
    """A date as DRF's ``DateField`` writes it (ISO 8601)."""
    return None if value is None else value.isoformat()


#: The status's label as the list's ``status_display`` field writes it, shared: a
#: serializer's own fields are built on first use (a deep copy of the declared ones and a
#: walk of the model's), which cost a short page more than its rows.
_STATUS_LABEL = ChoiceLabelField(EstimateStatus.choices)


class EstimateSerializer(serializers.ModelSerializer):
    unit = UnitRefSerializer(read_only=True)
    content = ContentRefSerializer(read_only=True)
    activity = ActivityRefSerializer(read_only=True)
    status_display = ChoiceLabelField(EstimateStatus.choices, source="status")
    total_amount = MoneyOutField(read_only=True)
    appraised_amount = MoneyOutField(read_only=True, allow_null=True)
    approved_amount = MoneyOutField(read_only=True, allow_null=True)
    actions = serializers.SerializerMethodField(
        help_text=_(
            "What your roles allow on this estimate now. Segregation of duties is checked "
            "when you act, so an action listed here may still be refused (403)."
        )
    )

    class Meta:
        model = Estimate
        fields = [
            "id",
            "number",
            "plan",
            "level",
            "unit",
            "content",
            "activity",
            "title",
            "status",
            "status_display",
            "status_changed_at",
            "version",
            "total_amount",
            "appraised_amount",
            "approved_amount",
            "start_date",
            "end_date",
            "created_at",
            "updated_at",
            "actions",
        ]
        read_only_fields = fields

    def to_representation(self, instance: Estimate) -> dict[str, Any]:
        """The fields above, written out directly: DRF's generic walk (each field's source
        looked up, its attribute fetched through a chain of ``getattr`` with its errors
        caught, for nested serializers again) was most of a list's time per row. The same
        answer, key by key, as the generic one (``generic_representation``; held equal in
        ``tests/api/test_fast_representation.py``); a subclass with fields of its own
        adds them to it."""
        zone = timezone.get_current_timezone()
        data: dict[str, Any] = {
            "id": instance.pk,
            "number": instance.number,
            "plan": instance.plan_id,
            "level": str(instance.level),
            "unit": _ref(instance, "unit"),
            "content": _ref(instance, "content"),
            "activity": _ref(instance, "activity"),
            "title": instance.title,
            "status": str(instance.status),
            "status_display": _STATUS_LABEL.to_representation(instance.status),
            "status_changed_at": _moment(instance.status_changed_at, zone),
            "version": instance.version,
            "total_amount": instance.total_amount,
            "appraised_amount": instance.appraised_amount,
            "approved_amount": instance.approved_amount,
            "start_date": _day(instance.start_date),
            "end_date": _day(instance.end_date),
            "created_at": _moment(instance.created_at, zone),
            "updated_at": _moment(instance.updated_at, zone),
            "actions": self.get_actions(instance),
        }
        extra = [name for name in self.Meta.fields if name not in data]
        if extra:  # a subclass's own fields (the detail's villages and lines)
            generic = self.generic_representation(instance, only=extra)
            data.update(generic)
        return data

    def generic_representation(
        self, instance: Estimate, only: list[str] | None = None
    ) -> dict[str, Any]:
        """DRF's own walk of the fields (of ``only`` when given)."""
        if only is None:
            return dict(super().to_representation(instance))
        data: dict[str, Any] = {}
        for name in only:
            field = self.fields[name]
            try:
                attribute = field.get_attribute(instance)
            except serializers.SkipField:
                continue
            data[name] = None if attribute is None else field.to_representation(attribute)
        return data

    @extend_schema_field(serializers.ListField(child=serializers.ChoiceField(ACTION_NAMES)))
    def get_actions(self, estimate: Estimate) -> list[str]:
        """Computed once for the whole page of a list (three queries), not per row."""
        cache: dict[int, list[str]] = self.context.setdefault("_actions", {})
        if estimate.pk not in cache:
            batch = getattr(self.parent, "instance", None) if self.parent is not None else None
            estimates = [e for e in batch or [] if isinstance(e, Estimate)]
            if estimate not in estimates:
                estimates = [estimate]
            cache.update(actions_for_many(self.context["request"].user, estimates))
        return cache[estimate.pk]


class VersionSummarySerializer(serializers.ModelSerializer):
    total_amount = MoneyOutField()
    created_by = serializers.CharField(source="created_by.get_username")

    class Meta:
        model = EstimateVersion
        fields = ["number", "total_amount", "created_at", "created_by"]
        read_only_fields = fields


class VersionSerializer(VersionSummarySerializer):
    snapshot = serializers.JSONField(
        help_text=_("The estimate as it was submitted (title, dates, villages, lines).")
    )

    class Meta(VersionSummarySerializer.Meta):
        fields = [*VersionSummarySerializer.Meta.fields, "snapshot"]
        read_only_fields = fields


class EstimateDetailSerializer(EstimateSerializer):
    villages = UnitRefSerializer(many=True, read_only=True)
    lines = EstimateLineSerializer(many=True, read_only=True)
    versions = VersionSummarySerializer(many=True, read_only=True)
    created_by = serializers.CharField(source="created_by.get_username", read_only=True)
    submitted_by = serializers.CharField(
        source="submitted_by.get_username", read_only=True, allow_null=True
    )

    class Meta(EstimateSerializer.Meta):
        fields = [
            *EstimateSerializer.Meta.fields,
            "purpose",
            "villages",
            "participants_women",
            "participants_girls",
            "participants_men",
            "created_by",
            "submitted_by",
            "lines",
            "versions",
        ]
        read_only_fields = fields


class HistoryEntrySerializer(serializers.ModelSerializer):
    amount = MoneyOutField(allow_null=True)
    data = serializers.JSONField(  # type: ignore[assignment]
        help_text=_("Details of the action (cuts, amounts by source).")
    )

    class Meta:
        model = AuditEntry
        fields = [
            "seq",
            "created_at",
            "action",
            "stage",
            "actor_name",
            "acting_for_name",
            "role",
            "unit_name",
            "from_status",
            "to_status",
            "amount",
            "comment",
            "data",
        ]
        read_only_fields = fields


# --------------------------------------------------------------------------------------
# Estimates (input)


class LineWriteSerializer(serializers.Serializer):
    id = _id(
        required=False,
        allow_null=True,
        help_text=_("The id of an existing line being edited; omit for a new line."),
    )
    description = CleanCharField(max_length=field_limit(EstimateLine, "description"))
    unit_of_measure = CleanCharField(max_length=field_limit(EstimateLine, "unit_of_measure"))
    quantity = _count()
    unit_price = MoneyField()
    times = _count(default=1)
    source = serializers.ChoiceField(choices=Source.choices, default=Source.CURRENT)  # type: ignore[assignment]
    norm = _id(required=False, allow_null=True, help_text=_("The id of a cost norm."))


class EstimateWriteSerializer(serializers.Serializer):
    plan = _id(
        required=False,
        help_text=_("The plan (on creation; the newest plan when omitted). Ignored on edit."),
    )
    unit = _id(
        required=False,
        help_text=_(
            "The spending unit (on creation): your commune, or the district for a "
            "district-level activity; when omitted, the one unit you draft for. Ignored on edit."
        ),
    )
    activity = _id()
    title = CleanCharField(max_length=field_limit(Estimate, "title"))
    purpose = CleanCharField(
        max_length=field_limit(Estimate, "purpose"), multiline=True, allow_blank=True, default=""
    )
    start_date = serializers.DateField()
    end_date = serializers.DateField()
    villages = serializers.ListField(child=_id(), max_length=200, default=list)
    participants_women = _count(
        default=0,
        help_text=_(
            "For an activity that keeps a beneficiary list, the number of mothers on the "
            "list (0 on creation): another number is refused."
        ),
    )
    participants_girls = _count(default=0)
    participants_men = _count(default=0)
    lines = serializers.ListField(child=LineWriteSerializer(), max_length=200)


# --------------------------------------------------------------------------------------
# Transitions (input)


class TransitionSerializer(serializers.Serializer):
    """What every transition accepts: who the caller acts for, under a delegation."""

    acting_for = serializers.IntegerField(
        min_value=1,
        max_value=ID_MAX,
        required=False,
        allow_null=True,
        default=None,
        help_text=_("The id of the colleague you act for under a delegation (blank: yourself)."),
    )


#: A transition's comment or reason is kept in its audit entry.
COMMENT_LIMIT = field_limit(AuditEntry, "comment")


class CommentSerializer(TransitionSerializer):
    comment = CleanCharField(max_length=COMMENT_LIMIT, multiline=True, allow_blank=True, default="")


class ReasonSerializer(TransitionSerializer):
    reason = CleanCharField(max_length=COMMENT_LIMIT, multiline=True)


class ReturnSerializer(ReasonSerializer):
    to = serializers.ChoiceField(
        choices=[
            ("drafter", _("to the drafter")),
            ("review", _("to review")),
            ("appraisal", _("to appraisal")),
        ],
        required=False,
        help_text=_(
            "Where to: from review to the drafter; from appraisal to the drafter or to "
            "review; from approval to appraisal. Omitted: the first of these."
        ),
    )


class LineCutSerializer(serializers.Serializer):
    line_id = _id()
    appraised_amount = MoneyField()
    reason = CleanCharField(
        max_length=field_limit(EstimateLine, "appraisal_note"), allow_blank=True, default=""
    )


class AppraiseSerializer(CommentSerializer):
    cuts = serializers.ListField(child=LineCutSerializer(), max_length=200, default=list)
    norm_override_reason = CleanCharField(
        max_length=field_limit(NormOverride, "reason"),
        multiline=True,
        allow_blank=True,
        default="",
    )


#: The disbursement kinds and treasury documents of the ledger (``ledger.models``).
DISBURSEMENT_KINDS = [("advance", _("Advance")), ("payment", _("Payment"))]
DOCUMENT_TYPES = [
    ("withdrawal_order", _("Budget withdrawal order")),
    ("payment_order", _("Payment order")),
    ("cash_voucher", _("Cash voucher")),
    ("other", _("Other treasury document")),
]


class DisburseSerializer(TransitionSerializer):
    kind = serializers.ChoiceField(choices=DISBURSEMENT_KINDS)
    paid_on = serializers.DateField()
    amount = MoneyField(positive=True)
    source = serializers.ChoiceField(choices=Source.choices)  # type: ignore[assignment]
    document_type = serializers.ChoiceField(choices=DOCUMENT_TYPES)
    document_number = CleanCharField(max_length=field_limit(Disbursement, "document_number"))
    payee = CleanCharField(max_length=field_limit(Disbursement, "payee"))
    note = CleanCharField(
        max_length=field_limit(Disbursement, "note"), multiline=True, allow_blank=True, default=""
    )


class SettlementLineSerializer(serializers.Serializer):
    line_id = _id()
    spent = MoneyField()
    note = CleanCharField(
        max_length=field_limit(SettlementLine, "note"), allow_blank=True, default=""
    )


class SettleSerializer(TransitionSerializer):
    lines = serializers.ListField(child=SettlementLineSerializer(), max_length=200)
    returned = MoneyField(default=0)
    return_document = CleanCharField(
        max_length=field_limit(Settlement, "return_document"), allow_blank=True, default=""
    )
    carried = MoneyField(default=0)
    carried_use_by = serializers.DateField(required=False, allow_null=True, default=None)
    settled_on = serializers.DateField(
        required=False,
        allow_null=True,
        default=None,
        help_text=_("The settlement's date (default today): not before the last payment."),
    )


class ClearAdvanceSerializer(TransitionSerializer):
    disbursement = _id()
    cleared_on = serializers.DateField()
    document = CleanCharField(max_length=120)


class EmptySerializer(TransitionSerializer):
    pass


# --------------------------------------------------------------------------------------
# Money (answers)


class DisbursementSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    estimate = serializers.IntegerField(source="estimate_id")
    estimate_number = serializers.CharField(source="estimate.number")
    kind = serializers.ChoiceField(choices=DISBURSEMENT_KINDS)
    source = serializers.ChoiceField(choices=Source.choices)  # type: ignore[assignment]
    paid_on = serializers.DateField()
    amount = MoneyOutField()
    document_type = serializers.ChoiceField(choices=DOCUMENT_TYPES)
    document_number = serializers.CharField()
    payee = serializers.CharField()
    note = serializers.CharField()
    clear_by = serializers.DateField(allow_null=True)
    cleared_on = serializers.DateField(allow_null=True)
    recorded_at = serializers.DateTimeField()


SETTLEMENT_STATUSES = [
    ("pending", _("Awaiting verification")),
    ("returned", _("Returned for correction")),
    ("verified", _("Verified and closed")),
]


class SettlementSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    estimate = serializers.IntegerField(source="estimate_id")
    estimate_number = serializers.CharField(source="estimate.number")
    status = serializers.ChoiceField(choices=SETTLEMENT_STATUSES)
    disbursed = MoneyOutField()
    spent = MoneyOutField()
    returned = MoneyOutField()
    return_document = serializers.CharField()
    carried = MoneyOutField()
    carried_use_by = serializers.DateField(allow_null=True)
    settled_on = serializers.DateField(allow_null=True)
    submitted_at = serializers.DateTimeField()
    verified_at = serializers.DateTimeField(allow_null=True)


# --------------------------------------------------------------------------------------
# Tokens


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField(
        help_text=_("Send it as `Authorization: Token <token>`. Shown this once.")
    )
    id = serializers.IntegerField()
    name = serializers.CharField()
    created = serializers.DateTimeField()
    expires = serializers.DateTimeField()


# --------------------------------------------------------------------------------------
# Attachments


class AttachmentSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    estimate = serializers.IntegerField(source="estimate_id")
    kind = serializers.ChoiceField(choices=AttachmentKind.choices)
    name = serializers.CharField(
        source="original_name", help_text=_("The file's name as it was attached.")
    )
    media_type = serializers.CharField(help_text=_("The type read from the file's content."))
    size = serializers.IntegerField(help_text=_("In bytes."))
    sha256 = serializers.CharField()
    version = serializers.IntegerField()
    replaces = serializers.IntegerField(
        source="replaces_id", allow_null=True, help_text=_("The attachment this one replaces.")
    )
    current = serializers.BooleanField(
        source="is_current", help_text=_("False once a newer version replaced it.")
    )
    disbursement = serializers.IntegerField(source="disbursement_id", allow_null=True)
    settlement = serializers.IntegerField(source="settlement_id", allow_null=True)
    uploaded_by = serializers.CharField(source="uploaded_by.username")
    uploaded_at = serializers.DateTimeField()
    download = serializers.SerializerMethodField(help_text=_("Where to download the file."))

    def get_download(self, obj: Any) -> str:
        path = reverse("api:attachment-download", args=[obj.pk])
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request is not None else path


class AttachmentUploadSerializer(serializers.Serializer):
    file = serializers.FileField(
        help_text=_(
            "A PDF, JPEG or PNG image, or an office document (docx, xlsx, odt, ods, doc, xls); "
            "the type is read from the content and must agree with the name's extension."
        )
    )
    kind = serializers.ChoiceField(
        choices=AttachmentKind.choices,
        required=False,
        help_text=_("What the document is (not needed for a new version: it keeps its kind)."),
    )
    disbursement = _id(
        required=False, help_text=_("For a treasury voucher: the disbursement it is for.")
    )
    replaces = _id(
        required=False, help_text=_("Attach a new version of this attachment of the estimate.")
    )


# Reports


class ReportQuerySerializer(serializers.Serializer):
    """The reports' filters, for the schema (``reports.filters`` checks them)."""

    plan = serializers.IntegerField(
        min_value=1, max_value=ID_MAX, required=False, help_text="Plan id (default: newest)."
    )
    unit = serializers.IntegerField(
        min_value=1,
        max_value=ID_MAX,
        required=False,
        help_text="A commune, or the district for its own money; one you may see.",
    )
    content = serializers.IntegerField(min_value=1, max_value=ID_MAX, required=False)
    activity = serializers.IntegerField(min_value=1, max_value=ID_MAX, required=False)
    source = serializers.ChoiceField(choices=Source.choices, required=False)  # type: ignore[assignment]
    status = serializers.MultipleChoiceField(
        choices=EstimateStatus.choices, required=False, help_text="Repeat for several."
    )
    start_from = serializers.DateField(required=False, help_text="Activity starts on or after.")
    start_to = serializers.DateField(required=False, help_text="Activity starts on or before.")


class DecisionQuerySerializer(ReportQuerySerializer):
    issued_from = serializers.DateField(required=False, help_text="Issued on or after.")
    issued_to = serializers.DateField(required=False, help_text="Issued on or before.")


class FiguresSerializer(serializers.Serializer):
    allocated = serializers.IntegerField(allow_null=True)
    reserved = serializers.IntegerField()
    committed = serializers.IntegerField()
    disbursed = serializers.IntegerField()
    spent = serializers.IntegerField()
    returned = serializers.IntegerField()
    carried = serializers.IntegerField()


class ReportLineSerializer(FiguresSerializer):
    content = serializers.CharField()
    content_title = serializers.CharField()
    source = serializers.ChoiceField(choices=Source.choices)  # type: ignore[assignment]
    source_label = serializers.CharField()


class ReportSourceSerializer(FiguresSerializer):
    source = serializers.ChoiceField(choices=Source.choices)  # type: ignore[assignment]
    label = serializers.CharField()  # type: ignore[assignment]


class ReportUnitSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField()
    name = serializers.CharField()


class ReportGroupSerializer(serializers.Serializer):
    unit = ReportUnitSerializer()
    level = serializers.ChoiceField(choices=Level.choices)
    lines = ReportLineSerializer(many=True)
    sources = ReportSourceSerializer(many=True)
    total = FiguresSerializer()


class ReportTotalSerializer(ReportSourceSerializer):
    level = serializers.ChoiceField(choices=Level.choices)


class ReportPlanSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    number = serializers.CharField()
    title = serializers.CharField()


class ReportFilterSerializer(serializers.Serializer):
    label = serializers.CharField()  # type: ignore[assignment]
    value = serializers.CharField()


class ConsolidatedReportSerializer(serializers.Serializer):
    """Amounts in đồng; ``allocated`` is null for a commune whose share is not set."""

    plan = ReportPlanSerializer()
    filters = ReportFilterSerializer(many=True)
    groups = ReportGroupSerializer(many=True)
    totals = ReportTotalSerializer(many=True)
    total = FiguresSerializer()


class DecisionListSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    symbol = serializers.CharField(help_text="Number and symbol, e.g. 12/QĐ-UBND.")
    number = serializers.IntegerField()
    year = serializers.IntegerField()
    issued_on = serializers.DateField()
    amount = MoneyOutField()
    estimate = serializers.IntegerField(source="estimate_id")
    estimate_number = serializers.CharField(source="estimate.number")
    estimate_title = serializers.CharField(source="estimate.title")
    unit = serializers.IntegerField(source="estimate.unit_id")
    unit_name = serializers.CharField(source="estimate.unit.name")


# --------------------------------------------------------------------------------------
# Reorganisations (read only)


class UnitMoveSerializer(serializers.Serializer):
    unit = UnitRefSerializer()
    successor = UnitRefSerializer()
    kind = serializers.CharField()
    staff_moved = serializers.BooleanField()


class EstimateMoveSerializer(serializers.Serializer):
    estimate = serializers.IntegerField(source="estimate_id")
    number = serializers.CharField(source="estimate.number")
    status = serializers.CharField(help_text="The estimate's status when it moved.")
    from_unit = UnitRefSerializer()
    to_unit = UnitRefSerializer()


class ReorganisationSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField()
    title = serializers.CharField()
    basis = serializers.CharField()
    effective_on = serializers.DateField()
    illustrative = serializers.BooleanField()
    applied_at = serializers.DateTimeField()
    units = UnitMoveSerializer(many=True, source="unit_moves.all")


class ReorganisationDetailSerializer(ReorganisationSerializer):
    estimates = EstimateMoveSerializer(
        many=True,
        source="api_estimates",
        help_text="The estimates in flight it moved, of those you may see.",
    )


# Amendments of approved estimates (điều chỉnh dự toán)


class AmendmentLineWriteSerializer(serializers.Serializer):
    line_id = _id(help_text=_("The id of a line of the estimate."))
    quantity = _count()
    unit_price = MoneyField()
    times = _count(default=1)


class AmendmentWriteSerializer(TransitionSerializer):
    estimate = _id(help_text=_("The approved estimate to amend."))
    lines = serializers.ListField(
        child=AmendmentLineWriteSerializer(),
        max_length=200,
        default=list,
        help_text=_("The lines whose figures change; lines not listed keep theirs."),
    )
    start_date = serializers.DateField()
    end_date = serializers.DateField()
    reason = CleanCharField(max_length=COMMENT_LIMIT, multiline=True)


class AmendmentLineSerializer(serializers.Serializer):
    line = serializers.IntegerField(source="line_id")
    position = serializers.IntegerField(source="line.position")
    description = serializers.CharField(source="line.description")
    source = serializers.ChoiceField(choices=Source.choices, source="line.source")  # type: ignore[assignment]
    quantity = serializers.IntegerField()
    unit_price = MoneyOutField()
    times = serializers.IntegerField()
    amount = MoneyOutField(help_text=_("The amended amount."))
    previous_amount = MoneyOutField(help_text=_("The approved amount before the amendment."))


class AmendmentDecisionSerializer(serializers.Serializer):
    symbol = serializers.CharField()
    number = serializers.IntegerField()
    year = serializers.IntegerField()
    issued_on = serializers.DateField()
    amount = MoneyOutField()


class AmendmentSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    estimate = serializers.IntegerField(source="estimate_id")
    estimate_number = serializers.CharField(source="estimate.number")
    number = serializers.IntegerField(help_text=_("1 for the estimate's first amendment, …"))
    status = serializers.ChoiceField(choices=AmendmentStatus.choices)
    status_label = serializers.CharField(source="get_status_display")
    reason = serializers.CharField()
    start_date = serializers.DateField()
    end_date = serializers.DateField()
    previous_start_date = serializers.DateField()
    previous_end_date = serializers.DateField()
    previous_total = MoneyOutField()
    total = MoneyOutField()
    version = serializers.IntegerField(help_text=_("The estimate's version with these figures."))
    created_at = serializers.DateTimeField()
    lines = AmendmentLineSerializer(many=True)
    decision = serializers.SerializerMethodField()
    actions = serializers.SerializerMethodField()

    @extend_schema_field(AmendmentDecisionSerializer(allow_null=True))
    def get_decision(self, obj: Any) -> Any:
        decision = getattr(obj, "decision", None)
        return AmendmentDecisionSerializer(decision).data if decision is not None else None

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_actions(self, obj: Any) -> list[str]:
        """What the caller may do on it now (the open amendment only): ``forward``,
        ``appraise``, ``approve``, ``return``, ``withdraw``."""
        return list(self.context.get("actions", {}).get(obj.pk, []))
