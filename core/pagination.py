"""Counting no further than needed: a list of 100,000 estimates says "1000+" rows and
offers its first pages, the filters narrow the rest (the pages, the overdue work, viewflow's
task lists)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.paginator import Page, Paginator
from django.db import DEFAULT_DB_ALIAS, connections
from django.utils.functional import cached_property


class AtLeast(int):
    """A count that stopped at its limit: a number for the pager's arithmetic, shown with a
    "+" ("1000+")."""

    def __str__(self) -> str:
        return f"{int(self)}+"


def count_up_to(rows: Any, limit: int) -> int:
    """The number of ``rows`` (a queryset), counted up to ``limit``: above it,
    ``AtLeast(limit)`` ("99+", "1000+"); the database stops reading there."""
    found = int(rows.order_by()[: limit + 1].count())
    return AtLeast(limit) if found > limit else found


class BoundedPaginator(Paginator):
    """A pager counting at most ``LIMIT`` rows (the database stops there): viewflow's task
    lists counted every row of 100,000 estimates for their "page 1 of N" (the inbox is
    counted from the tally where one is kept). Above the limit it says "1000+" rows and
    "40+" pages and offers the first 40 pages; the filters narrow the rest."""

    LIMIT = 1000
    #: How the rows are counted up to the limit (a view may count its own way).
    counter: Callable[[Any, int], int] = staticmethod(count_up_to)
    #: Where a page's rows are read from (``page_from_window``; a view may set it).
    window: Window | None = None

    @cached_property
    def count(self) -> int:
        return self.counter(self.object_list, self.LIMIT)

    def page(self, number: Any) -> Page[Any]:
        return page_from_window(super().page(number), self.window)

    @cached_property
    def num_pages(self) -> int:
        pages = super().num_pages
        return AtLeast(pages) if isinstance(self.count, AtLeast) else pages


#: Given how many rows of a list a page needs (its end), the list kept to them: rows found
#: without walking past the others (``approvals.access.inbox_first``).
Window = Callable[[int], Any]


def limits_union_parts(queryset: Any) -> bool:
    """Whether ``queryset``'s database can limit and order each part of a ``UNION``
    (PostgreSQL; not SQLite), which ``keyed_on_union`` needs."""
    return bool(connections[queryset.db].features.supports_slicing_ordering_in_compound)


def keyed_on_union(queryset: Any, parts: list[Any]) -> Any:
    """``queryset`` kept to the keys of ``parts`` (querysets of ``pk`` values, each limited
    and ordered its own way), merged in one ``UNION ALL``: the first rows of each part
    found from its own index, where one ordered read of them all walked past the others'
    rows (``approvals.access.inbox_first``, ``web.viewsets.queue_window``)."""
    return queryset.filter(pk__in=parts[0].union(*parts[1:], all=True))


def page_from_window(page: Page[Any], window: Window | None) -> Page[Any]:
    """``page`` with its rows read from ``window`` (the same slice of a list that keeps
    only the rows up to the page's end): the pager counted and numbered the page as
    before; only the statement reading its rows changes."""
    if window is None:
        return page
    paginator = page.paginator
    bottom = (page.number - 1) * paginator.per_page
    top = bottom + paginator.per_page
    if top + paginator.orphans >= paginator.count:
        top = paginator.count
    page.object_list = window(top)[bottom:top]
    return page


def counts_up_to(
    selections: dict[Any, Any], limit: int, *, ordered: bool = False
) -> dict[Any, int]:
    """``count_up_to`` of several querysets in one statement (a scalar subquery each): the
    tabs of a page, each counted no further than ``limit``. ``ordered``: each read in its
    queryset's order (an order an index gives walks that index to the limit and stops,
    where an unordered read may scan the table for rows it expects to be everywhere)."""
    if not selections:
        return {}
    parts: list[str] = []
    params: list[Any] = []
    using = DEFAULT_DB_ALIAS
    for rows in selections.values():
        rows = rows if ordered else rows.order_by()
        sql, more = rows.values("pk")[: limit + 1].query.sql_with_params()
        parts.append(f"(SELECT COUNT(*) FROM ({sql}) AS counted)")  # noqa: S608 - Django's SQL
        params.extend(more)
        using = rows.db
    with connections[using].cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(parts), params)
        found = cursor.fetchone()
    return {
        key: AtLeast(limit) if n > limit else int(n)
        for key, n in zip(selections, found, strict=True)
    }


def count_up_to_split(parts: dict[Any, Any], limit: int) -> int:
    """``count_up_to`` of rows made of ``parts`` (querysets no two of which share a row),
    each read in its own order and counted up to ``limit``, summed, in one statement: an
    index that gives a part its rows in order lets it stop at the limit, where PostgreSQL
    cannot walk one ordered scan for all of them (viewflow's queue: the open tasks of
    several nodes)."""
    if not parts:
        return 0
    counted = counts_up_to(parts, limit, ordered=True).values()
    found = sum(int(n) for n in counted)
    if found > limit or any(isinstance(n, AtLeast) for n in counted):
        return AtLeast(limit)
    return found
