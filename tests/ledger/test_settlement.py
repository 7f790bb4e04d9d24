"""Settlement: spent + returned + carried over = disbursed, to the đồng.

The estimates are approved through the approval services; the ledger's settlement
functions are called directly where their own checks are under test, and through
``estimate_settle`` / ``estimate_verify_settlement`` / ``estimate_return_settlement`` where
the estimate must move on."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from approvals import services
from core.errors import RuleViolation
from core.text import field_limit
from estimates.models import Estimate, EstimateStatus, Plan
from ledger.models import Disbursement, Entry, Settlement, SettlementLine, Tranche
from ledger.selectors import cell_balances, ledger_reconcile
from ledger.services import settlement_reopen, settlement_submit, settlement_verify
from tests.factories import VERIFIER, demo_user, estimate_in_status, lines_of
from tests.texts import composed, decomposed

from .conftest import pay

USE_BY = dt.date(2025, 12, 31)


@pytest.fixture
def paid(plan: Plan, actor: Any) -> Estimate:
    """Approved 100.000.000 (current, two lines 60 + 40) + 20.000.000 (carried); disbursed
    90.000.000 of current (one advance of 30) and 20.000.000 of carried."""
    estimate = estimate_in_status(
        "approved",
        lines=lines_of(("current", 60_000_000), ("current", 40_000_000), ("carried", 20_000_000)),
    )
    pay(estimate, actor, 60_000_000)
    pay(estimate, actor, 30_000_000, kind="advance")
    pay(estimate, actor, 20_000_000, source="carried")
    return estimate


def lines(estimate: Estimate, *spent: int) -> list[dict[str, Any]]:
    return [
        {"line_id": line.pk, "spent": amount, "note": f"line {line.position}"}
        for line, amount in zip(estimate.lines.order_by("position"), spent, strict=True)
    ]


def submit(estimate: Estimate, actor: Any, *spent: int, **kw: Any) -> Settlement:
    args: dict[str, Any] = {
        "returned": 0,
        "return_document": "",
        "carried": 0,
        "carried_use_by": None,
    } | kw
    return settlement_submit(estimate=estimate, actor=actor, lines=lines(estimate, *spent), **args)


def settle(estimate: Estimate, *spent: int, **kw: Any) -> None:
    """The drafting unit settles through the service: the estimate goes to settlement."""
    services.estimate_settle(
        actor=estimate.created_by,
        estimate_id=estimate.pk,
        lines=lines(estimate, *spent),
        **kw,
    )
    estimate.refresh_from_db()
    assert estimate.status == EstimateStatus.SETTLEMENT


def verify(estimate: Estimate) -> None:
    """Finance-Planning verifies through the service: the estimate is closed."""
    services.estimate_verify_settlement(actor=demo_user(VERIFIER), estimate_id=estimate.pk)
    estimate.refresh_from_db()
    assert estimate.status == EstimateStatus.CLOSED


def test_settle_return_and_carry_over(paid: Estimate, actor: Any, plan: Plan) -> None:
    # disbursed 110: spent 55 + 30 + 15 = 100, returned 4, carried 6
    settle(
        paid,
        55_000_000,
        30_000_000,
        15_000_000,
        returned=4_000_000,
        return_document="GNT-12",
        carried=6_000_000,
        carried_use_by=USE_BY,
    )
    verify(paid)
    settlement = Settlement.objects.get(estimate=paid)
    assert settlement.status == "verified"
    # Unspent: current 5, carried 5. Carry-over takes current first (5) then carried (1);
    # the rest of carried (4) is returned.
    tranches = {t.source: (t.amount, t.use_by, t.year) for t in Tranche.objects.all()}
    assert tranches == {
        "current": (5_000_000, USE_BY, 2025),
        "carried": (1_000_000, USE_BY, 2025),
    }
    by_cell = {(c.level, c.source): c for c in cell_balances(plan)}
    current, carried = by_cell["commune", "current"], by_cell["commune", "carried"]
    assert (current.spent, current.returned, current.carried) == (85_000_000, 0, 5_000_000)
    assert (carried.spent, carried.returned, carried.carried) == (15_000_000, 4_000_000, 1_000_000)
    # 10.000.000 approved and never disbursed goes back to the envelope
    assert current.committed == current.disbursed == 90_000_000
    assert not Disbursement.objects.filter(kind="advance", cleared_on__isnull=True).exists()
    assert ledger_reconcile(plan) == []


def ledger_counts() -> tuple[int, ...]:
    return (
        Settlement.objects.count(),
        SettlementLine.objects.count(),
        Entry.objects.count(),
        Tranche.objects.count(),
    )


@pytest.mark.parametrize(
    ("spent", "kw", "message"),
    [
        # does not balance, by one đồng either way (disbursed 110.000.000)
        ((60_000_000, 30_000_000, 19_999_999), {}, "difference of 1 ₫"),
        ((60_000_000, 30_000_000, 20_000_000), {"returned": 1, "return_document": "G"}, "of 1 ₫"),
        # returned without its document
        ((50_000_000, 30_000_000, 20_000_000), {"returned": 10_000_000}, "document"),
        # carried over without a use-by date, or with one inside the plan's year
        ((50_000_000, 30_000_000, 20_000_000), {"carried": 10_000_000}, "used"),
        (
            (50_000_000, 30_000_000, 20_000_000),
            {"carried": 10_000_000, "carried_use_by": dt.date(2024, 12, 31)},
            "after 31/12/2024",
        ),
        # a line spent above its approval
        ((61_000_000, 29_000_000, 20_000_000), {}, "more than the"),
        # more spent from a source than was disbursed on it
        ((60_000_000, 40_000_000, 10_000_000), {}, "only 90.000.000 ₫ was disbursed"),
        # negative and non-integer amounts
        ((60_000_000, 30_000_000, 20_000_000), {"returned": -1}, "negative"),
        ((60_000_000, 30_000_000, 20_000_000), {"carried": 0.5}, "whole number"),
        ((-1, 30_000_000, 20_000_000), {}, "negative"),
        ((60_000_000, 30_000_000, "20.000.000"), {}, "whole number"),
    ],
)
def test_bad_settlement_is_refused_and_writes_nothing(
    paid: Estimate, actor: Any, spent: tuple[int, ...], kw: dict[str, Any], message: str
) -> None:
    before = ledger_counts()
    with pytest.raises(RuleViolation, match=message):
        submit(paid, actor, *spent, **kw)
    assert ledger_counts() == before


def test_every_approved_line_must_be_reported(paid: Estimate, actor: Any) -> None:
    first = paid.lines.order_by("position").first()
    assert first is not None
    with pytest.raises(RuleViolation, match="missing: 2, 3"):
        settlement_submit(
            estimate=paid,
            actor=actor,
            lines=[{"line_id": first.pk, "spent": 1, "note": ""}],
            returned=0,
            return_document="",
            carried=0,
            carried_use_by=None,
        )
    with pytest.raises(RuleViolation, match="not a line"):
        settlement_submit(
            estimate=paid,
            actor=actor,
            lines=[{"line_id": -1, "spent": 1}],
            returned=0,
            return_document="",
            carried=0,
            carried_use_by=None,
        )


def test_returned_settlement_is_corrected_and_resubmitted(paid: Estimate, actor: Any) -> None:
    settle(paid, 60_000_000, 30_000_000, 20_000_000)
    with pytest.raises(RuleViolation):
        settlement_reopen(estimate=paid, actor=actor, reason="  ")
    assert Settlement.objects.get().status == "pending"
    services.estimate_return_settlement(
        actor=demo_user(VERIFIER), estimate_id=paid.pk, reason="Thiếu chứng từ dòng 2"
    )
    assert Settlement.objects.get().status == "returned"
    paid.refresh_from_db()
    assert paid.status == EstimateStatus.APPROVED
    settle(paid, 60_000_000, 25_000_000, 20_000_000, returned=5_000_000, return_document="GNT-1")
    settlement = Settlement.objects.get()
    assert (settlement.status, settlement.spent, settlement.returned) == (
        "pending",
        105_000_000,
        5_000_000,
    )
    assert SettlementLine.objects.count() == 3


def test_verify_needs_a_pending_settlement(paid: Estimate, actor: Any) -> None:
    # A row the services cannot make: in settlement with no settlement submitted (only
    # estimate_settle moves an estimate there, and it records the settlement). The ledger
    # must refuse it all the same, so the status is written straight into the row.
    Estimate.objects.filter(pk=paid.pk).update(status=EstimateStatus.SETTLEMENT)
    paid.refresh_from_db()
    with pytest.raises(RuleViolation, match="no settlement"):
        settlement_verify(estimate=paid, actor=actor)
    assert not Entry.objects.filter(kind="spent").exists()


def test_nothing_disbursed_settles_at_zero_and_frees_the_commitment(plan: Plan, actor: Any) -> None:
    estimate = estimate_in_status("approved", lines=lines_of(("current", 10_000_000)))
    settle(estimate, 0)
    verify(estimate)
    current = {(c.level, c.source): c for c in cell_balances(plan)}["commune", "current"]
    assert current.committed == 0
    assert current.free == current.allocated
    assert ledger_reconcile(plan) == []


# ---------------------------------------------------------------------------------------
# Text: the limit of the model field, counted after NFC, never cut


def test_a_line_note_is_held_to_its_model_field(paid: Estimate, actor: Any) -> None:
    limit = field_limit(SettlementLine, "note")
    reported = lines(paid, 60_000_000, 30_000_000, 20_000_000)
    reported[1]["note"] = "x" * 1000
    before = ledger_counts()
    with pytest.raises(RuleViolation, match="At most 500 characters") as refused:
        settlement_submit(
            estimate=paid,
            actor=actor,
            lines=reported,
            returned=0,
            return_document="",
            carried=0,
            carried_use_by=None,
        )
    assert refused.value.field == "lines[1].note"
    assert ledger_counts() == before
    reported[1]["note"] = decomposed(limit)
    settlement_submit(
        estimate=paid,
        actor=actor,
        lines=reported,
        returned=0,
        return_document="",
        carried=0,
        carried_use_by=None,
    )
    second = paid.lines.order_by("position")[1]
    assert SettlementLine.objects.get(line=second).note == composed(limit)


def test_a_return_document_is_held_to_its_model_field(paid: Estimate, actor: Any) -> None:
    limit = field_limit(Settlement, "return_document")
    spent = (60_000_000, 25_000_000, 20_000_000)
    before = ledger_counts()
    with pytest.raises(RuleViolation, match=f"At most {limit}") as refused:
        submit(paid, actor, *spent, returned=5_000_000, return_document=decomposed(limit + 1))
    assert refused.value.field == "return_document"
    assert ledger_counts() == before
    submit(paid, actor, *spent, returned=5_000_000, return_document=decomposed(limit))
    assert Settlement.objects.get().return_document == composed(limit)


def test_a_return_reason_is_held_to_its_model_field(paid: Estimate, actor: Any) -> None:
    """It was 2000 here while the pages and the API allowed 5000."""
    limit = field_limit(Settlement, "reopen_reason")
    settle(paid, 60_000_000, 30_000_000, 20_000_000)
    with pytest.raises(RuleViolation, match=f"At most {limit}") as refused:
        settlement_reopen(estimate=paid, actor=actor, reason=decomposed(limit + 1))
    assert refused.value.field == "reason"
    assert Settlement.objects.get().status == "pending"
    settlement_reopen(estimate=paid, actor=actor, reason=decomposed(limit))
    settlement = Settlement.objects.get()
    assert (settlement.status, settlement.reopen_reason) == ("returned", composed(limit))
