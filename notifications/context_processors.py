"""The bell: the unread count, read lazily so a page that does not show it costs nothing."""

from __future__ import annotations

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from .selectors import unread_count


def bell(request: HttpRequest) -> dict[str, object]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"bell_unread": SimpleLazyObject(lambda: unread_count(user))}
