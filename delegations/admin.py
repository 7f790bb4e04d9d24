from django.contrib import admin

from .models import Delegation


@admin.register(Delegation)
class DelegationAdmin(admin.ModelAdmin):
    """Read-only: delegations are created and revoked through their services (rules)."""

    list_display = ["delegator", "delegate", "membership", "starts_on", "ends_on", "revoked_at"]
    list_filter = ["starts_on", "revoked_at"]
    list_select_related = ["delegator", "delegate", "membership__unit"]
    search_fields = ["delegator__username", "delegate__username", "reason"]

    def has_add_permission(self, request: object) -> bool:
        return False

    def has_change_permission(self, request: object, obj: object = None) -> bool:
        return False
