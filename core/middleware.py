"""Turns the errors services raise into pages: 403 with the reason, 409 with a link to
reload the estimate, 400 with the message. Views that show forms catch ``RuleViolation``
themselves, to put the message at its field. A 403 is recorded in the security log
(``core.security``) here, after the view's transactions have rolled back."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from csp.constants import UNSAFE_INLINE
from csp.middleware import CSPMiddleware, PolicyParts
from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import render
from django.urls import reverse

from .errors import Conflict, DomainError, Forbidden
from .logs import new_request_id, request_id_var
from .security import refusal_record

request_logger = logging.getLogger("requests")


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


class RequestIdMiddleware:
    """Gives each request an id (the proxy's ``X-Request-ID`` when it looks like one, else a
    new one), puts it on every log record and every task queued meanwhile
    (``core.logs``), answers it in ``X-Request-ID``, and logs the request in one line:
    method, path (no query string), status, duration and user id; never a body, a cookie
    or a header value."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request_id = new_request_id(request.headers.get("X-Request-ID"))
        # Cleared when the answer has been sent (``core.logs.request_done``), not here:
        # Django logs a 4xx answer ("Not Found: …") after the middleware has returned.
        request_id_var.set(request_id)
        started = time.monotonic()
        response = self.get_response(request)
        response["X-Request-ID"] = request_id
        user = getattr(request, "user", None)
        request_logger.info(
            "%s %s %s",
            request.method,
            request.path,
            response.status_code,
            extra={
                "method": request.method,
                "path": request.path[:500],
                "status": response.status_code,
                "duration_ms": round((time.monotonic() - started) * 1000, 1),
                "user_id": user.pk if user is not None and user.is_authenticated else None,
            },
        )
        return response


class PermissionsPolicyMiddleware:
    """The ``Permissions-Policy`` header (settings.PERMISSIONS_POLICY) on every answer:
    the site uses no camera, microphone, location, payment or the like."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.header = ", ".join(
            f"{feature}=({' '.join(allow)})"
            for feature, allow in getattr(settings, "PERMISSIONS_POLICY", {}).items()
        )

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if self.header and "Permissions-Policy" not in response:
            response["Permissions-Policy"] = self.header
        return response


class ContentSecurityPolicyMiddleware(CSPMiddleware):
    """django-csp's middleware (settings.CONTENT_SECURITY_POLICY: no inline scripts or
    styles), with one relaxation for the pages of libraries that write ``style="…"``
    attributes and ``<style>`` blocks into their templates (viewflow's /workflow/, the
    Django admin, the API's Swagger UI and ReDoc): below the prefixes of
    settings.CSP_INLINE_STYLE_PREFIXES, styles may be inline. Scripts are never inline."""

    def get_policy_parts(
        self, request: HttpRequest, response: HttpResponseBase, report_only: bool = False
    ) -> PolicyParts:
        parts = super().get_policy_parts(request, response, report_only)
        prefixes = tuple(getattr(settings, "CSP_INLINE_STYLE_PREFIXES", ()))
        if prefixes and request.path_info.startswith(prefixes):
            parts.update = {**(parts.update or {}), "style-src": [UNSAFE_INLINE]}
        return parts
