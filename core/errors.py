"""Errors that services raise and every entry point (views, API, commands) turns into a clear
message for the user. Messages are already translated (gettext) where they are raised."""

from __future__ import annotations


class DomainError(Exception):
    """A request the product refuses; ``message`` is shown to the user as it is."""

    status_code = 400

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class RuleViolation(DomainError):
    """Bad input or a broken business rule (overspending, a raised line, an empty reason)."""

    status_code = 400


class Forbidden(DomainError):
    """The actor may not do this (role, unit or segregation of duties). ``estimate_id``
    names the estimate refused, for the security log (``core.security``)."""

    status_code = 403

    def __init__(
        self, message: str, *, field: str | None = None, estimate_id: int | None = None
    ) -> None:
        super().__init__(message, field=field)
        self.estimate_id = estimate_id


class Conflict(DomainError):
    """The estimate moved on while the actor was looking at it: someone else acted first."""

    status_code = 409
