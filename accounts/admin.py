"""Administrators see and revoke API tokens, and reset a user's second factor (an action
on the users' list). Lockouts are django-axes' own admin pages (access attempts: delete
one to lift it)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from .models import ApiToken
from .second_factor import second_factor_reset
from .tokens import tokens_revoke


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ("name", "user", "prefix", "created_at", "expires_at", "revoked_at")
    list_filter = ("revoked_at", "expires_at")
    search_fields = ("name", "user__username", "prefix")
    readonly_fields = (
        "user",
        "name",
        "prefix",
        "created_at",
        "expires_at",
        "revoked_at",
        "revoked_reason",
    )
    actions = ["revoke"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # a token is issued to its owner after the second factor

    @admin.action(description=_("Revoke the selected tokens"))
    def revoke(self, request: HttpRequest, queryset: QuerySet[ApiToken]) -> None:
        count = tokens_revoke(
            queryset, reason=f"revoked by {request.user.get_username()}", request=request
        )
        self.message_user(request, _("%(count)d tokens revoked.") % {"count": count})


User = get_user_model()
admin.site.unregister(User)


@admin.register(User)
class AccountUserAdmin(UserAdmin):
    actions = ["reset_second_factor", "revoke_tokens"]

    @admin.action(description=_("Reset the second factor (authenticator and recovery codes)"))
    def reset_second_factor(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        for user in queryset:
            second_factor_reset(user, request=request, by=request.user)
        self.message_user(
            request,
            _("Second factor reset for %(count)d users.") % {"count": len(queryset)},
            messages.SUCCESS,
        )

    @admin.action(description=_("Revoke every API token of the selected users"))
    def revoke_tokens(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        count = tokens_revoke(
            ApiToken.objects.filter(user__in=queryset),
            reason=f"revoked by {request.user.get_username()}",
            request=request,
        )
        self.message_user(request, _("%(count)d tokens revoked.") % {"count": count})
