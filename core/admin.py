from django.contrib import admin
from django.http import HttpRequest

from .models import SecurityEvent


@admin.register(SecurityEvent)
class SecurityEventAdmin(admin.ModelAdmin):
    """Read-only: the security log is written by ``core.security`` alone."""

    list_display = [
        "occurred_at",
        "username",
        "user_id",
        "method",
        "path",
        "estimate_id",
        "message",
    ]
    list_filter = ["kind", "method"]
    search_fields = ["username", "path", "view", "message"]
    date_hierarchy = "occurred_at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
