"""``field__any``: the same rows as ``field__in``, the ids sent as one array parameter."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from estimates.models import Estimate, Plan
from organization.models import Unit
from tests.factories import estimate_in_status

pytestmark = pytest.mark.django_db


def test_any_selects_what_in_selects_with_one_parameter(plan: Plan, users: dict[str, Any]) -> None:
    made = [
        estimate_in_status("draft", plan=plan, drafter=users["hoi.silolau"]),
        estimate_in_status("draft", plan=plan, drafter=users["hoi.namxe"]),
    ]
    units = list(Unit.objects.values_list("pk", flat=True))
    some = [made[0].unit_id, None, 10**9]
    for ids in (units, some, [], set(units)):
        expected = set(Estimate.objects.filter(unit_id__in=ids).values_list("pk", flat=True))
        with CaptureQueriesContext(connection) as queries:
            found = set(Estimate.objects.filter(unit_id__any=ids).values_list("pk", flat=True))
        assert found == expected
        if ids:
            assert "= ANY(" in queries.captured_queries[-1]["sql"]
        else:  # as ``__in`` of nothing: no row, without asking the database
            assert queries.captured_queries == []
    with CaptureQueriesContext(connection) as queries:
        assert not Estimate.objects.filter(unit_id__any=[None]).exists()
    assert queries.captured_queries == []
    assert set(Unit.objects.filter(pk__any=[made[1].unit_id]).values_list("pk", flat=True)) == {
        made[1].unit_id
    }
    assert set(
        Estimate.objects.filter(unit__in=Unit.objects.filter(pk=made[1].unit_id)).values_list(
            "pk", flat=True
        )
    ) == set(
        Estimate.objects.filter(
            unit_id__any=Unit.objects.filter(pk=made[1].unit_id).values("pk")
        ).values_list("pk", flat=True)
    )
