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
    )
    return event


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
    logger.info("%s #%s: user=%s %s %s", kind, event.pk, event.user_id, event.method, event.path)
    return event
