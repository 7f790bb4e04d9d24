"""Ledger entries are append-only at the database: UPDATE and DELETE are refused by a
trigger (ledger migration 0002), whoever asks; inserting, which is all the ledger does,
still works."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import DatabaseError, connection, transaction

from estimates.models import Plan
from ledger.models import Entry, EntryKind
from ledger.selectors import ledger_reconcile
from tests.factories import estimate_in_status, lines_of

from .conftest import pay


@pytest.fixture
def entries(plan: Plan, actor: Any) -> list[Entry]:
    estimate = estimate_in_status("approved", lines=lines_of(("current", 10_000_000)))
    pay(estimate, actor, 4_000_000)
    found = list(Entry.objects.filter(estimate=estimate).order_by("pk"))
    assert {e.kind for e in found} >= {
        EntryKind.RESERVATION,
        EntryKind.COMMITMENT,
        EntryKind.DISBURSEMENT,
    }
    return found


def snapshot() -> list[tuple[Any, ...]]:
    return list(Entry.objects.order_by("pk").values_list("pk", "kind", "amount", "note"))


def test_normal_operations_insert_entries_that_add_up(entries: list[Entry], plan: Plan) -> None:
    assert ledger_reconcile(plan) == []


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(lambda e: Entry.objects.filter(pk=e.pk).update(amount=1), id="orm-update"),
        pytest.param(lambda e: Entry.objects.update(note="x"), id="orm-update-all"),
        pytest.param(lambda e: e.save(update_fields=["note"]), id="orm-save"),
        pytest.param(lambda e: Entry.objects.filter(pk=e.pk).delete(), id="orm-delete"),
        pytest.param(lambda e: e.delete(), id="orm-instance-delete"),
    ],
)
def test_orm_cannot_change_or_delete_an_entry(
    entries: list[Entry], plan: Plan, change: Any
) -> None:
    before = snapshot()
    target = entries[-1]
    target.note = "sửa lén"
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        change(target)
    assert snapshot() == before
    assert ledger_reconcile(plan) == []


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE ledger_entry SET amount = amount + 1 WHERE id = %s",
        "UPDATE ledger_entry SET note = 'x' WHERE id = %s",
        "DELETE FROM ledger_entry WHERE id = %s",
    ],
)
def test_raw_sql_cannot_change_or_delete_an_entry(entries: list[Entry], sql: str) -> None:
    before = snapshot()
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(sql, [entries[0].pk])
    assert snapshot() == before


def test_truncate_is_refused(entries: list[Entry]) -> None:
    """Row triggers do not fire on TRUNCATE: a statement trigger refuses it."""
    before = snapshot()
    with (
        pytest.raises(DatabaseError, match="TRUNCATE refused"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # the inserts' deferred checks
        cursor.execute("SET LOCAL p8.allow_truncate = 'off'")
        cursor.execute("TRUNCATE ledger_entry CASCADE")
    assert snapshot() == before


def test_the_owner_may_truncate_when_it_asks_to(entries: list[Entry]) -> None:
    """How pytest-django flushes the test database after a transactional test (the test
    database's owner asks with ``p8.allow_truncate``; rolled back here with the test; the
    deferred foreign-key checks of the inserts are run first, as a commit would)."""
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("TRUNCATE ledger_entry")
    assert not Entry.objects.exists()
