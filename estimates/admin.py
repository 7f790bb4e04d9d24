from django.contrib import admin

from .models import Activity, Content, EnvelopeCell, Norm, Plan, PlanCommune


class PlanCommuneInline(admin.TabularInline):
    model = PlanCommune
    extra = 0


class EnvelopeCellInline(admin.TabularInline):
    model = EnvelopeCell
    extra = 0


@admin.register(Plan)
class PlanAdmin(admin.ModelAdmin):
    list_display = ["number", "year", "issued_on", "total_amount"]
    inlines = [EnvelopeCellInline, PlanCommuneInline]


class ActivityInline(admin.TabularInline):
    model = Activity
    extra = 0


@admin.register(Content)
class ContentAdmin(admin.ModelAdmin):
    list_display = ["code", "title", "plan"]
    inlines = [ActivityInline]


@admin.register(Norm)
class NormAdmin(admin.ModelAdmin):
    list_display = ["code", "item", "unit", "max_unit_price", "valid_from", "valid_to", "citation"]
    search_fields = ["code", "item", "citation"]
