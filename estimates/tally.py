"""The estimates' running totals per plan, unit and status (``EstimateTally``), kept by
PostgreSQL triggers; read by the estimate list instead of an aggregate over every visible
estimate.

Three statement-level triggers on ``estimates_estimate`` (insert, update, delete) append
one row per (plan, unit, status) touched by the statement, with the change of the count and
of the three totals (an update adds its new rows and subtracts its old ones; a change that
leaves them equal appends nothing). Appending never waits on another transaction's row,
so transitions of different estimates never queue on the tally, and a reader's sum over
committed rows is exact at its snapshot. ``tally_compact`` folds the rows into one per
(plan, unit, status) in a single statement (``DELETE ... RETURNING`` feeding the
``INSERT``): a reader sees the rows before or after it, never half; rows appended meanwhile
are not in its snapshot and stay.

SQLite (the embedded default) has none of this: the list aggregates the estimates there,
which at a demo's size costs nothing (``tally_available``).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import connection
from django.db.models import Q, Sum

from .models import EstimateTally

TABLE = "estimates_estimatetally"
COLUMNS = "plan_id, unit_id, status, count, total_amount, appraised_amount, approved_amount"


# The SQL below is put together from this module's constants only, never from input.


def _rows(source: str, sign: str) -> str:
    return (
        f"SELECT plan_id, unit_id, status, {sign}1 AS c, {sign}COALESCE(total_amount, 0) AS t, "  # noqa: S608
        f"{sign}COALESCE(appraised_amount, 0) AS a, {sign}COALESCE(approved_amount, 0) AS p "
        f"FROM {source}"
    )


def _append(select: str) -> str:
    return (
        f"INSERT INTO {TABLE} ({COLUMNS}) "  # noqa: S608
        "SELECT plan_id, unit_id, status, SUM(c), SUM(t), SUM(a), SUM(p) "
        f"FROM ({select}) AS d GROUP BY plan_id, unit_id, status "
        "HAVING SUM(c) <> 0 OR SUM(t) <> 0 OR SUM(a) <> 0 OR SUM(p) <> 0"
    )


def _function(name: str, body: str) -> str:
    return (
        f"CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$\n"
        f"BEGIN\n    {body};\n    RETURN NULL;\nEND\n$$;"
    )


#: The triggers (PostgreSQL), installed by migration ``estimates.0008``.
INSTALL = [
    _function("estimates_tally_inserted", _append(_rows("new_rows", ""))),
    _function(
        "estimates_tally_updated",
        _append(f"{_rows('new_rows', '')} UNION ALL {_rows('old_rows', '-')}"),
    ),
    _function("estimates_tally_deleted", _append(_rows("old_rows", "-"))),
    "CREATE TRIGGER estimates_tally_insert AFTER INSERT ON estimates_estimate "
    "REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT "
    "EXECUTE FUNCTION estimates_tally_inserted();",
    "CREATE TRIGGER estimates_tally_update AFTER UPDATE ON estimates_estimate "
    "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT "
    "EXECUTE FUNCTION estimates_tally_updated();",
    "CREATE TRIGGER estimates_tally_delete AFTER DELETE ON estimates_estimate "
    "REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT "
    "EXECUTE FUNCTION estimates_tally_deleted();",
    # The estimates already there (a database migrated before the tally existed).
    _append(_rows("estimates_estimate", "")),
]

UNINSTALL = [
    "DROP TRIGGER IF EXISTS estimates_tally_insert ON estimates_estimate;",
    "DROP TRIGGER IF EXISTS estimates_tally_update ON estimates_estimate;",
    "DROP TRIGGER IF EXISTS estimates_tally_delete ON estimates_estimate;",
    "DROP FUNCTION IF EXISTS estimates_tally_inserted();",
    "DROP FUNCTION IF EXISTS estimates_tally_updated();",
    "DROP FUNCTION IF EXISTS estimates_tally_deleted();",
    f"DELETE FROM {TABLE};",  # noqa: S608
]

COMPACT = (
    f"WITH gone AS (DELETE FROM {TABLE} RETURNING {COLUMNS}) "  # noqa: S608
    f"INSERT INTO {TABLE} ({COLUMNS}) "
    "SELECT plan_id, unit_id, status, SUM(count), SUM(total_amount), SUM(appraised_amount), "
    "SUM(approved_amount) FROM gone GROUP BY plan_id, unit_id, status "
    "HAVING SUM(count) <> 0 OR SUM(total_amount) <> 0 OR SUM(appraised_amount) <> 0 "
    "OR SUM(approved_amount) <> 0"
)


def tally_available() -> bool:
    """Whether the database keeps the tally (PostgreSQL)."""
    return connection.vendor == "postgresql"


def tally_compact() -> int:
    """Fold the tally into one row per (plan, unit, status); returns the rows left."""
    if not tally_available():
        return 0
    with connection.cursor() as cursor:
        cursor.execute(COMPACT)
        return cursor.rowcount


def tally_totals(
    unit_ids: Any,
    *,
    plan_id: int | None = None,
    status: str | Iterable[str] | None = None,
    unit_id: int | None = None,
) -> dict[str, int]:
    """The number of estimates of ``unit_ids`` (under the optional filters: ``status`` one
    status or several) and their requested, appraised and approved totals: what
    ``Estimate``'s aggregate gives, read from the tally (one query)."""
    rows = EstimateTally.objects.filter(unit_id__any=unit_ids)
    if plan_id is not None:
        rows = rows.filter(plan_id=plan_id)
    if isinstance(status, str):
        rows = rows.filter(status=status)
    elif status:
        rows = rows.filter(status__in=list(status))
    if unit_id is not None:
        rows = rows.filter(unit_id=unit_id)
    sums = rows.aggregate(
        count=Sum("count"),
        requested=Sum("total_amount"),
        appraised=Sum("appraised_amount"),
        approved=Sum("approved_amount"),
    )
    return {key: value or 0 for key, value in sums.items()}


def tally_count(condition: Q, *, plan_id: int | None = None, unit_id: int | None = None) -> int:
    """The number of estimates meeting ``condition`` (on their status and unit: an inbox's,
    ``approvals.access.inbox_condition``), read from the tally (one query)."""
    rows = EstimateTally.objects.filter(condition)
    if plan_id is not None:
        rows = rows.filter(plan_id=plan_id)
    if unit_id is not None:
        rows = rows.filter(unit_id=unit_id)
    return int(rows.aggregate(n=Sum("count"))["n"] or 0)
