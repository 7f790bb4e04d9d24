from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from .models import Attachment


@admin.register(Attachment)
class AttachmentAdmin(admin.ModelAdmin):
    """Read-only: attachments are added and removed by ``attachments.services`` only."""

    list_display = (
        "original_name",
        "kind",
        "estimate",
        "version",
        "size",
        "uploaded_by",
        "uploaded_at",
    )
    list_filter = ("kind",)
    search_fields = ("original_name", "estimate__number", "sha256")
    list_select_related = ("estimate", "uploaded_by")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
