"""Aggregates the ORM lacks on every database the product runs on."""

from __future__ import annotations

from typing import Any

from django.db.models import Aggregate, TextField


class CommaList(Aggregate):
    """The group's values joined by commas, in no particular order (PostgreSQL's
    ``STRING_AGG``, SQLite's ``GROUP_CONCAT``): many ids in one column of one row."""

    function = "STRING_AGG"
    template = "%(function)s(%(expressions)s, ',')"
    output_field = TextField()

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(compiler, connection, function="GROUP_CONCAT", **extra)
