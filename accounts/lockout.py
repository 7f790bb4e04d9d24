"""The answer to a locked-out sign-in (django-axes' ``AXES_LOCKOUT_CALLABLE``): a page
in the user's language, or JSON under /api/; 429 either way."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from .sessions import api_path

LOCKED_STATUS = 429


def lockout_minutes() -> int:
    return max(1, round(settings.AXES_COOLOFF_TIME.total_seconds() / 60))


def lockout_response(
    request: HttpRequest, original_response: Any = None, credentials: Any = None
) -> HttpResponse:
    message = _(
        "Too many failed sign-ins for this username from this address. Try again in "
        "%(minutes)d minutes, or ask an administrator to lift the lockout."
    ) % {"minutes": lockout_minutes()}
    if api_path(request):
        response: HttpResponse = JsonResponse(
            {"detail": message, "field": None}, status=LOCKED_STATUS
        )
    else:
        response = render(
            request, "registration/locked_out.html", {"message": message}, status=LOCKED_STATUS
        )
    response["Retry-After"] = str(int(settings.AXES_COOLOFF_TIME.total_seconds()))
    return response


def client_address(request: HttpRequest) -> str | None:
    """The address a sign-in came from (django-axes' ``AXES_CLIENT_IP_CALLABLE``).

    Behind ``TRUSTED_PROXY_COUNT`` reverse proxies (the compose file's one), each appends
    the address it received from to ``X-Forwarded-For``: the client's is the one that many
    places from the right, the entries left of it being whatever the client sent. With no
    proxy (the default), the connection's own address."""
    count = settings.TRUSTED_PROXY_COUNT
    if count > 0:
        forwarded = [
            part.strip()
            for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
            if part.strip()
        ]
        if len(forwarded) >= count:
            return forwarded[-count][:45]
    return request.META.get("REMOTE_ADDR")
