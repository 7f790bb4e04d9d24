from __future__ import annotations

from rest_framework.pagination import PageNumberPagination


class StablePageNumberPagination(PageNumberPagination):
    """``?page=N&page_size=M`` (at most 200). The views order every list with the primary
    key as the last key, so pages neither repeat nor skip rows."""

    page_size_query_param = "page_size"
    max_page_size = 200
