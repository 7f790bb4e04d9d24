"""Search that ignores accents and case: typing ``si lo lau`` finds "Sì Lở Lầu".

The stored text and the typed words are folded the same way: lower case, accents and
tones removed, "đ" as "d". On PostgreSQL the database folds the stored text with its
``unaccent`` extension (created by a migration); on SQLite (the embedded default) with
:func:`fold` registered as the same-named SQL function (``core.apps``).
"""

from __future__ import annotations

import unicodedata
from typing import Any

from django.db.models import Func, TextField
from django.db.models.functions import Lower

#: At most this many words of at most this many characters are looked for.
MAX_WORDS = 8
MAX_WORD = 40


def fold(text: Any) -> str:
    """Lower case, without accents or tones, "đ" as "d"."""
    if text is None:
        return ""
    decomposed = unicodedata.normalize("NFD", str(text))
    bare = "".join(c for c in decomposed if unicodedata.category(c) != "Mn")
    return bare.replace("đ", "d").replace("Đ", "D").lower()


def words(text: str) -> list[str]:
    """The folded words of what was typed, longest first, within the limits."""
    found = [w[:MAX_WORD] for w in fold(text).split() if w]
    return sorted(dict.fromkeys(found), key=len, reverse=True)[:MAX_WORDS]


class Unaccent(Func):
    function = "UNACCENT"
    output_field = TextField()


def folded(expression: Any) -> Lower:
    """The database's folding of ``expression``, to compare with :func:`words`."""
    return Lower(Unaccent(expression))


def sqlite_functions(sender: Any, connection: Any, **kwargs: Any) -> None:
    """Give SQLite the ``unaccent`` function that PostgreSQL's extension provides."""
    if connection.vendor == "sqlite":
        connection.connection.create_function("unaccent", 1, fold, deterministic=True)
