from __future__ import annotations

from functools import cached_property, partial
from typing import Any

from django.core.paginator import Page, Paginator
from rest_framework.pagination import PageNumberPagination

from core.pagination import Window, page_from_window


class KnownCountPaginator(Paginator):
    """A pager told how many rows there are (from the estimates' tally) instead of
    counting them."""

    def __init__(
        self,
        object_list: Any,
        per_page: int,
        *,
        count: int,
        window: Window | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(object_list, per_page, **kwargs)
        self._known_count = count
        self._window = window

    @cached_property
    def count(self) -> int:
        return self._known_count

    def page(self, number: Any) -> Page[Any]:
        """The page, its rows read from the view's ``list_window`` when it gives one."""
        return page_from_window(super().page(number), self._window)


class StablePageNumberPagination(PageNumberPagination):
    """``?page=N&page_size=M`` (at most 200). The views order every list with the primary
    key as the last key, so pages neither repeat nor skip rows. A view with a
    ``list_count()`` that answers tells the pager its count (no count of the rows); one
    with a ``list_window(queryset)`` that answers too has the page's rows read from the
    window it gives (``core.pagination.page_from_window``)."""

    page_size_query_param = "page_size"
    max_page_size = 200
    django_paginator_class: Any = Paginator

    def paginate_queryset(self, queryset: Any, request: Any, view: Any = None) -> Any:
        counted = getattr(view, "list_count", None)
        known = counted() if counted is not None else None
        windowed = getattr(view, "list_window", None)
        window = windowed(queryset) if windowed is not None and known is not None else None
        self.django_paginator_class = (
            Paginator if known is None else partial(KnownCountPaginator, count=known, window=window)
        )
        return super().paginate_queryset(queryset, request, view)
