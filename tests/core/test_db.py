"""``core.db``: ``row_save`` inserts a new row whole and updates only the columns named of an
existing one, so a stale copy never writes back what someone else changed; ``rows_update``
writes the named columns of saved rows in one statement; ``CompiledQueries`` runs a
queryset compiled once per shape and reads what the queryset itself reads."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User
from django.db import connection, connections, transaction
from django.db.models import QuerySet
from django.db.transaction import TransactionManagementError
from django.test.utils import CaptureQueriesContext

from approvals import access
from core.db import CompiledQueries, row_save, rows_update
from estimates.models import Estimate

pytestmark = pytest.mark.django_db


def test_new_row_is_inserted_whole() -> None:
    user = User(username="moi", first_name="Lò", last_name="Thị Mai")
    row_save(user, fields=["first_name"])
    assert User.objects.filter(username="moi", first_name="Lò", last_name="Thị Mai").exists()


def test_existing_row_updates_only_the_named_columns() -> None:
    user = User.objects.create(username="cu", first_name="A", last_name="B")
    User.objects.filter(pk=user.pk).update(last_name="changed elsewhere")
    user.first_name = "Lò"
    row_save(user, fields=["first_name"])
    assert User.objects.values_list("first_name", "last_name").get(pk=user.pk) == (
        "Lò",
        "changed elsewhere",
    )


# ``rows_update``: the named columns of saved rows, one statement whatever their number.


def test_rows_update_writes_the_named_columns_of_one_row_in_one_statement() -> None:
    user = User.objects.create(username="mot", first_name="A", last_name="B")
    User.objects.filter(pk=user.pk).update(last_name="changed elsewhere")
    user.first_name, user.last_name = "Lò", "stale"
    with CaptureQueriesContext(connection) as queries:
        rows_update([user], ["first_name"])
    assert len(queries) == 1
    assert User.objects.values_list("first_name", "last_name").get(pk=user.pk) == (
        "Lò",
        "changed elsewhere",
    )


def test_rows_update_writes_several_rows_in_one_statement() -> None:
    rows = [User.objects.create(username=f"nhieu{i}", first_name="A") for i in range(3)]
    for i, row in enumerate(rows):
        row.first_name = f"Tên {i}"
    with CaptureQueriesContext(connection) as queries:
        rows_update(rows, ["first_name"])
        rows_update([], ["first_name"])
    assert len(queries) == 1
    names = User.objects.filter(username__startswith="nhieu").values_list("first_name", flat=True)
    assert sorted(names) == [
        "Tên 0",
        "Tên 1",
        "Tên 2",
    ]


# ``CompiledQueries``: the same rows, related rows and annotations as the queryset itself,
# compiled once per shape.


def _lock_of(estimate_id: int, *people: int) -> QuerySet[Estimate]:
    qs = Estimate.objects.select_for_update(of=("self",)).select_related("unit", "plan__issuer")
    if people:
        qs = qs.annotate(**access.conflict_annotations(set(people), ["appraisal"]))
    return qs.filter(pk=estimate_id)


def _as_seen(estimate: Estimate) -> tuple[Any, ...]:
    return (
        {f.attname: getattr(estimate, f.attname) for f in Estimate._meta.concrete_fields},
        estimate.unit.name,
        estimate.plan.number,
        estimate.plan.issuer.name if estimate.plan.issuer else None,
        getattr(estimate, "acted_against_appraisal", None),
    )


def test_compiled_query_reads_what_the_queryset_reads(plan: Any, users: dict[str, Any]) -> None:
    from tests.factories import estimate_in_status

    compiled = CompiledQueries()
    appraised = estimate_in_status("approval")
    draft = estimate_in_status("draft")
    tckh, drafter = users["tckh"].pk, users["hoi.silolau"].pk
    with transaction.atomic():
        for estimate, person in [(appraised, tckh), (draft, tckh), (appraised, drafter)]:
            expected = _as_seen(_lock_of(estimate.pk, person).get())
            (found,) = compiled.fetch("lock+1", _lock_of, [estimate.pk, person])
            assert _as_seen(found) == expected
        # Segregation of duties, read from the audit trail with the person's id put in:
        # the drafter submitted it (another group's stage), the appraiser did not.
        (found,) = compiled.fetch("lock+1", _lock_of, [appraised.pk, drafter])
        assert found.acted_against_appraisal is True
        (found,) = compiled.fetch("lock+1", _lock_of, [appraised.pk, tckh])
        assert found.acted_against_appraisal is False
        # Two shapes, each compiled once: the same statement text, other values.
        assert compiled.fetch("lock", _lock_of, [draft.pk])[0].pk == draft.pk
        assert compiled.fetch("lock", _lock_of, [-5]) == []
        with CaptureQueriesContext(connection) as queries:
            compiled.fetch("lock", _lock_of, [appraised.pk])
            compiled.fetch("lock+1", _lock_of, [draft.pk, drafter])
        assert len(queries) == 2
        assert queries[0]["sql"].count("FOR UPDATE") == 1
    assert len(compiled._by_connection[connections["default"]]) == 2


@pytest.mark.django_db(transaction=True)
def test_compiled_query_refuses_a_lock_outside_a_transaction() -> None:
    """As Django does for ``select_for_update``: a lock outside a transaction would be
    released at once."""
    compiled = CompiledQueries()
    with transaction.atomic():
        assert compiled.fetch("lock", _lock_of, [1]) == []
    with pytest.raises(TransactionManagementError):
        compiled.fetch("lock", _lock_of, [1])


def test_compiled_query_falls_back_when_a_value_is_not_a_parameter_of_its_own(plan: Any) -> None:
    """A value the queryset turns into another (here ``pk - 1``) cannot be put back into the
    compiled statement: that shape is never cached and the queryset runs as usual."""
    from tests.factories import estimate_in_status

    compiled = CompiledQueries()
    ids = sorted([estimate_in_status("draft").pk, estimate_in_status("draft").pk])

    def after(first: int) -> QuerySet[Estimate]:
        return Estimate.objects.filter(pk__gt=first - 1).order_by("pk")

    assert [e.pk for e in compiled.fetch("after", after, [ids[0]])] == ids
    assert [e.pk for e in compiled.fetch("after", after, [ids[1]])] == ids[1:]
    assert compiled._by_connection[connections["default"]]["after"] is False
