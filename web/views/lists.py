"""What every list page shares: one page of rows, or all of them in the printable
version (``?print=1``: the same template, laid out for A4 by ``static/css/print.css``)."""

from __future__ import annotations

from typing import Any

from django.core.paginator import Page, Paginator
from django.http import HttpRequest
from django.utils.functional import cached_property

#: The rows of a printed list: all of them, like the Excel export.
PRINT_ROWS = 1_000_000


def print_mode(request: HttpRequest) -> bool:
    return bool(request.GET.get("print"))


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
    """A pager counting at most ``LIMIT`` rows (the database stops there): a district
    role's inbox or viewflow's task list counted every row of 100,000 estimates for its
    "page 1 of N". Above the limit it says "1000+" rows and "40+" pages and offers the
    first 40 pages; the filters narrow the rest."""

    LIMIT = 1000

    @cached_property
    def count(self) -> int:
        return count_up_to(self.object_list, self.LIMIT)

    @cached_property
    def num_pages(self) -> int:
        pages = super().num_pages
        return AtLeast(pages) if isinstance(self.count, AtLeast) else pages


def list_page(
    request: HttpRequest,
    rows: Any,
    size: int,
    *,
    count: int | None = None,
    bounded: bool = False,
) -> Page[Any]:
    """Page ``?page=`` of ``rows``, ``size`` per page; every row when printing. ``count``:
    the number of rows when the page has already counted them (with its totals);
    ``bounded``: count at most ``BoundedPaginator.LIMIT`` rows (not when printing)."""
    printing = print_mode(request)
    per_page = PRINT_ROWS if printing else size
    paginator = (BoundedPaginator if bounded and not printing else Paginator)(rows, per_page)
    if count is not None:
        paginator.count = count  # a cached property: the paginator does not count again
    return paginator.get_page(request.GET.get("page"))
