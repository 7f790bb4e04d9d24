"""The second-factor gate: a signed-in user whose session has not passed the second
factor is sent to enter a code (when they have an authenticator) or to set one up (when
their roles require one), and can do nothing else meanwhile."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.urls import reverse
from django.utils.translation import gettext as _

from .second_factor import has_second_factor, second_factor_required, session_verified
from .sessions import api_path

F = TypeVar("F", bound=Callable[..., Any])

#: Views open before the second factor, besides those marked ``second_factor_exempt``.
OPEN_VIEWS = frozenset({"login", "logout", "set_language", "admin:logout"})


def second_factor_exempt(view: F) -> F:
    """Mark a view as reachable before the second factor (its own pages)."""
    view.second_factor_exempt = True  # type: ignore[attr-defined]
    return view


def second_factor_redirect(request: HttpRequest, *, next_url: str) -> HttpResponse | None:
    """Where a session that has not passed the second factor must go first, or None."""
    user = request.user
    if has_second_factor(user):
        name = "account:second_factor_verify"
    elif second_factor_required(user):
        name = "account:second_factor_setup"
    else:
        return None
    return HttpResponseRedirect(f"{reverse(name)}?{urlencode({'next': next_url})}")


class SecondFactorMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view: Any, args: Any, kwargs: Any
    ) -> HttpResponse | None:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated or session_verified(request):
            return None
        match = request.resolver_match
        if getattr(view, "second_factor_exempt", False) or (
            match is not None and match.view_name in OPEN_VIEWS
        ):
            return None
        redirect = second_factor_redirect(request, next_url=request.get_full_path())
        if redirect is None:
            return None
        if api_path(request):
            return JsonResponse(
                {"detail": _("Enter your second factor on the web site first."), "field": None},
                status=403,
            )
        return redirect
