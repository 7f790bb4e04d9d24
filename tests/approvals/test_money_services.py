"""The two money writes that change no estimate status: clearing an advance
(``estimate_clear_advance``) and setting a commune's share (``subenvelope_change``). Both
check the actor's right, write the audit entry in the same transaction, and write
nothing when refused."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from approvals import services
from approvals.models import AuditEntry
from core.errors import Conflict, Forbidden, RuleViolation
from estimates.models import Estimate, Plan
from ledger.models import Disbursement, EstimateAccount, SubEnvelope
from organization.models import Unit
from tests.factories import estimate_in_status


@pytest.fixture
def approved(plan: Plan, users: dict[str, Any]) -> Estimate:
    return estimate_in_status("approved", plan=plan, drafter=users["hoi.silolau"])


def pay(estimate: Estimate, users: dict[str, Any], kind: str = "advance") -> Disbursement:
    result: Disbursement = services.estimate_disburse(
        actor=users["ketoan"],
        estimate_id=estimate.pk,
        kind=kind,
        paid_on=dt.date(2024, 6, 10),
        amount=1_000_000,
        source="current",
        document_type="cash_voucher",
        document_number="PC-01",
        payee="Chị Lò Thị Mai",
    )
    return result


def clear(estimate: Estimate, advance: Disbursement, actor: Any, **kw: Any) -> Any:
    values: dict[str, Any] = {"cleared_on": dt.date(2024, 7, 1), "document": "BK-07"}
    values.update(kw)
    return services.estimate_clear_advance(
        actor=actor, estimate_id=estimate.pk, disbursement_id=advance.pk, **values
    )


def outstanding(estimate: Estimate) -> int:
    return EstimateAccount.objects.get(estimate=estimate, source="current").advances_outstanding


def test_clearing_an_advance_is_audited_once(approved: Estimate, users: dict[str, Any]) -> None:
    advance = pay(approved, users)
    assert outstanding(approved) == 1_000_000
    clear(approved, advance, users["ketoan"])
    clear(approved, advance, users["ketoan"])  # a retry changes nothing
    advance.refresh_from_db()
    assert (advance.cleared_on, advance.clearance_document) == (dt.date(2024, 7, 1), "BK-07")
    assert outstanding(approved) == 0
    entry = AuditEntry.objects.get(estimate=approved, action="estimate.advance_cleared")
    assert (entry.actor, entry.stage, entry.amount) == (users["ketoan"], "disbursement", 1_000_000)
    assert (entry.from_status, entry.to_status) == ("approved", "approved")
    assert entry.data["document"] == "BK-07"
    approved.refresh_from_db()
    assert approved.status == "approved"


@pytest.mark.parametrize(
    ("username", "error"),
    [("hoi.silolau", Forbidden), ("tckh", Forbidden), ("pho.chutich", Forbidden)],
)
def test_only_the_accountant_clears(
    approved: Estimate, users: dict[str, Any], username: str, error: type[Exception]
) -> None:
    advance = pay(approved, users)
    with pytest.raises(error):
        clear(approved, advance, users[username])
    assert outstanding(approved) == 1_000_000
    assert not AuditEntry.objects.filter(action="estimate.advance_cleared").exists()


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"document": "  "}, "document"),
        ({"cleared_on": dt.date(2024, 6, 1)}, "cleared_on"),
        ({"cleared_on": dt.date(2999, 1, 1)}, "cleared_on"),
        ({"cleared_on": "01/07/2024"}, "cleared_on"),
    ],
)
def test_a_bad_clearance_is_refused_and_writes_nothing(
    approved: Estimate, users: dict[str, Any], changes: dict[str, Any], field: str
) -> None:
    advance = pay(approved, users)
    with pytest.raises(RuleViolation) as caught:
        clear(approved, advance, users["ketoan"], **changes)
    assert caught.value.field == field
    assert outstanding(approved) == 1_000_000
    assert not AuditEntry.objects.filter(action="estimate.advance_cleared").exists()


def test_a_payment_or_another_estimates_advance_is_not_cleared(
    plan: Plan, approved: Estimate, users: dict[str, Any]
) -> None:
    payment = pay(approved, users, kind="payment")
    with pytest.raises(RuleViolation, match="not an advance"):
        clear(approved, payment, users["ketoan"])
    other = estimate_in_status("approved", plan=plan, drafter=users["hoi.silolau"])
    advance = pay(other, users)
    with pytest.raises(RuleViolation, match="not an advance"):
        clear(approved, advance, users["ketoan"])
    assert outstanding(other) == 1_000_000


def test_clearing_after_the_estimate_moved_on_is_a_conflict(
    approved: Estimate, users: dict[str, Any]
) -> None:
    advance = pay(approved, users)
    services.estimate_settle(
        actor=users["hoi.silolau"],
        estimate_id=approved.pk,
        lines=[
            {"line_id": line.pk, "spent": 1_000_000 if line.source == "current" else 0}
            for line in approved.lines.all()
        ],
    )
    with pytest.raises(Conflict):
        clear(approved, advance, users["ketoan"])
    assert outstanding(approved) == 1_000_000


# ---------------------------------------------------------------------------------------
# subenvelope_change


def nam_xe() -> Unit:
    return Unit.objects.get(code="nam-xe")


@pytest.mark.parametrize("username", ["hoi.huyen", "tckh"])
def test_the_district_sets_a_share_and_it_is_audited(
    plan: Plan, users: dict[str, Any], username: str
) -> None:
    actor = users[username]
    services.subenvelope_change(
        actor=actor, plan=plan, commune=nam_xe(), source="current", amount=100_000_000
    )
    services.subenvelope_change(
        actor=actor, plan=plan, commune=nam_xe(), source="current", amount=150_000_000
    )
    assert SubEnvelope.objects.get(commune=nam_xe()).amount == 150_000_000
    entries = list(AuditEntry.objects.filter(action="envelope.subenvelope_set").order_by("seq"))
    assert [(e.data["from"], e.data["to"]) for e in entries] == [
        (None, 100_000_000),
        (100_000_000, 150_000_000),
    ]
    assert entries[0].actor == actor and entries[0].estimate is None


@pytest.mark.parametrize("username", ["hoi.silolau", "ketoan", "pho.chutich", "quansat"])
def test_others_may_not_set_a_share(plan: Plan, users: dict[str, Any], username: str) -> None:
    with pytest.raises(Forbidden):
        services.subenvelope_change(
            actor=users[username], plan=plan, commune=nam_xe(), source="current", amount=1
        )
    assert not SubEnvelope.objects.exists()
    assert not AuditEntry.objects.filter(action="envelope.subenvelope_set").exists()


def test_a_share_over_the_cell_writes_nothing(plan: Plan, users: dict[str, Any]) -> None:
    with pytest.raises(RuleViolation, match="more than the cell"):
        services.subenvelope_change(
            actor=users["tckh"],
            plan=plan,
            commune=nam_xe(),
            source="current",
            amount=2_559_000_001,
        )
    assert not SubEnvelope.objects.exists()
    assert not AuditEntry.objects.filter(action="envelope.subenvelope_set").exists()
