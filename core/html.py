"""Writing many rows of HTML fast: a table's labels escaped once, a link reversed once
and filled in per row. Used by the lists' row tags (``web/templatetags/estimates.py``,
``notifications/templatetags/overdue.py``) and viewflow's board and lists
(``web.viewsets``)."""

from __future__ import annotations

from collections.abc import Callable
from html import escape

#: Placeholder ids a link is reversed with, then replaced by a row's own ids.
MARKS = ("2147483001", "2147483002")


def escaped_labels(**words: str) -> dict[str, str]:
    """A table's column labels, translated by the caller (``gettext`` with the literal,
    for the catalogue) and escaped once for every row (``html.escape``, as Django's
    ``escape`` does, without its check of each argument for a lazy string)."""
    return {key: escape(word) for key, word in words.items()}


class LinkPattern:
    """A link reversed once with placeholder ids (``reverse(args)``, ``arity`` of them)
    and filled in per row: a reverse cost more than the rest of a row."""

    def __init__(self, reverse: Callable[[list[str]], str], arity: int) -> None:
        self.arity = arity
        self.pattern = reverse(list(MARKS[:arity]))

    def fill(self, *ids: int) -> str:
        if len(ids) != self.arity:
            raise ValueError(f"{self.arity} ids expected, {len(ids)} given")
        url = self.pattern
        for mark, value in zip(MARKS, ids, strict=False):
            url = url.replace(mark, str(int(value)))
        return url
