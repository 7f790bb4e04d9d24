from typing import Any

from django.contrib import admin

from .models import Indicator, Period, PlanReporting, ProgressReport


class ReadOnly(admin.ModelAdmin):
    """Read-only: reports, periods and targets change through their services (the site,
    the API, ``load_reporting``), which check, audit and notify."""

    def has_add_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False


@admin.register(Period)
class PeriodAdmin(ReadOnly):
    list_display = ["label", "kind", "starts_on", "ends_on", "due_on"]
    list_filter = ["kind"]


@admin.register(Indicator)
class IndicatorAdmin(ReadOnly):
    list_display = ["code", "name", "level", "target", "target_source"]
    list_filter = ["level", "target_source"]


@admin.register(ProgressReport)
class ProgressReportAdmin(ReadOnly):
    list_display = ["unit", "period", "version", "level", "status", "submitted_at"]
    list_filter = ["status", "level"]


@admin.register(PlanReporting)
class PlanReportingAdmin(ReadOnly):
    list_display = ["plan", "due_working_days", "place"]
