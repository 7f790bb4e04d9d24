"""Turns the errors services raise into pages: 403 with the reason, 409 with a link to
reload the estimate, 400 with the message. Views that show forms catch ``RuleViolation``
themselves, to put the message at its field. A 403 is recorded in the security log
(``core.security``) here, after the view's transactions have rolled back."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse

from .errors import Conflict, DomainError, Forbidden
from .security import refusal_record


class DomainErrorMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, DomainError):
            return None
        context: dict[str, object] = {"message": exception.message}
        match = request.resolver_match
        if match is not None and match.namespace == "estimates" and "pk" in match.kwargs:
            context["estimate_url"] = reverse("estimates:detail", args=[match.kwargs["pk"]])
        if isinstance(exception, Conflict):
            template = "errors/409.html"
        elif isinstance(exception, Forbidden):
            refusal_record(request, exception)
            template = "errors/403.html"
        else:
            template = "errors/400.html"
        return render(request, template, context, status=exception.status_code)
