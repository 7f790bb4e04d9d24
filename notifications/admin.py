"""The administrator sees every event, delivery and failure, and edits deadlines and
holidays. Outbox rows and deliveries are records: read-only here."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext as _

from . import services
from .models import (
    ChannelPreference,
    Delivery,
    Digest,
    Holiday,
    Notification,
    OutboxEvent,
    Reminder,
    StageDeadline,
    UserPreference,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(OutboxEvent)
class OutboxEventAdmin(ReadOnlyAdmin):
    list_display = [
        "pk",
        "kind",
        "estimate",
        "created_at",
        "published_at",
        "publish_count",
        "handled_count",
        "processed_at",
        "last_error",
    ]
    list_filter = ["kind", ("processed_at", admin.EmptyFieldListFilter)]
    list_select_related = ["estimate"]
    search_fields = ["estimate__number"]


@admin.register(Delivery)
class DeliveryAdmin(ReadOnlyAdmin):
    list_display = ["pk", "event", "recipient", "channel", "status", "attempts", "address", "error"]
    list_filter = ["status", "channel"]
    list_select_related = ["event", "recipient"]
    search_fields = ["recipient__username", "address", "error"]
    actions = ["retry"]

    @admin.action(description=_("Try the selected failed e-mails again"))
    def retry(self, request: HttpRequest, queryset: QuerySet[Delivery]) -> None:
        count = services.deliveries_retry(delivery_ids=queryset.values_list("pk", flat=True))
        self.message_user(request, _("%(count)d e-mails will be tried again.") % {"count": count})


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    list_display = ["pk", "recipient", "title", "created_at", "read_at"]
    list_select_related = ["recipient"]
    search_fields = ["recipient__username", "title"]


@admin.register(Reminder)
class ReminderAdmin(ReadOnlyAdmin):
    list_display = ["pk", "estimate", "stage", "kind", "threshold", "deadline", "created_at"]
    list_filter = ["kind", "stage"]
    list_select_related = ["estimate"]


@admin.register(Digest)
class DigestAdmin(ReadOnlyAdmin):
    list_display = ["pk", "user", "date", "created_at"]
    list_select_related = ["user"]


@admin.register(StageDeadline)
class StageDeadlineAdmin(admin.ModelAdmin):
    list_display = ["status", "working_days", "escalate_after"]


@admin.register(Holiday)
class HolidayAdmin(admin.ModelAdmin):
    list_display = ["date", "name"]
    date_hierarchy = "date"


@admin.register(UserPreference)
class UserPreferenceAdmin(admin.ModelAdmin):
    list_display = ["user", "language"]
    list_select_related = ["user"]


@admin.register(ChannelPreference)
class ChannelPreferenceAdmin(admin.ModelAdmin):
    list_display = ["user", "kind", "channel", "enabled"]
    list_filter = ["kind", "channel", "enabled"]
    list_select_related = ["user"]
