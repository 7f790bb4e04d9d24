"""One transaction per change of state, with no savepoints inside it.

A transition (``approvals.services``) is one unit of work: everything it writes commits
or rolls back together. The steps it calls (the ledger's, the outbox's) are atomic on their
own when called alone, but inside a transition they join its transaction instead of
opening a savepoint each (two statements saved per step; a failure anywhere rolls the
whole transition back, which is what a savepoint would have been used for).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ContextDecorator, contextmanager
from contextvars import ContextVar
from typing import Any

from django.conf import settings
from django.db import connection, transaction

_unit_of_work: ContextVar[bool] = ContextVar("unit_of_work", default=False)


@contextmanager
def unit_of_work() -> Iterator[None]:
    """The transaction of one change of state; nested ``step()`` blocks join it. On
    PostgreSQL its statements are prepared once run ``DATABASE_PREPARE_THRESHOLD`` times on
    the connection (single-row reads and writes by key, whose one plan fits every call)."""
    with transaction.atomic(), prepared():
        token = _unit_of_work.set(True)
        try:
            yield
        finally:
            _unit_of_work.reset(token)


@contextmanager
def prepared() -> Iterator[None]:
    """Within the block, PostgreSQL prepares a statement run ``DATABASE_PREPARE_THRESHOLD``
    times on the connection and reuses its plan: for statements whose one plan fits every
    call (reads and writes by key), not for lists whose best plan depends on the user's
    units or the words searched."""
    threshold = settings.DATABASE_PREPARE_THRESHOLD
    if threshold and connection.vendor == "postgresql":
        connection.ensure_connection()
    raw = connection.connection if connection.vendor == "postgresql" else None
    if not threshold or raw is None:
        yield
        return
    before = raw.prepare_threshold
    raw.prepare_threshold = threshold
    try:
        yield
    finally:
        raw.prepare_threshold = before


class step(ContextDecorator):
    """``transaction.atomic`` for a step of a change of state: its own transaction (or
    savepoint) when called alone, the caller's transaction inside ``unit_of_work``. Decide
    at each call, not when the function is decorated."""

    def __init__(self) -> None:
        self._atomic: Any = None

    def _recreate_cm(self) -> step:
        return type(self)()

    def __enter__(self) -> Any:
        self._atomic = transaction.atomic(savepoint=not _unit_of_work.get())
        return self._atomic.__enter__()

    def __exit__(self, *exc: Any) -> Any:
        return self._atomic.__exit__(*exc)
