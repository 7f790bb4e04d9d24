"""What every list page shares: one page of rows, or all of them in the printable
version (``?print=1``: the same template, laid out for A4 by ``static/css/print.css``)."""

from __future__ import annotations

from typing import Any

from django.core.paginator import Page, Paginator
from django.http import HttpRequest

from core.pagination import BoundedPaginator, Window, page_from_window

#: The rows of a printed list: all of them, like the Excel export.
PRINT_ROWS = 1_000_000


def print_mode(request: HttpRequest) -> bool:
    return bool(request.GET.get("print"))


def list_page(
    request: HttpRequest,
    rows: Any,
    size: int,
    *,
    count: int | None = None,
    bounded: bool = False,
    window: Window | None = None,
) -> Page[Any]:
    """Page ``?page=`` of ``rows``, ``size`` per page; every row when printing. ``count``:
    the number of rows when the page has already counted them (with its totals);
    ``bounded``: count at most ``BoundedPaginator.LIMIT`` rows (not when printing);
    ``window``: the page's rows read from ``window(end of the page)`` (not when printing:
    every row is printed)."""
    printing = print_mode(request)
    per_page = PRINT_ROWS if printing else size
    paginator = (BoundedPaginator if bounded and not printing else Paginator)(rows, per_page)
    if count is not None:
        paginator.count = count  # a cached property: the paginator does not count again
    page = paginator.get_page(request.GET.get("page"))
    return page if printing else page_from_window(page, window)
