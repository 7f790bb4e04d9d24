"""Reservations at appraisal, commitments at approval, releases, and commune sub-envelopes."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from approvals import services
from core.errors import RuleViolation
from estimates.models import EnvelopeCell, Estimate, Plan
from ledger.models import CellAccount, Entry, EstimateAccount, SubEnvelope
from ledger.selectors import (
    cell_balances,
    commune_balances,
    estimate_funding,
    ledger_reconcile,
)
from ledger.services import ledger_commit, ledger_release, ledger_reserve, subenvelope_set
from organization.models import Unit
from tests.factories import APPROVER, demo_user, estimate_in_status, lines_of

COMMUNE_CURRENT = 2_559_000_000
COMMUNE_CARRIED = 1_770_170_000


def cells(plan: Plan) -> dict[tuple[str, str], Any]:
    return {(c.level, c.source): c for c in cell_balances(plan)}


def test_reserve_then_commit_moves_money_per_source(plan: Plan, actor: Any) -> None:
    estimate = estimate_in_status(
        "approval", lines=lines_of(("current", 300_000_000), ("carried", 100_000_000))
    )
    current = cells(plan)["commune", "current"]
    assert (current.reserved, current.committed) == (300_000_000, 0)
    assert current.free == COMMUNE_CURRENT - 300_000_000
    assert cells(plan)["commune", "carried"].reserved == 100_000_000

    services.estimate_approve(actor=demo_user(APPROVER), estimate_id=estimate.pk)
    current = cells(plan)["commune", "current"]
    assert (current.reserved, current.committed) == (0, 300_000_000)
    assert cells(plan)["commune", "carried"].committed == 100_000_000
    assert cells(plan)["district", "current"].committed == 0
    assert ledger_reconcile(plan) == []


def test_reserve_twice_reserves_once(plan: Plan, actor: Any) -> None:
    estimate = estimate_in_status("appraisal", lines=lines_of(("current", 300_000_000)))
    ledger_reserve(estimate=estimate, actor=actor)
    ledger_reserve(estimate=estimate, actor=actor)
    assert cells(plan)["commune", "current"].reserved == 300_000_000
    assert Entry.objects.filter(kind="reservation").count() == 1


def test_reserve_again_after_a_cut_replaces_the_reservation(plan: Plan, actor: Any) -> None:
    estimate = estimate_in_status("appraisal", lines=lines_of(("current", 300_000_000)))
    ledger_reserve(estimate=estimate, actor=actor)
    estimate.lines.update(appraised_amount=200_000_000)
    ledger_reserve(estimate=estimate, actor=actor)
    assert cells(plan)["commune", "current"].reserved == 200_000_000
    assert ledger_reconcile(plan) == []


def test_unappraised_line_counts_its_requested_amount(plan: Plan, actor: Any) -> None:
    estimate = estimate_in_status("appraisal", lines=lines_of(("current", 300_000_000)))
    estimate.lines.update(appraised_amount=None)
    ledger_reserve(estimate=estimate, actor=actor)
    assert cells(plan)["commune", "current"].reserved == 300_000_000


def test_shortfall_names_the_source_and_the_amount(plan: Plan, actor: Any) -> None:
    estimate_in_status("approval", lines=lines_of(("carried", 1_700_000_000)))
    second = estimate_in_status("appraisal", lines=lines_of(("carried", 100_000_000)))
    entries = Entry.objects.count()
    with pytest.raises(RuleViolation) as err:
        ledger_reserve(estimate=second, actor=actor)
    assert "Vốn chuyển nguồn năm 2023 sang năm 2024" in err.value.message
    assert "29.830.000 ₫" in err.value.message  # 100.000.000 - 70.170.000 free
    assert Entry.objects.count() == entries
    assert not EstimateAccount.objects.filter(estimate=second).exists()


def test_release_frees_the_reservation_and_is_a_no_op_twice(plan: Plan, actor: Any) -> None:
    estimate = estimate_in_status("approval", lines=lines_of(("current", 300_000_000)))
    ledger_release(estimate=estimate, actor=actor)
    ledger_release(estimate=estimate, actor=actor)
    assert cells(plan)["commune", "current"].free == COMMUNE_CURRENT
    assert Entry.objects.filter(kind="release").count() == 1


def test_commit_without_a_reservation_is_refused(plan: Plan, actor: Any) -> None:
    estimate = estimate_in_status("appraisal", lines=lines_of(("current", 300_000_000)))
    with pytest.raises(RuleViolation, match="no reservation"):
        ledger_commit(estimate=estimate, actor=actor)
    assert not Entry.objects.exists()


def test_district_estimate_draws_on_the_district_cell(plan: Plan, actor: Any) -> None:
    estimate_in_status("approved", lines=lines_of(("current", 1_300_000_000)), level="district")
    district = cells(plan)["district", "current"]
    assert (district.committed, district.free) == (1_300_000_000, 0)
    with pytest.raises(RuleViolation):
        ledger_reserve(
            estimate=estimate_in_status(
                "appraisal", lines=lines_of(("current", 1)), level="district"
            ),
            actor=actor,
        )


def test_cell_lowered_below_commitments_refuses_new_reservations_only(
    plan: Plan, actor: Any
) -> None:
    estimate_in_status("approved", lines=lines_of(("current", 500_000_000)))
    pending = estimate_in_status("approval", lines=lines_of(("current", 100_000_000)))
    EnvelopeCell.objects.filter(plan=plan, level="commune", source="current").update(
        amount=400_000_000
    )
    with pytest.raises(RuleViolation, match="lowered"):
        ledger_reserve(
            estimate=estimate_in_status("appraisal", lines=lines_of(("current", 1))), actor=actor
        )
    ledger_release(estimate=pending, actor=actor)  # money can still be released
    assert cells(plan)["commune", "current"].reserved == 0
    assert CellAccount.objects.get(cell__level="commune", cell__source="current").allocated == (
        COMMUNE_CURRENT
    )
    assert ledger_reconcile(plan) == []


def test_allocation_changes_are_entries(plan: Plan, actor: Any) -> None:
    estimate_in_status("approval", lines=lines_of(("current", 1_000_000)))
    EnvelopeCell.objects.filter(plan=plan, level="commune", source="current").update(
        amount=COMMUNE_CURRENT + 41_000_000
    )
    estimate_in_status("approval", lines=lines_of(("current", 1_000_000)))
    account = CellAccount.objects.get(cell__level="commune", cell__source="current")
    assert account.allocated == 2_600_000_000
    assert list(
        Entry.objects.filter(kind="allocation", cell=account.cell).values_list("amount", flat=True)
    ) == [COMMUNE_CURRENT, 41_000_000]
    assert ledger_reconcile(plan) == []


# ---------------------------------------------------------------------------------------
# Sub-envelopes.


def commune(code: str) -> Unit:
    return Unit.objects.get(code=code)


def test_subenvelope_limits_its_commune(plan: Plan, actor: Any) -> None:
    nam_xe = commune("nam-xe")
    subenvelope_set(plan=plan, commune=nam_xe, source="current", amount=200_000_000, actor=actor)
    estimate = estimate_in_status(
        "appraisal", lines=lines_of(("current", 250_000_000)), unit_code="nam-xe"
    )
    with pytest.raises(RuleViolation) as err:
        ledger_reserve(estimate=estimate, actor=actor)
    assert "Nậm Xe" in err.value.message and "50.000.000 ₫" in err.value.message
    estimate_in_status("approved", lines=lines_of(("current", 200_000_000)), unit_code="nam-xe")
    sub = SubEnvelope.objects.get(commune=nam_xe)
    assert (sub.reserved, sub.committed, sub.free) == (0, 200_000_000, 0)
    assert ledger_reconcile(plan) == []


def test_commune_without_subenvelope_is_held_by_the_cell_only(plan: Plan, actor: Any) -> None:
    subenvelope_set(
        plan=plan, commune=commune("nam-xe"), source="current", amount=100_000_000, actor=actor
    )
    estimate_in_status(
        "approval", lines=lines_of(("current", 2_000_000_000)), unit_code="si-lo-lau"
    )
    assert cells(plan)["commune", "current"].reserved == 2_000_000_000


def test_split_never_exceeds_the_cell(plan: Plan, actor: Any) -> None:
    subenvelope_set(
        plan=plan, commune=commune("nam-xe"), source="current", amount=2_000_000_000, actor=actor
    )
    with pytest.raises(RuleViolation) as err:
        subenvelope_set(
            plan=plan,
            commune=commune("si-lo-lau"),
            source="current",
            amount=600_000_000,
            actor=actor,
        )
    assert "41.000.000 ₫" in err.value.message
    assert SubEnvelope.objects.count() == 1


def test_split_counts_what_communes_without_a_share_already_hold(plan: Plan, actor: Any) -> None:
    estimate_in_status(
        "approval", lines=lines_of(("current", 1_000_000_000)), unit_code="si-lo-lau"
    )
    with pytest.raises(RuleViolation):
        subenvelope_set(
            plan=plan,
            commune=commune("nam-xe"),
            source="current",
            amount=1_600_000_000,
            actor=actor,
        )


def test_share_cannot_go_below_what_the_commune_holds(plan: Plan, actor: Any) -> None:
    nam_xe = commune("nam-xe")
    estimate_in_status("approval", lines=lines_of(("current", 300_000_000)), unit_code="nam-xe")
    with pytest.raises(RuleViolation, match="cannot be lower"):
        subenvelope_set(
            plan=plan, commune=nam_xe, source="current", amount=299_999_999, actor=actor
        )
    sub = subenvelope_set(
        plan=plan, commune=nam_xe, source="current", amount=300_000_000, actor=actor
    )
    assert (sub.reserved, sub.free) == (300_000_000, 0)
    assert ledger_reconcile(plan) == []


def test_subenvelope_for_a_unit_outside_the_plan_is_refused(plan: Plan, actor: Any) -> None:
    with pytest.raises(RuleViolation):
        subenvelope_set(plan=plan, commune=plan.area, source="current", amount=1, actor=actor)
    with pytest.raises(RuleViolation):
        subenvelope_set(
            plan=plan, commune=commune("nam-xe"), source="current", amount=-1, actor=actor
        )
    assert not SubEnvelope.objects.exists()


def test_commune_balances_show_share_and_use(plan: Plan, actor: Any) -> None:
    nam_xe = commune("nam-xe")
    subenvelope_set(plan=plan, commune=nam_xe, source="current", amount=400_000_000, actor=actor)
    estimate_in_status("approved", lines=lines_of(("current", 150_000_000)), unit_code="nam-xe")
    rows = {(r.code, r.source): r for r in commune_balances(plan)}
    assert len(rows) == 30
    assert rows["nam-xe", "current"].subenvelope == 400_000_000
    assert rows["nam-xe", "current"].committed == 150_000_000
    assert rows["nam-xe", "current"].free == 250_000_000
    assert rows["nam-xe", "carried"].free is None
    assert rows["si-lo-lau", "current"].committed == 0


def test_estimate_funding_is_what_the_appraisal_page_shows(plan: Plan, actor: Any) -> None:
    nam_xe = commune("nam-xe")
    subenvelope_set(plan=plan, commune=nam_xe, source="current", amount=400_000_000, actor=actor)
    estimate_in_status("approved", lines=lines_of(("current", 100_000_000)), unit_code="nam-xe")
    estimate_in_status("approval", lines=lines_of(("current", 50_000_000)))
    estimate: Estimate = estimate_in_status(
        "appraisal", lines=lines_of(("current", 500_000_000)), unit_code="nam-xe"
    )
    (row,) = estimate_funding(estimate)
    assert (row.allocated, row.committed, row.reserved) == (
        COMMUNE_CURRENT,
        100_000_000,
        50_000_000,
    )
    assert row.free == COMMUNE_CURRENT - 150_000_000
    assert (row.need, row.held_by_this) == (500_000_000, 0)
    assert (row.subenvelope, row.subenvelope_free) == (400_000_000, 300_000_000)
    assert row.shortfall == 200_000_000


def test_queries_do_not_grow_with_the_lines(plan: Plan, actor: Any) -> None:
    estimate_in_status(
        "approval", lines=lines_of(("current", 1), ("carried", 1))
    )  # first allocation entries
    counts = []
    for n in (2, 20):
        estimate = estimate_in_status(
            "appraisal", lines=lines_of(*[("current", 1_000)] * n, ("carried", 1_000))
        )
        with CaptureQueriesContext(connection) as reserve:
            ledger_reserve(estimate=estimate, actor=actor)
        with CaptureQueriesContext(connection) as money:
            estimate_funding(estimate)
            cell_balances(plan)
            commune_balances(plan)
        counts.append((len(reserve), len(money)))
    assert counts[0] == counts[1]
    assert counts[0][0] <= 20
