"""Advances and payments: never more than approved per source; advances cleared in time."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine

from core.errors import RuleViolation
from core.text import field_limit
from estimates.models import EnvelopeCell, Plan
from ledger.models import Disbursement, Entry, EstimateAccount
from ledger.selectors import advances_overdue, cell_balances, estimate_money, ledger_reconcile
from ledger.services import advance_clear
from tests.factories import estimate_in_status, lines_of
from tests.texts import composed, decomposed

from .conftest import pay


@pytest.fixture
def approved(plan: Plan, actor: Any) -> Any:
    return estimate_in_status(
        "approved", lines=lines_of(("current", 100_000_000), ("carried", 20_000_000))
    )


def test_payments_up_to_the_approved_amount(approved: Any, actor: Any, plan: Plan) -> None:
    pay(approved, actor, 60_000_000)
    pay(approved, actor, 40_000_000, kind="advance")
    pay(approved, actor, 20_000_000, source="carried")
    money = estimate_money(approved)
    assert (money.approved, money.disbursed, money.remaining) == (120_000_000, 120_000_000, 0)
    assert money.advances_outstanding == 40_000_000
    assert len(money.disbursements) == 3
    commune_current = {(c.level, c.source): c for c in cell_balances(plan)}["commune", "current"]
    assert commune_current.disbursed == 100_000_000
    assert ledger_reconcile(plan) == []


def counts() -> tuple[int, int, int]:
    return (
        Disbursement.objects.count(),
        Entry.objects.filter(kind="disbursement").count(),
        sum(EstimateAccount.objects.values_list("disbursed", flat=True)),
    )


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"amount": 100_000_001}, "100.000.000 ₫"),  # above what is left
        ({"amount": 20_000_001, "source": "carried"}, "1 ₫ too much"),
        ({"amount": -5}, "negative"),
        ({"amount": 0}, "more than zero"),
        ({"amount": 1.5}, "whole number"),
        ({"amount": "1000"}, "whole number"),
        ({"amount": True}, "whole number"),
        ({"kind": "gift"}, "advance or payment"),
        ({"source": "elsewhere"}, "funding source"),
        ({"document_type": "napkin"}, "treasury document"),
        ({"document_number": "  "}, "document number"),
        ({"payee": ""}, "who was paid"),
        ({"paid_on": dt.date(2099, 1, 1)}, "future"),
    ],
)
def test_bad_disbursement_is_refused_and_writes_nothing(
    approved: Any, actor: Any, changes: dict[str, Any], message: str
) -> None:
    before = counts()
    amount = changes.pop("amount", 1_000)
    with pytest.raises(RuleViolation, match=message):
        pay(approved, actor, amount, **changes)
    assert counts() == before


@pytest.mark.parametrize("status", ["approval", "settlement", "closed", "draft"])
def test_payment_on_an_estimate_that_is_not_approved_is_refused(
    plan: Plan, actor: Any, status: str
) -> None:
    estimate = estimate_in_status(status, lines=lines_of(("current", 10_000_000)))
    with pytest.raises(RuleViolation, match="cannot be done now"):
        pay(estimate, actor, 1_000)
    assert counts() == (0, 0, 0)


def test_source_that_was_not_approved_has_nothing_to_disburse(plan: Plan, actor: Any) -> None:
    estimate = estimate_in_status("approved", lines=lines_of(("current", 10_000_000)))
    with pytest.raises(RuleViolation, match="Only 0 ₫"):
        pay(estimate, actor, 1, source="carried")


def test_overdue_advances_are_those_past_the_end_of_the_next_month(
    approved: Any, actor: Any
) -> None:
    late = pay(approved, actor, 1_000_000, kind="advance", paid_on=dt.date(2024, 5, 31))
    in_time = pay(approved, actor, 1_000_000, kind="advance", paid_on=dt.date(2024, 6, 1))
    pay(approved, actor, 1_000_000, paid_on=dt.date(2024, 1, 2))  # a payment is never overdue
    assert late.clear_by == dt.date(2024, 6, 30)
    assert in_time.clear_by == dt.date(2024, 7, 31)
    assert list(advances_overdue(dt.date(2024, 6, 30))) == []
    assert list(advances_overdue(dt.date(2024, 7, 1))) == [late]
    advance_clear(disbursement=late, actor=actor, cleared_on=dt.date(2024, 7, 2), document="TT-1")
    assert list(advances_overdue(dt.date(2024, 8, 1))) == [in_time]
    assert estimate_money(approved).advances_outstanding == 1_000_000


def test_december_advance_is_due_at_the_end_of_january(approved: Any, actor: Any) -> None:
    with time_machine.travel(dt.datetime(2025, 3, 1, tzinfo=dt.UTC)):
        advance = pay(approved, actor, 1_000, kind="advance", paid_on=dt.date(2024, 12, 15))
    assert advance.clear_by == dt.date(2025, 1, 31)


def test_amounts_of_tens_of_thousands_of_billions_round_trip(plan: Plan, actor: Any) -> None:
    huge = 98_765_432_109_876  # ≈ 98,765 billion đồng
    EnvelopeCell.objects.filter(plan=plan, level="district", source="current").update(
        amount=huge + 1
    )
    estimate = estimate_in_status("approved", lines=lines_of(("current", huge)), level="district")
    pay(estimate, actor, huge - 1)
    pay(estimate, actor, 1)
    account = EstimateAccount.objects.get(estimate=estimate)
    assert (account.approved, account.disbursed) == (huge, huge)
    district = {(c.level, c.source): c for c in cell_balances(plan)}["district", "current"]
    assert (district.allocated, district.committed, district.free) == (huge + 1, huge, 1)
    assert ledger_reconcile(plan) == []


# ---------------------------------------------------------------------------------------
# Text: the limit of the model field, counted after NFC, never cut (tests/web and
# tests/api hold the same limits for the pages and the API)


def test_a_note_of_1000_characters_is_refused_not_cut(approved: Any, actor: Any) -> None:
    before = counts()
    with pytest.raises(RuleViolation, match="At most 500 characters") as refused:
        pay(approved, actor, 1_000, note="x" * 1000)
    assert refused.value.field == "note"
    assert counts() == before


@pytest.mark.parametrize("name", ["document_number", "payee", "note"])
def test_a_text_is_held_to_its_model_field_counted_after_nfc(
    approved: Any, actor: Any, name: str
) -> None:
    limit = field_limit(Disbursement, name)
    before = counts()
    with pytest.raises(RuleViolation, match=f"At most {limit} characters") as refused:
        pay(approved, actor, 1_000, **{name: decomposed(limit + 1)})
    assert refused.value.field == name
    assert counts() == before
    paid = pay(approved, actor, 1_000, **{name: decomposed(limit)})
    paid.refresh_from_db()
    assert getattr(paid, name) == composed(limit)
    if name in ("document_number", "note"):  # the ledger entry keeps them whole too
        entry = Entry.objects.get(kind="disbursement", amount=1_000)
        assert getattr(entry, "document" if name == "document_number" else "note") == composed(
            limit
        )


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("document_number", "KB\u200b-001", "invisible character U\\+200B at position 3"),
        ("payee", "Hội\u202e LHPN", "invisible character U\\+202E at position 4"),
        ("note", "a\u2066b", "invisible character U\\+2066 at position 2"),
        ("payee", "Hội\nLHPN", "single line"),
        ("note", "a\x00b", "control character U\\+0000"),
        ("payee", 42, "Enter text"),
    ],
)
def test_invisible_and_control_characters_are_refused(
    approved: Any, actor: Any, name: str, value: Any, message: str
) -> None:
    before = counts()
    with pytest.raises(RuleViolation, match=message) as refused:
        pay(approved, actor, 1_000, **{name: value})
    assert refused.value.field == name
    assert counts() == before


def test_a_note_may_hold_line_breaks(approved: Any, actor: Any) -> None:
    paid = pay(approved, actor, 1_000, note="Tạm ứng đợt 1\r\nNhận bằng tiền mặt")
    assert paid.note == "Tạm ứng đợt 1\r\nNhận bằng tiền mặt"


def test_a_clearance_document_is_held_to_its_model_field(approved: Any, actor: Any) -> None:
    limit = field_limit(Disbursement, "clearance_document")
    advance = pay(approved, actor, 1_000, kind="advance")
    with pytest.raises(RuleViolation, match=f"At most {limit}") as refused:
        advance_clear(
            disbursement=advance,
            actor=actor,
            cleared_on=dt.date(2024, 7, 1),
            document=decomposed(limit + 1),
        )
    assert refused.value.field == "document"
    advance.refresh_from_db()
    assert advance.cleared_on is None
    advance_clear(
        disbursement=advance,
        actor=actor,
        cleared_on=dt.date(2024, 7, 1),
        document=decomposed(limit),
    )
    advance.refresh_from_db()
    assert advance.clearance_document == composed(limit)
