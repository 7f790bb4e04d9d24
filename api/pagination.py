from __future__ import annotations

from functools import cached_property, partial
from typing import Any

from django.core.paginator import Paginator
from rest_framework.pagination import PageNumberPagination


class KnownCountPaginator(Paginator):
    """A pager told how many rows there are (from the estimates' tally) instead of
    counting them."""

    def __init__(self, object_list: Any, per_page: int, *, count: int, **kwargs: Any) -> None:
        super().__init__(object_list, per_page, **kwargs)
        self._known_count = count

    @cached_property
    def count(self) -> int:
        return self._known_count


class StablePageNumberPagination(PageNumberPagination):
    """``?page=N&page_size=M`` (at most 200). The views order every list with the primary
    key as the last key, so pages neither repeat nor skip rows. A view with a
    ``list_count()`` that answers tells the pager its count (no count of the rows)."""

    page_size_query_param = "page_size"
    max_page_size = 200
    django_paginator_class: Any = Paginator

    def paginate_queryset(self, queryset: Any, request: Any, view: Any = None) -> Any:
        counted = getattr(view, "list_count", None)
        known = counted() if counted is not None else None
        self.django_paginator_class = (
            Paginator if known is None else partial(KnownCountPaginator, count=known)
        )
        return super().paginate_queryset(queryset, request, view)
