"""viewflow's processes and tasks in the admin: read-only for everyone.

viewflow registers both models with change and delete allowed to whoever holds the model
permissions, which a superuser always does: deleting a task or editing its status would
freeze or move an estimate's flow without its service, its checks or its audit entry.
The same admin classes, subclassed, without change or delete.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from viewflow.workflow.admin import ProcessAdmin, TaskAdmin
from viewflow.workflow.models import Process, Task


class ReadOnlyProcessAdmin(ProcessAdmin):
    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ReadOnlyTaskAdmin(TaskAdmin):
    """Read-only; each task links to the audited repair page (``web.views.repair``), which
    only an administrator granted ``workflows.repair_estimateprocess`` may use."""

    list_display = [*TaskAdmin.list_display, "repair_link"]

    @admin.display(description=_("Repair"))
    def repair_link(self, obj: Any) -> str:
        return format_html(
            '<a href="{}">{}</a>', reverse("task_repair", args=[obj.pk]), _("Repair")
        )

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


admin.site.unregister(Process)
admin.site.register(Process, ReadOnlyProcessAdmin)
admin.site.unregister(Task)
admin.site.register(Task, ReadOnlyTaskAdmin)
