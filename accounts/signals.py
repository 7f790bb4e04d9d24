"""Receivers: the login time kept in the session, sign-in events recorded, and a user's
tokens revoked (their sessions ending with them) when their password changes or they are
deactivated."""

from __future__ import annotations

import time
from typing import Any

from axes.signals import user_locked_out
from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.db.models.signals import post_save, pre_save
from django.dispatch import receiver

from core.models import SecurityEvent
from core.security import security_event_record

from .models import ApiToken
from .sessions import LOGIN_AT, SEEN_AT
from .tokens import tokens_revoke

User = get_user_model()


@receiver(user_logged_in)
def _logged_in(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    if request is None or not hasattr(request, "session"):
        return
    request.session[LOGIN_AT] = request.session[SEEN_AT] = time.time()
    security_event_record(SecurityEvent.Kind.LOGIN, request=request, user=user, message="login")


@receiver(user_login_failed)
def _login_failed(sender: Any, credentials: dict[str, Any], request: Any = None, **kw: Any) -> None:
    security_event_record(
        SecurityEvent.Kind.LOGIN_FAILED,
        request=request,
        username=str(credentials.get("username") or ""),
        message="wrong username or password, or locked out",
    )


@receiver(user_locked_out)
def _locked_out(sender: Any, request: Any, username: str | None, **kwargs: Any) -> None:
    security_event_record(
        SecurityEvent.Kind.LOCKED_OUT,
        request=request,
        username=username or "",
        message="too many failed sign-ins for this username from this address",
    )


@receiver(pre_save, sender=User)
def _credentials_change_noted(sender: Any, instance: Any, **kwargs: Any) -> None:
    """Note whether this save changes the password or deactivates the user."""
    instance._credentials_changed = ""
    if instance.pk is None or kwargs.get("raw"):
        return
    before = sender.objects.filter(pk=instance.pk).values("password", "is_active").first()
    if before is None:
        return
    if before["password"] != instance.password:
        instance._credentials_changed = "password changed"
    elif before["is_active"] and not instance.is_active:
        instance._credentials_changed = "user deactivated"


@receiver(post_save, sender=User)
def _credentials_changed(sender: Any, instance: Any, created: bool, **kwargs: Any) -> None:
    """A changed password or a deactivated user revokes every token of the user. Their
    sessions end with it: Django keeps a hash of the password in each session and drops a
    session whose hash no longer matches, and an inactive user's session no longer signs
    anyone in (``update_session_auth_hash`` keeps the session of a user who changes their
    own password)."""
    reason = getattr(instance, "_credentials_changed", "")
    if reason and not created:
        tokens_revoke(ApiToken.objects.filter(user=instance), reason=reason, user=instance)
