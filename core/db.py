"""Saving a row narrowly: a save names the columns it changed, so it never writes back
columns that another piece of code owns (a share set by someone else, a reason recorded at
another step) from a stale copy of the row."""

from __future__ import annotations

import copy
import weakref
from collections.abc import Callable, Hashable, Iterable, Sequence
from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db import DEFAULT_DB_ALIAS, connections, models
from django.db.transaction import TransactionManagementError


def row_save(row: models.Model, *, fields: Iterable[str]) -> None:
    """Insert ``row`` if it is new (every column); otherwise update only ``fields``, the
    columns the caller changed (``auto_now`` columns are written only when listed)."""
    if row._state.adding:
        row.save(force_insert=True)
    else:
        row.save(update_fields=list(fields))


def rows_update(rows: Iterable[models.Model], fields: Iterable[str]) -> None:
    """Write ``fields`` of saved ``rows`` (all of one model) in one statement. A single row
    is an ``UPDATE … WHERE id = …``; several go through ``bulk_update`` (a ``CASE`` per
    column), whose construction costs about a millisecond of Python even for one row. Like
    ``bulk_update``, no signals are sent and ``auto_now`` columns are written only when
    listed."""
    rows = list(rows)
    fields = list(fields)
    if not rows or not fields:
        return
    model = type(rows[0])
    if len(rows) == 1:
        row = rows[0]
        model._default_manager.filter(pk=row.pk).update(
            **{name: getattr(row, _attname(model, name)) for name in fields}
        )
    else:
        model._default_manager.bulk_update(rows, fields)


def _attname(model: type[models.Model], name: str) -> str:
    """The attribute holding column ``name``'s value (``unit_id`` for ``unit``)."""
    field = model._meta.get_field(name)
    return str(getattr(field, "attname", name))


#: The values a shape is compiled with, standing in for the caller's: the largest integers
#: every integer column takes (Django finds nothing for a value out of a column's range),
#: far above any key or constant the product's statements hold.
_MARKER = 2**31 - 1


class CompiledQueries:
    """Querysets of a fixed shape, compiled to SQL once per connection and shape, then run
    again with other values: for the statements every transition runs (the estimate's
    lock, with its related rows and the segregation-of-duties annotations), where Django
    building and compiling the queryset cost several times what PostgreSQL takes to run it.

    ``fetch(key, build, values)``: ``build(*values)`` returns the queryset; ``key`` names
    everything about its shape that ``values`` do not (the same key must always give the
    same SQL). The first call compiles ``build(*markers)`` and finds where each marker
    landed among the statement's parameters; later calls put the values there and run the
    same SQL, and Django builds the model instances, related rows and annotations from the
    row as it always does. When a value does not land as a parameter of its own (a list, a
    converted value) the shape is never cached: ``build(*values)`` runs as usual. Values
    must be integers (keys); whatever else the statement holds is fixed for the life of
    the process (names, statuses: never a key read from the database, such as a content
    type's id, which must be one of the values)."""

    def __init__(self) -> None:
        self._by_connection: weakref.WeakKeyDictionary[Any, dict[Hashable, Any]] = (
            weakref.WeakKeyDictionary()
        )

    def fetch(
        self,
        key: Hashable,
        build: Callable[..., models.QuerySet],
        values: Sequence[int],
        *,
        using: str = DEFAULT_DB_ALIAS,
    ) -> list[Any]:
        values = [int(v) for v in values]
        connection = connections[using]
        shapes = self._by_connection.setdefault(connection, {})
        entry = shapes.get(key)
        if entry is None:
            entry = shapes[key] = self._compile(build, len(values), using)
        if entry is False:
            return list(build(*values))
        model, select_for_update, compiler, sql, params, slots = entry
        if select_for_update and not connection.in_atomic_block:
            raise TransactionManagementError(
                "select_for_update cannot be used outside of a transaction."
            )
        params = list(params)
        for position, index, kind in slots:
            params[position] = kind(values[index])
        bound = copy.copy(compiler)
        bound.as_sql = lambda *args, **kwargs: (sql, tuple(params))
        # ``_Compiled`` stands in for the query: all ``ModelIterable`` asks of it.
        compiled = _Compiled(bound)
        return list(models.QuerySet(model=model, query=compiled, using=using))  # type: ignore[arg-type]

    @staticmethod
    def _compile(build: Callable[..., models.QuerySet], count: int, using: str) -> Any:
        markers = [_MARKER - i for i in range(count)]
        try:
            queryset = build(*markers).using(using)
            compiler = queryset.query.get_compiler(using=using)
            sql, params = compiler.as_sql()
        except (ArithmeticError, EmptyResultSet, TypeError, ValueError):
            # a marker the shape cannot take
            return False
        # A parameter may come wrapped in the driver's integer type (psycopg's ``Int4``
        # for a 32-bit column): the value put there later is wrapped the same way.
        slots = [
            (position, markers.index(int(p)), type(p))
            for position, p in enumerate(params)
            if isinstance(p, int) and not isinstance(p, bool) and int(p) in markers
        ]
        if {index for _, index, _ in slots} != set(range(count)) or any(
            isinstance(p, (list, tuple)) for p in params
        ):
            return False
        query = queryset.query
        return queryset.model, query.select_for_update, compiler, sql, list(params), slots


class _Compiled:
    """What ``ModelIterable`` asks of a query: its compiler (already compiled)."""

    def __init__(self, compiler: Any) -> None:
        self.compiler = compiler

    def get_compiler(self, *args: Any, **kwargs: Any) -> Any:
        return self.compiler
