"""The error shape: every refusal is {"detail", "field"}; lock failures are 409."""

from __future__ import annotations

from typing import Any

import psycopg.errors
import pytest
from django.db import OperationalError
from django.http import Http404
from rest_framework.exceptions import ValidationError
from viewflow.workflow.exceptions import FlowLockFailed

from api.errors import api_exception_handler, first_error
from core.errors import Conflict, Forbidden, RuleViolation


def _lock_error(sqlstate_error: type[Exception]) -> OperationalError:
    error = OperationalError("could not obtain lock")
    error.__cause__ = sqlstate_error("could not obtain lock")
    return error


@pytest.mark.parametrize(
    ("exc", "status", "field"),
    [
        (RuleViolation("Bad", field="title"), 400, "title"),
        (Forbidden("No"), 403, None),
        (Conflict("Moved on"), 409, None),
        (Http404("No such estimate."), 404, None),
        (FlowLockFailed("locked"), 409, None),
        (_lock_error(psycopg.errors.LockNotAvailable), 409, None),
        (_lock_error(psycopg.errors.SerializationFailure), 409, None),
        (_lock_error(psycopg.errors.DeadlockDetected), 409, None),
        (ValidationError({"lines": [{}, {"unit_price": ["Whole."]}]}), 400, "lines[1].unit_price"),
    ],
)
def test_exceptions_map_to_status_and_field(exc: Exception, status: int, field: Any) -> None:
    response = api_exception_handler(exc, {})
    assert response is not None
    assert response.status_code == status
    assert response.data["field"] == field
    assert response.data["detail"]


def test_other_database_errors_are_not_disguised() -> None:
    assert api_exception_handler(OperationalError("disk full"), {}) is None


@pytest.mark.parametrize(
    ("detail", "expected"),
    [
        ({"title": ["Required."]}, ("title", "Required.")),
        ({"lines": {3: {"quantity": ["Whole."]}}}, ("lines[3].quantity", "Whole.")),
        ({"cuts": [{"line_id": ["Bad."]}]}, ("cuts[0].line_id", "Bad.")),
        ({"non_field_errors": ["Both."]}, (None, "Both.")),
        (["Just this."], (None, "Just this.")),
    ],
)
def test_first_error_names_the_nested_field(detail: Any, expected: tuple[Any, str]) -> None:
    assert first_error(detail) == expected
