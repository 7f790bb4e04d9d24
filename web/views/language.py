"""The language menu: the choice is kept for the user (and on this browser)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_POST
from django.views.i18n import set_language

from notifications.services import language_chosen, language_remember

from ..middleware import SESSION_LANGUAGE


@login_not_required
@require_POST
def language_choose(request: HttpRequest) -> HttpResponse:
    """Django's ``set_language`` (the cookie, the redirect back), and for a signed-in user
    the choice remembered with their preferences and in their session."""
    response = set_language(request)
    code = request.POST.get("language")
    if code in dict(settings.LANGUAGES) and request.user.is_authenticated:
        language_remember(user=request.user, language=str(code))
        request.session[SESSION_LANGUAGE] = code
    return response


def language_on_login(sender: Any, request: HttpRequest, user: Any, **kwargs: Any) -> None:
    """At login, the user's remembered language becomes the session's."""
    code = language_chosen(user)
    if code and request is not None and hasattr(request, "session"):
        request.session[SESSION_LANGUAGE] = code
