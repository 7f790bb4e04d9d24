"""The limits of a signed-in session: an idle timeout (``SESSION_IDLE_SECONDS`` without a
request) and an absolute one (``SESSION_ABSOLUTE_SECONDS`` after the login, whatever the
activity; the session cookie and row expire then too: ``SESSION_COOKIE_AGE``).

The time of the last request is written to the session at most once a minute
(``SESSION_ACTIVITY_RESOLUTION``), so reading pages does not write the session each time."""

from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _

#: Session key: when the user logged in (seconds since the epoch).
LOGIN_AT = "login_at"
#: Session key: when the user was last seen (seconds since the epoch, to the minute).
SEEN_AT = "seen_at"


def api_path(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


class SessionLimitMiddleware:
    """Ends a session idle for more than ``SESSION_IDLE_SECONDS`` or older than
    ``SESSION_ABSOLUTE_SECONDS``: back to the login page (a JSON 401 under /api/)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            session = request.session
            started, seen = session.get(LOGIN_AT), session.get(SEEN_AT)
            now = time.time()
            if not isinstance(started, int | float):
                started = session[LOGIN_AT] = now
            if not isinstance(seen, int | float):
                seen = session[SEEN_AT] = now
            if (
                now - started > settings.SESSION_ABSOLUTE_SECONDS
                or now - seen > settings.SESSION_IDLE_SECONDS
            ):
                logout(request)
                if api_path(request):
                    return JsonResponse(
                        {
                            "detail": _("Your session has ended. Please log in again."),
                            "field": None,
                        },
                        status=401,
                    )
                return redirect_to_login(request.get_full_path())
            if now - seen >= settings.SESSION_ACTIVITY_RESOLUTION:
                session[SEEN_AT] = now
        return self.get_response(request)
