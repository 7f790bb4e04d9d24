from django.contrib import admin
from django.db import transaction
from django.http import HttpRequest

from .models import Membership, Unit
from .permissions import access_sync


@admin.register(Unit)
class UnitAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "kind", "agency_type", "parent", "is_active", "successor"]
    list_filter = ["kind", "agency_type", "is_active"]
    search_fields = ["name", "code"]
    list_select_related = ["parent", "successor"]
    autocomplete_fields = ["parent"]
    # Written only by a reorganisation (``manage.py apply_reorganisation``), which moves the
    # work and the money with them.
    readonly_fields = ["established_on", "abolished_on", "successor"]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "unit", "role", "is_head", "is_active"]
    list_filter = ["role", "is_head", "is_active"]
    search_fields = ["user__username", "unit__name"]
    list_select_related = ["user", "unit"]
    autocomplete_fields = ["unit"]

    def save_model(self, request: HttpRequest, obj: Membership, form: object, change: bool) -> None:
        super().save_model(request, obj, form, change)
        transaction.on_commit(access_sync)

    def delete_model(self, request: HttpRequest, obj: Membership) -> None:
        super().delete_model(request, obj)
        transaction.on_commit(access_sync)
