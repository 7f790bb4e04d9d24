"""The register's reference data in the admin. Beneficiaries themselves are not in the
admin on purpose: their personal data is read through the register's pages, which apply
the access rules (``beneficiaries.selectors``)."""

from django.contrib import admin

from .models import Ethnicity, PriorityGroup, RegisterActivity


@admin.register(Ethnicity)
class EthnicityAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "is_minority", "sort_order")
    list_filter = ("is_minority",)
    search_fields = ("name", "code")


@admin.register(PriorityGroup)
class PriorityGroupAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "counts_minority", "safe_birth_eligible", "sort_order")


@admin.register(RegisterActivity)
class RegisterActivityAdmin(admin.ModelAdmin):
    list_display = ("activity", "min_age")
    list_select_related = ("activity",)
