from typing import Any

from django.contrib import admin

from .models import MonitoringNote


@admin.register(MonitoringNote)
class MonitoringNoteAdmin(admin.ModelAdmin):
    """Read-only: notes are recorded, answered and closed on the site, by their services."""

    list_display = ["unit", "visited_on", "author_agency", "status", "follow_up_due"]
    list_filter = ["status"]

    def has_add_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False
