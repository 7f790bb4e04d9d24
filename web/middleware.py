"""Vietnamese first.

The pages speak the language the user chose (remembered per user, carried in the session
from login), else the one chosen on this browser (the language cookie), else the site's
language, Vietnamese. The browser's own ``Accept-Language`` is not asked: an office PC or a
phone set to English still opens in Vietnamese. The API (``/api/``) keeps Django's rule, so a
client may ask for English messages with ``Accept-Language``.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.middleware.locale import LocaleMiddleware
from django.utils import translation

#: The session key of the user's remembered language.
SESSION_LANGUAGE = "language"


def language_for(request: HttpRequest) -> str:
    session = getattr(request, "session", None)
    known = dict(settings.LANGUAGES)
    for code in (
        session.get(SESSION_LANGUAGE) if session is not None else None,
        request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME),
    ):
        if code in known:
            return str(code)
    return str(settings.LANGUAGE_CODE)


class PreferredLanguageMiddleware(LocaleMiddleware):
    def process_request(self, request: HttpRequest) -> Any:
        if request.path.startswith("/api/"):
            return super().process_request(request)
        translation.activate(language_for(request))
        request.LANGUAGE_CODE = translation.get_language()
        return None
