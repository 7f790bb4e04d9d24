"""Issuing, checking and revoking API tokens (``accounts.models.ApiToken``)."""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication

from core.models import SecurityEvent
from core.security import security_event_record

from .models import ApiToken, key_digest


def token_issue(
    user: Any, *, name: str, days: int | None = None, request: HttpRequest | None = None
) -> tuple[ApiToken, str]:
    """A new token for ``user`` (who has passed the second factor: the caller checks),
    valid ``days`` days (``API_TOKEN_DAYS`` by default, at most ``API_TOKEN_MAX_DAYS``).
    Returns the token and its key; the key is shown once and only its digest kept."""
    days = min(days or settings.API_TOKEN_DAYS, settings.API_TOKEN_MAX_DAYS)
    key = secrets.token_urlsafe(32)
    now = timezone.now()
    token = ApiToken.objects.create(
        user=user,
        name=name.strip()[:100] or "API",
        prefix=key[:8],
        digest=key_digest(key),
        created_at=now,
        expires_at=now + timedelta(days=days),
    )
    security_event_record(
        SecurityEvent.Kind.TOKEN_ISSUED,
        request=request,
        user=user,
        message=f"token #{token.pk} issued, expires {token.expires_at:%Y-%m-%d}",
    )
    return token, key


def tokens_revoke(
    tokens: Any, *, reason: str, request: HttpRequest | None = None, user: Any = None
) -> int:
    """Revoke the active tokens among ``tokens`` (a queryset); returns how many."""
    ids = list(tokens.filter(revoked_at__isnull=True).values_list("pk", flat=True))
    if not ids:
        return 0
    ApiToken.objects.filter(pk__in=ids).update(revoked_at=timezone.now(), revoked_reason=reason)
    security_event_record(
        SecurityEvent.Kind.TOKEN_REVOKED,
        request=request,
        user=user,
        message=f"tokens {', '.join(f'#{i}' for i in ids)} revoked: {reason}"[:1000],
    )
    return len(ids)


class ExpiringTokenAuthentication(TokenAuthentication):
    """``Authorization: Token <key>`` with an ``ApiToken``: 401 when the key is unknown,
    expired or revoked, or its user inactive. A revoked or expired token's use is recorded
    as a security event."""

    model = ApiToken
    request: Any = None

    def authenticate(self, request: Any) -> Any:
        self.request = request
        return super().authenticate(request)

    def authenticate_credentials(self, key: str) -> tuple[Any, ApiToken]:
        token = ApiToken.objects.select_related("user").filter(digest=key_digest(key)).first()
        if token is None:
            raise exceptions.AuthenticationFailed(_("Invalid token."))
        if not token.is_active or not token.user.is_active:
            why = (
                "revocation"
                if token.revoked_at
                else "expiry"
                if not token.is_active
                else "deactivation of its user"
            )
            security_event_record(
                SecurityEvent.Kind.TOKEN_REFUSED,
                request=getattr(self.request, "_request", None),
                user=token.user,
                message=f"token #{token.pk} used after {why}",
            )
            raise exceptions.AuthenticationFailed(_("This token has expired or was revoked."))
        return token.user, token
