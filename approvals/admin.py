from django.contrib import admin
from django.http import HttpRequest

from .models import AuditEntry


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
