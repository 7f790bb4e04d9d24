"""The API's JSON parser: DRF's, refusing a body nested deeper than any request needs.

A body of thousands of nested arrays or objects (``[[[[…]]]]``) makes the JSON decoder
recurse until Python gives up (``RecursionError``: a 500), and one just shallow enough to be
decoded would make every later walk over it (validation, the error's ``errors`` echo,
rendering) recurse as deep. The deepest body the API accepts is an estimate's lines with
their fields (three levels); :data:`MAX_DEPTH` leaves ample room and refuses the rest with
a 400, checked without recursion.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

#: The deepest nesting of arrays and objects a body may have (the top level counts as 1).
MAX_DEPTH = 64


def json_depth_exceeds(data: Any, limit: int) -> bool:
    """Whether ``data`` (decoded JSON) nests arrays and objects more than ``limit`` deep;
    iterative, so any depth is measured without recursion."""
    stack: list[tuple[Any, int]] = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict):
            children: Any = value.values()
        elif isinstance(value, list):
            children = value
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children)
    return False


class DepthLimitedJSONParser(JSONParser):
    """DRF's ``JSONParser``; a body nested more than :data:`MAX_DEPTH` levels deep is a
    ``ParseError`` (400), whether the decoder itself gave up or not."""

    max_depth = MAX_DEPTH

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise self._too_deep() from None
        if json_depth_exceeds(data, self.max_depth):
            raise self._too_deep()
        return data

    def _too_deep(self) -> ParseError:
        return ParseError(
            _("The JSON body is nested too deeply (at most %(n)s levels).") % {"n": self.max_depth}
        )
