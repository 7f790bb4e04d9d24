"""The security log of refused actions and sign-in events (``SecurityEvent``) and the
``security`` logger.

A refusal (``core.errors.Forbidden``: the access gate, segregation of duties, a page's own
role check) is recorded where it becomes the HTTP 403 answer: in
``core.middleware.DomainErrorMiddleware`` for the pages and in ``api.errors`` for the API.
By then the view has returned and every transaction it opened has rolled back, so the
record is written on its own and survives, while the refused change leaves nothing behind.
(This holds because requests are not wrapped in a transaction: ``ATOMIC_REQUESTS`` is off.)
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from typing import Any

from django.db import DatabaseError, transaction
from django.db.models import QuerySet
from django.http import HttpRequest

from .errors import Forbidden
from .models import SecurityEvent

logger = logging.getLogger("security")


def refusal_record(request: HttpRequest, error: Forbidden) -> SecurityEvent | None:
    """Record a refused request: the user's id and username, the method and path (no
    query string, no body), the view's name, the estimate refused (when the access gate
    names it) and the message. A failure to write is logged, never raised: the answer is
    a 403 either way."""
    user: Any = getattr(request, "user", None)
    signed_in = bool(user is not None and user.is_authenticated)
    match = request.resolver_match
    event = SecurityEvent(
        user_id=user.pk if signed_in else None,
        username=user.get_username()[:150] if signed_in else "",
        method=(request.method or "")[:10],
        path=request.path[:500],
        view=(match.view_name if match is not None else "")[:200],
        estimate_id=error.estimate_id,
        message=error.message[:1000],
    )
    try:
        with transaction.atomic():
            event.save(force_insert=True)
    except DatabaseError:
        logger.exception(
            "refusal not recorded: user=%s %s %s", event.user_id, event.method, event.path
        )
        return None
    logger.warning(
        "refused #%s: user=%s %s %s view=%s estimate=%s",
        event.pk,
        event.user_id,
        event.method,
        event.path,
        event.view,
        event.estimate_id,
        extra={
            "event": "refused",
            "security_event_id": event.pk,
            "user_id": event.user_id,
            "method": event.method,
            "path": event.path,
            "view": event.view,
            "estimate_id": event.estimate_id,
        },
    )
    return event


def security_log(event: str, message: str, level: int = logging.INFO, **fields: Any) -> None:
    """One security event in the log, with ``event`` (``login``, ``login_failed``,
    ``logout``, ``refused``…) and its fields as keys of the JSON object an auditor
    queries (``jq 'select(.event == "login_failed")'``). Name users by id, never by
    name, address or anything they typed; ``core.logs.RedactFilter`` masks secrets anyway."""
    logger.log(level, "%s %s", event, message, extra={"event": event, **fields})


def account_digest(username: str) -> str:
    """A keyed digest of a username typed at a failed login: the same account gives the
    same digest (failures can be counted per account) without the name in the log."""
    from django.conf import settings

    key = settings.SECRET_KEY.encode()
    return hmac.new(key, username.strip().lower().encode(), hashlib.sha256).hexdigest()[:16]


def _logged_in(sender: Any, request: HttpRequest | None = None, user: Any = None, **_: Any) -> None:
    security_log("login", "signed in", user_id=getattr(user, "pk", None))


def _logged_out(
    sender: Any, request: HttpRequest | None = None, user: Any = None, **_: Any
) -> None:
    security_log("logout", "signed out", user_id=getattr(user, "pk", None))


def _login_failed(
    sender: Any, credentials: dict[str, Any] | None = None, request: Any = None, **_: Any
) -> None:
    username = str((credentials or {}).get("username") or "")
    security_log(
        "login_failed",
        "wrong username or password",
        level=logging.WARNING,
        account=account_digest(username) if username else None,
        path=getattr(request, "path", None),
    )


def security_signals_connect() -> None:
    """Log sign-ins, sign-outs and failed sign-ins (the site's login, the admin's, the
    API's token endpoint: all go through ``django.contrib.auth.authenticate``)."""
    from django.contrib.auth import signals

    signals.user_logged_in.connect(_logged_in, dispatch_uid="core.security.login")
    signals.user_logged_out.connect(_logged_out, dispatch_uid="core.security.logout")
    signals.user_login_failed.connect(_login_failed, dispatch_uid="core.security.failed")


def refusal_list() -> QuerySet[SecurityEvent]:
    """Every recorded refusal, newest first."""
    return SecurityEvent.objects.filter(kind=SecurityEvent.Kind.REFUSED).order_by(
        "-occurred_at", "-pk"
    )


def security_event_record(
    kind: str,
    *,
    request: HttpRequest | None = None,
    user: Any = None,
    username: str = "",
    message: str = "",
) -> SecurityEvent | None:
    """Record a sign-in event (``SecurityEvent.Kind``): who (the user, or the username
    typed when there is no such user), the method and path of the request, and a short
    message. Never a password, a code, a token or an address. A failure to write is
    logged, never raised: signing in goes on either way."""
    if user is not None and getattr(user, "pk", None) is not None:
        username = user.get_username()
    match = request.resolver_match if request is not None else None
    event = SecurityEvent(
        kind=kind,
        user_id=getattr(user, "pk", None),
        username=(username or "")[:150],
        method=((request.method or "") if request is not None else "")[:10],
        path=(request.path if request is not None else "")[:500],
        view=(match.view_name if match is not None else "")[:200],
        message=message[:1000],
    )
    try:
        with transaction.atomic():
            event.save(force_insert=True)
    except DatabaseError:
        logger.exception("security event not recorded: %s user=%s", kind, event.user_id)
        return None
    if kind not in (SecurityEvent.Kind.LOGIN, SecurityEvent.Kind.LOGIN_FAILED):
        # (sign-ins and failed sign-ins are logged by their own receivers, below)
        security_log(
            kind,
            f"#{event.pk}",
            security_event_id=event.pk,
            user_id=event.user_id,
            method=event.method,
            path=event.path,
        )
    return event
