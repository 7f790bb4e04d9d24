"""Every refusal as one JSON shape: ``{"detail": message, "field": name or null}``.

The services raise ``core.errors`` (RuleViolation 400, Forbidden 403, Conflict 409) with a
translated message and, for bad input, the field; the access gate raises Http404 for what
the user may not see. Serializer errors keep their detail under ``errors`` and name the
first field in ``field`` (dotted for nested input: ``lines[0].unit_price``). A Forbidden is
recorded in the security log (``core.security``) here, after the view's transactions have
rolled back, as the pages' middleware does.
"""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.db import DatabaseError, OperationalError
from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler
from viewflow.workflow.exceptions import FlowLockFailed

from core.errors import DomainError, Forbidden
from core.security import refusal_record

logger = logging.getLogger(__name__)

#: PostgreSQL SQLSTATEs of a lock that could not be taken or a transaction that lost a race.
LOCK_SQLSTATES = {"55P03", "40001", "40P01"}


class IdempotencyKeyReused(exceptions.APIException):
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_detail = "This Idempotency-Key was used for another request."
    default_code = "idempotency_key_reused"


def first_error(detail: Any, path: str = "") -> tuple[str | None, str]:
    """The first (field path, message) in a DRF error detail."""
    if isinstance(detail, dict):
        for name, value in detail.items():
            if name == "non_field_errors":
                _field, message = first_error(value, path)
                return (path or None), message
            if isinstance(name, int):
                where = f"{path}[{name}]"
            else:
                where = f"{path}.{name}" if path else str(name)
            found_field, message = first_error(value, where)
            if message:
                return found_field, message
        return (path or None), ""
    if isinstance(detail, list):
        if detail and all(not isinstance(item, dict | list) for item in detail):
            return (path or None), str(detail[0])
        for index, item in enumerate(detail):
            found_field, message = first_error(item, f"{path}[{index}]")
            if message:
                return found_field, message
        return (path or None), ""
    return (path or None), str(detail)


def _body(detail: str, field: str | None = None, errors: Any = None) -> dict[str, Any]:
    body: dict[str, Any] = {"detail": detail, "field": field}
    if errors is not None:
        body["errors"] = errors
    return body


def _is_lock_error(exc: BaseException) -> bool:
    if isinstance(exc, FlowLockFailed):
        return True
    if isinstance(exc, OperationalError):
        cause = exc.__cause__
        return getattr(cause, "sqlstate", None) in LOCK_SQLSTATES
    return False


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, DomainError):
        request = context.get("request")
        if isinstance(exc, Forbidden) and request is not None:
            refusal_record(request._request, exc)
        errors = getattr(exc, "errors", [])
        by_field: dict[str, list[str]] | None = None
        if len(errors) > 1:  # several lines refused at once: all of them, by field
            by_field = {}
            for field, message in errors:
                by_field.setdefault(field or "non_field_errors", []).append(message)
        return Response(_body(exc.message, exc.field, by_field), status=exc.status_code)
    if isinstance(exc, Http404):
        message = str(exc.args[0]) if exc.args and exc.args[0] else _("Not found.")
        return Response(_body(message), status=status.HTTP_404_NOT_FOUND)
    if isinstance(exc, PermissionDenied):
        return Response(
            _body(_("Your role does not allow this.")), status=status.HTTP_403_FORBIDDEN
        )
    if isinstance(exc, RequestDataTooBig):
        return Response(
            _body(_("The request is too large.")),
            status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
        )
    if _is_lock_error(exc):
        return Response(
            _body(_("Someone else is acting on this estimate right now. Try again.")),
            status=status.HTTP_409_CONFLICT,
        )
    if isinstance(exc, exceptions.ValidationError):
        field, message = first_error(exc.detail)
        response = Response(
            _body(message or _("Invalid input."), field, exc.detail),
            status=status.HTTP_400_BAD_REQUEST,
        )
        return response
    handled = exception_handler(exc, context)
    if handled is not None:
        detail = handled.data.get("detail") if isinstance(handled.data, dict) else None
        handled.data = _body(str(detail) if detail is not None else _("Request refused."))
        return handled
    if isinstance(exc, DatabaseError):
        logger.exception("database error in the API")
    return None
