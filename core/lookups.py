"""``field__any=ids``: membership in a list of ids sent as one parameter.

The access gate hands a district or province role the ids of every unit it may see (1,015
communes at province scale), and every list query filters on them. As ``unit_id__in``
Django writes one placeholder per id and prepares each value, psycopg splits and binds
them one by one: 6–8 ms of Python per query at 1,015 ids, several queries a page. As
``unit_id__any`` PostgreSQL gets ``unit_id = ANY(%s::bigint[])`` with the ids as one
array, written as its text (under 1 ms), the same plan; other databases (SQLite, the
embedded default) get the ``IN`` list.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db.models import Field, ForeignObject
from django.db.models.fields.related_lookups import RelatedIn
from django.db.models.lookups import In


@lru_cache(maxsize=256)
def _array_text(ids: frozenset[Any]) -> str | None:
    """The ids as PostgreSQL's text of a bigint array, sorted; None unless they are all
    ints. Kept per set: the access gate hands the same frozen set of a role's units to
    every query of a page (a thousand ids sorted and written several times a request)."""
    values = sorted(v for v in ids if v is not None)
    if not all(type(v) is int for v in values):
        return None
    return "{" + ",".join(map(str, values)) + "}"


def _any(lookup: In, compiler: Any, connection: Any) -> Any:
    if not lookup.rhs_is_direct_value():
        return lookup.as_sql(compiler, connection)  # a subquery: as ``__in``
    lhs, lhs_params = lookup.process_lhs(compiler, connection)
    ids = lookup.rhs if isinstance(lookup.rhs, frozenset) else frozenset(lookup.rhs)
    if not ids - {None}:
        raise EmptyResultSet  # as ``__in`` of nothing: no row, and no query when alone
    text = _array_text(ids)
    if text is not None:
        # Written as the array's text: psycopg adapts a list of a thousand ints element by
        # element (a third of a millisecond a query at 1,015 ids), a string at once.
        return f"{lhs} = ANY(%s::bigint[])", [*lhs_params, text]
    return f"{lhs} = ANY(%s)", [*lhs_params, sorted(v for v in ids if v is not None)]


class _PreparedIds:
    """Ids given as plain ints are what preparing them would give: skip preparing each of
    a thousand (Django prepares every element of an ``IN`` list when the query is built,
    whatever the database: 3 ms a page for a district role's grants)."""

    rhs: Any

    def get_prep_lookup(self) -> Any:
        values = self.rhs
        if isinstance(values, frozenset) and _array_text(values) is not None:
            return values  # all ints (known once per set): kept as the set itself
        if isinstance(values, set | frozenset | list | tuple) and all(
            type(v) is int for v in values
        ):
            return list(values)
        return super().get_prep_lookup()  # type: ignore[misc]


@Field.register_lookup
class AnyOf(_PreparedIds, In):
    lookup_name = "any"

    def as_postgresql(self, compiler: Any, connection: Any) -> Any:
        return _any(self, compiler, connection)


@ForeignObject.register_lookup
class RelatedAnyOf(_PreparedIds, RelatedIn):
    """The same on a foreign key (``unit_id__any``, ``estimate__unit_id__any``)."""

    lookup_name = "any"

    def as_postgresql(self, compiler: Any, connection: Any) -> Any:
        return _any(self, compiler, connection)
