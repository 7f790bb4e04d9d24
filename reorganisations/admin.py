"""Reorganisations in the admin: read only. They are applied by ``manage.py
apply_reorganisation`` (a checked file, atomically); nothing here changes them."""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from .models import EstimateMove, Reorganisation, UnitMove


class _ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Reorganisation)
class ReorganisationAdmin(_ReadOnly):
    list_display = ["code", "title", "effective_on", "illustrative", "applied_at", "applied_by"]


@admin.register(UnitMove)
class UnitMoveAdmin(_ReadOnly):
    list_display = ["unit", "successor", "kind", "staff_moved", "reorganisation"]
    list_filter = ["kind", "reorganisation"]
    list_select_related = ["unit", "successor", "reorganisation"]


@admin.register(EstimateMove)
class EstimateMoveAdmin(_ReadOnly):
    list_display = ["estimate", "from_unit", "to_unit", "status", "reorganisation"]
    list_filter = ["reorganisation", "status"]
    list_select_related = ["estimate", "from_unit", "to_unit", "reorganisation"]
