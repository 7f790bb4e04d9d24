"""Saving a row narrowly: a save names the columns it changed, so it never writes back
columns that another piece of code owns (a share set by someone else, a reason recorded at
another step) from a stale copy of the row."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import models


def row_save(row: models.Model, *, fields: Iterable[str]) -> None:
    """Insert ``row`` if it is new (every column); otherwise update only ``fields``, the
    columns the caller changed (``auto_now`` columns are written only when listed)."""
    if row._state.adding:
        row.save(force_insert=True)
    else:
        row.save(update_fields=list(fields))
