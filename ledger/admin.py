"""The ledger in the admin: everything is read-only. Money moves only through
``ledger.services`` (entries are append-only), so the admin can neither add, change nor
delete any of these rows."""

from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest

from core.errors import RuleViolation
from core.forms import CleanTextField
from estimates.admin import NormAdmin
from estimates.models import Norm

from .models import (
    CellAccount,
    Disbursement,
    Entry,
    EstimateAccount,
    NormOverride,
    Settlement,
    SettlementLine,
    SubEnvelope,
    Tranche,
)
from .norms import NORM_FIELDS, norm_create, norm_update, norm_validate


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Entry)
class EntryAdmin(ReadOnlyAdmin):
    list_display = ["pk", "created_at", "kind", "cell", "commune", "estimate", "amount", "document"]
    list_filter = ["kind", "source", "cell__level"]
    search_fields = ["estimate__number", "document"]
    list_select_related = ["cell", "cell__plan", "commune", "estimate"]


@admin.register(CellAccount)
class CellAccountAdmin(ReadOnlyAdmin):
    list_display = [
        "cell",
        "allocated",
        "reserved",
        "committed",
        "disbursed",
        "spent",
        "returned",
        "carried",
    ]
    list_select_related = ["cell", "cell__plan"]


@admin.register(SubEnvelope)
class SubEnvelopeAdmin(ReadOnlyAdmin):
    list_display = ["commune", "cell", "amount", "reserved", "committed", "updated_at"]
    list_select_related = ["commune", "cell", "cell__plan"]


@admin.register(EstimateAccount)
class EstimateAccountAdmin(ReadOnlyAdmin):
    list_display = ["estimate", "source", "reserved", "approved", "disbursed", "spent"]
    search_fields = ["estimate__number"]
    list_select_related = ["estimate"]


@admin.register(Disbursement)
class DisbursementAdmin(ReadOnlyAdmin):
    list_display = [
        "estimate",
        "kind",
        "source",
        "paid_on",
        "amount",
        "document_number",
        "payee",
        "clear_by",
        "cleared_on",
    ]
    list_filter = ["kind", "source"]
    search_fields = ["estimate__number", "document_number", "payee"]
    list_select_related = ["estimate"]


class SettlementLineInline(ReadOnlyInline):
    model = SettlementLine


@admin.register(Settlement)
class SettlementAdmin(ReadOnlyAdmin):
    list_display = ["estimate", "status", "disbursed", "spent", "returned", "carried"]
    list_filter = ["status"]
    inlines = [SettlementLineInline]


@admin.register(Tranche)
class TrancheAdmin(ReadOnlyAdmin):
    list_display = ["origin", "year", "source", "amount", "use_by"]


@admin.register(NormOverride)
class NormOverrideAdmin(ReadOnlyAdmin):
    list_display = ["line", "created_by", "created_at", "reason"]


# Cost norms are ``estimates.Norm`` rows, but their overlap rule lives in the ledger's
# services: the admin's norm pages are re-registered here so that every save goes through
# ``norm_create``/``norm_update`` (checked under a lock), and the form shows the message.
class NormForm(forms.ModelForm):
    class Meta:
        model = Norm
        fields = list(NORM_FIELDS)
        # cleaned as the services clean them: NFC, the limit counted after NFC
        field_classes = {"item": CleanTextField, "unit": CleanTextField, "citation": CleanTextField}

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not self.errors:
            try:
                norm_validate(norm=self.instance if self.instance.pk else None, **data)
            except RuleViolation as exc:
                self.add_error(exc.field if exc.field in self.fields else None, exc.message)
        return data


admin.site.unregister(Norm)


@admin.register(Norm)
class LedgerNormAdmin(NormAdmin):
    form = NormForm

    def save_model(
        self, request: HttpRequest, obj: Norm, form: forms.ModelForm, change: bool
    ) -> None:
        values: dict[str, Any] = {key: form.cleaned_data.get(key) for key in NORM_FIELDS}
        if change:
            norm_update(norm=obj, **values)
        else:
            obj.pk = norm_create(**values).pk
