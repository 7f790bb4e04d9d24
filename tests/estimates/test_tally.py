"""The estimates' tally (kept by PostgreSQL triggers) gives, for every filter the list
offers, the same count and totals as an aggregate over the estimates themselves: after
transitions, amounts changed by appraisal and approval, bulk inserts, deletes, and after
it is compacted. The list page shows them."""

from __future__ import annotations

import pytest
from django.db import connection, transaction
from django.db.models import Count, Sum
from django.test import Client

from estimates.models import Estimate, EstimateStatus, EstimateTally, Plan
from estimates.tally import tally_compact, tally_totals
from organization.models import Unit
from tests.factories import demo_user, estimate_in_status, estimates_bulk

pytestmark = pytest.mark.django_db

S = EstimateStatus


def _aggregate(**filters: object) -> dict[str, int]:
    sums = Estimate.objects.filter(**filters).aggregate(
        count=Count("pk"),
        requested=Sum("total_amount"),
        appraised=Sum("appraised_amount"),
        approved=Sum("approved_amount"),
    )
    return {k: v or 0 for k, v in sums.items()}


def _agree(plan: Plan) -> None:
    units = list(Unit.objects.values_list("pk", flat=True))
    assert tally_totals(units) == _aggregate()
    assert tally_totals(units, plan_id=plan.pk) == _aggregate(plan=plan)
    for status in S.values:
        assert tally_totals(units, status=status) == _aggregate(status=status), status
    for unit_id in Estimate.objects.values_list("unit_id", flat=True).distinct():
        assert tally_totals(units, unit_id=unit_id) == _aggregate(unit_id=unit_id)
        assert tally_totals([unit_id]) == _aggregate(unit_id=unit_id)
    assert tally_totals([]) == {"count": 0, "requested": 0, "appraised": 0, "approved": 0}


def test_the_tally_agrees_with_the_estimates_through_the_lifecycle(plan: Plan) -> None:
    assert connection.vendor == "postgresql"
    made = [
        estimate_in_status(status, plan=plan)
        for status in (S.DRAFT, S.REVIEW, S.APPRAISAL, S.APPROVED, S.RETURNED, S.WITHDRAWN)
    ]
    made.append(estimate_in_status(S.APPRAISAL, plan=plan, level="district"))
    _agree(plan)
    assert _aggregate(status=S.APPROVED)["approved"] > 0  # the amounts are in the sums
    estimates_bulk(made[1], 40, statuses=(S.REVIEW, S.APPRAISAL, S.APPROVAL))
    _agree(plan)
    Estimate.objects.filter(number__startswith="BULK-").delete()
    _agree(plan)
    before = EstimateTally.objects.count()
    tally_compact()
    assert EstimateTally.objects.count() < before
    _agree(plan)
    # One row per (plan, unit, status) that holds estimates, none for the emptied ones.
    keys = set(EstimateTally.objects.values_list("plan_id", "unit_id", "status"))
    assert keys == set(Estimate.objects.values_list("plan_id", "unit_id", "status"))


def test_a_rolled_back_change_leaves_the_tally_as_it_was(plan: Plan) -> None:
    estimate = estimate_in_status(S.REVIEW, plan=plan)
    units = list(Unit.objects.values_list("pk", flat=True))
    before = tally_totals(units)
    with pytest.raises(RuntimeError), transaction.atomic():
        Estimate.objects.filter(pk=estimate.pk).update(total_amount=1)
        raise RuntimeError
    assert tally_totals(units) == before == _aggregate()


def test_the_list_shows_the_totals_of_its_filters(plan: Plan, client: Client) -> None:
    approved = estimate_in_status(S.APPROVED, plan=plan)
    estimate_in_status(S.REVIEW, plan=plan)
    client.force_login(demo_user("hoi.huyen"))
    every = client.get("/estimates/").context["totals"]
    assert every == _aggregate()
    only = client.get(f"/estimates/?status=approved&plan={plan.pk}").context["totals"]
    assert only == _aggregate(status=S.APPROVED, plan=plan)
    assert only["approved"] == approved.approved_amount
    # A text search reads the estimates themselves (the tally cannot tell titles).
    found = client.get("/estimates/?q=" + approved.number).context["totals"]
    assert found["count"] == 1
