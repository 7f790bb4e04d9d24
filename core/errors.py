"""Errors that services raise and every entry point (views, API, commands) turns into a clear
message for the user. Messages are already translated (gettext) where they are raised."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager


class DomainError(Exception):
    """A request the product refuses; ``message`` is shown to the user as it is."""

    status_code = 400

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class RuleViolation(DomainError):
    """Bad input or a broken business rule (overspending, a raised line, an empty reason).

    ``errors`` lists every ``(field, message)`` found at once (a form's several lines);
    ``message`` and ``field`` are the first of them."""

    status_code = 400

    def __init__(
        self,
        message: str,
        *,
        field: str | None = None,
        errors: list[tuple[str | None, str]] | None = None,
    ) -> None:
        super().__init__(message, field=field)
        self.errors: list[tuple[str | None, str]] = errors or [(field, message)]


class Problems:
    """Collects the refusals of several independent inputs (each line of an estimate, of an
    appraisal, of a settlement) so that the user sees them all at once::

        problems = Problems()
        for line in lines:
            with problems.collect():
                check(line)            # raises RuleViolation
        problems.raise_any()           # one RuleViolation listing them all
    """

    def __init__(self) -> None:
        self.errors: list[tuple[str | None, str]] = []

    def add(self, message: str, field: str | None = None) -> None:
        self.errors.append((field, message))

    @contextmanager
    def collect(self) -> Iterator[None]:
        try:
            yield
        except RuleViolation as exc:
            self.errors.extend(exc.errors)

    def __bool__(self) -> bool:
        return bool(self.errors)

    def raise_any(self) -> None:
        if self.errors:
            field, message = self.errors[0]
            raise RuleViolation(message, field=field, errors=list(self.errors))


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
