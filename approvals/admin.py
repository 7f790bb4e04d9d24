from django.contrib import admin
from django.http import HttpRequest

from .models import AuditEntry, Decision, DecisionIssuer


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    """Read-only: the audit trail is append-only."""

    list_display = [
        "seq",
        "created_at",
        "action",
        "actor_name",
        "acting_for_name",
        "role",
        "estimate",
        "from_status",
        "to_status",
        "amount",
    ]
    list_filter = ["action", "stage"]
    search_fields = ["actor_name", "comment", "estimate__number"]
    list_select_related = ["estimate"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(DecisionIssuer)
class DecisionIssuerAdmin(admin.ModelAdmin):
    """Who issues a unit's decisions, as printed; issued decisions keep what they printed."""

    list_display = ["name", "unit", "place", "symbol_suffix"]
    list_select_related = ["unit"]
    search_fields = ["name", "unit__name"]
    autocomplete_fields = ["unit"]


@admin.register(Decision)
class DecisionAdmin(admin.ModelAdmin):
    """Read-only: a decision is frozen when the estimate is approved."""

    list_display = ["symbol", "year", "issued_on", "estimate", "amount"]
    list_filter = ["year", "issuer"]
    search_fields = ["symbol", "estimate__number"]
    list_select_related = ["estimate"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
