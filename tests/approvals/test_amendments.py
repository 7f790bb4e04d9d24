"""Amending an approved estimate (điều chỉnh dự toán): up and down through review,
appraisal and approval, the ledger reconciled after each; the envelope and what is
disbursed bound it; the estimate's decision stays and the amendment gets its own; rights,
one amendment open at a time, bad input refused with the field and nothing written."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.template.loader import render_to_string
from django.test.utils import CaptureQueriesContext

from approvals import services
from approvals.models import AuditEntry, Decision
from core.errors import Conflict, Forbidden, RuleViolation
from estimates.models import Amendment, AmendmentStatus, Estimate, EstimateVersion, Plan
from ledger.models import CellAccount, Entry, EstimateAccount
from ledger.selectors import ledger_reconcile
from notifications.models import OutboxEvent
from organization.permissions import unit_grants_of
from reports.decisions import amendment_decision_pdf, decision_context
from tests.factories import APPROVED_AT, estimate_in_status, lines_of

A = AmendmentStatus
CURRENT, CARRIED = 10_000_000, 2_000_000
#: When the amendment of ``test_an_amendment_up_through_approval`` is approved: after the
#: estimate's approval and its payments (05/06/2024), in the same year.
AMENDED_AT = APPROVED_AT + dt.timedelta(days=9)


@pytest.fixture
def approved(plan: Plan) -> Estimate:
    """A commune estimate approved for 10.000.000 ₫ current-year (line 1) and
    2.000.000 ₫ carried-over (line 2), 3.000.000 ₫ of line 1's source already paid."""
    estimate = estimate_in_status(
        "approved", plan=plan, lines=lines_of(("current", CURRENT), ("carried", CARRIED))
    )
    _pay(estimate, 3_000_000)
    return estimate


def _pay(estimate: Estimate, amount: int, source: str = "current") -> Any:
    from django.contrib.auth import get_user_model

    return services.estimate_disburse(
        actor=get_user_model().objects.get(username="ketoan"),
        estimate_id=estimate.pk,
        kind="payment",
        paid_on=dt.date(2024, 6, 5),
        amount=amount,
        source=source,
        document_type="withdrawal_order",
        document_number="KB-1",
        payee="Hội LHPN xã",
    )


def _line(estimate: Estimate, position: int) -> Any:
    return estimate.lines.get(position=position)


def _propose(
    estimate: Estimate,
    people: dict[str, Any],
    price: int,
    *,
    who: str = "hoi.silolau",
    **kw: Any,
) -> Amendment:
    args: dict[str, Any] = {
        "lines": [services.AmendmentLineInput(_line(estimate, 1).pk, 1, price, 1)],
        "start_date": estimate.start_date,
        "end_date": estimate.end_date,
        "reason": "Số người tham dự thay đổi",
    } | kw
    return services.amendment_propose(actor=people[who], estimate_id=estimate.pk, **args)


def _through(estimate: Estimate, people: dict[str, Any]) -> Amendment:
    services.amendment_forward(actor=people["hoi.huyen"], estimate_id=estimate.pk)
    services.amendment_appraise(actor=people["tckh"], estimate_id=estimate.pk)
    return services.amendment_approve(actor=people["pho.chutich"], estimate_id=estimate.pk)


def _commune_current(plan: Plan) -> CellAccount:
    return CellAccount.objects.get(cell__plan=plan, cell__level="commune", cell__source="current")


def _money(estimate: Estimate) -> dict[str, tuple[int, int]]:
    return {
        a.source: (a.approved, a.disbursed)
        for a in EstimateAccount.objects.filter(estimate=estimate)
    }


def _written() -> tuple[int, int, int, int, int]:
    return (
        Amendment.objects.count(),
        Entry.objects.count(),
        AuditEntry.objects.count(),
        EstimateVersion.objects.count(),
        Decision.objects.count(),
    )


def test_an_amendment_up_through_approval(
    plan: Plan, approved: Estimate, people: dict[str, Any]
) -> None:
    original = Decision.objects.get(estimate=approved)
    frozen = (original.symbol, original.amount, original.snapshot)
    committed = _commune_current(plan).committed
    amendment = _propose(approved, people, 15_000_000)
    assert amendment.status == A.REVIEW and amendment.number == 1
    approved.refresh_from_db()
    # Under review nothing of the estimate's money moves, and paying goes on.
    assert approved.status == "approved" and approved.approved_amount == CURRENT + CARRIED
    assert _money(approved)["current"] == (CURRENT, 3_000_000)
    assert _commune_current(plan).committed == committed
    _pay(approved, 1_000_000)
    assert ledger_reconcile(plan) == []

    # In the year of the estimate's decision (the factories approve on 01/06/2024), so
    # the amendment's decision is numbered from the same (issuer, year) register.
    with time_machine.travel(AMENDED_AT, tick=False):
        done = _through(approved, people)
    approved.refresh_from_db()
    assert done.status == A.APPROVED
    assert approved.status == "approved"
    assert approved.approved_amount == 15_000_000 + CARRIED
    assert _line(approved, 1).approved_amount == 15_000_000
    assert _money(approved)["current"] == (15_000_000, 4_000_000)
    assert _commune_current(plan).committed == committed + 5_000_000
    assert ledger_reconcile(plan) == []
    # The estimate's decision is as issued; the amendment has the next number.
    original.refresh_from_db()
    assert (original.symbol, original.amount, original.snapshot) == frozen
    second = Decision.objects.get(amendment=done)
    assert (second.issuer_id, second.year) == (original.issuer_id, original.year)
    assert second.number == original.number + 1
    assert second.amount == 15_000_000 + CARRIED
    assert second.snapshot["amendment"]["original_symbol"] == original.symbol
    html = render_to_string("reports/decision.html", decision_context(second.snapshot))
    assert "điều chỉnh dự toán" in html and original.symbol in html
    pdf, name = amendment_decision_pdf(done)
    assert pdf.startswith(b"%PDF") and name == f"QD-{second.number}-{second.year}.pdf"
    # The history shows both.
    actions = list(AuditEntry.objects.filter(estimate=approved).values_list("action", flat=True))
    assert "estimate.approved" in actions
    assert [a for a in actions if a.startswith("amendment.")] == [
        "amendment.proposed",
        "amendment.forwarded",
        "amendment.appraised",
        "amendment.approved",
    ]
    # Paying the increase is now possible.
    _pay(approved, 11_000_000)
    assert ledger_reconcile(plan) == []


def test_an_amendment_down_through_approval_frees_money(
    plan: Plan, approved: Estimate, people: dict[str, Any]
) -> None:
    committed = _commune_current(plan).committed
    new_start = approved.start_date + dt.timedelta(days=1)
    _propose(approved, people, 4_000_000, start_date=new_start, end_date=new_start)
    _through(approved, people)
    approved.refresh_from_db()
    assert approved.approved_amount == 4_000_000 + CARRIED
    assert (approved.start_date, approved.end_date) == (new_start, new_start)
    assert _money(approved)["current"] == (4_000_000, 3_000_000)
    assert _commune_current(plan).committed == committed - 6_000_000
    assert Entry.objects.filter(estimate=approved, kind="decommitment").get().amount == 6_000_000
    assert ledger_reconcile(plan) == []
    with pytest.raises(RuleViolation, match=r"1\.000\.000 ₫ of"):
        _pay(approved, 1_000_001)


def test_a_cut_below_what_is_disbursed_is_refused_with_the_amounts(
    approved: Estimate, people: dict[str, Any]
) -> None:
    before = _written()
    with pytest.raises(RuleViolation, match=r"2\.000\.000 ₫ is below the 3\.000\.000 ₫") as exc:
        _propose(approved, people, 2_000_000)
    assert exc.value.field == "lines"
    assert _written() == before


def test_a_cut_that_payments_overtook_is_refused_at_approval(
    plan: Plan, approved: Estimate, people: dict[str, Any]
) -> None:
    _propose(approved, people, 4_000_000)
    services.amendment_forward(actor=people["hoi.huyen"], estimate_id=approved.pk)
    services.amendment_appraise(actor=people["tckh"], estimate_id=approved.pk)
    _pay(approved, 1_500_000)
    before = _written()
    with pytest.raises(RuleViolation, match="already disbursed"):
        services.amendment_approve(actor=people["pho.chutich"], estimate_id=approved.pk)
    assert _written() == before
    assert Amendment.objects.get().status == A.APPROVAL
    assert ledger_reconcile(plan) == []


def test_an_increase_beyond_the_free_envelope_is_refused_at_approval(
    plan: Plan, approved: Estimate, people: dict[str, Any]
) -> None:
    free = _commune_current(plan).free
    _propose(approved, people, CURRENT + free + 1)
    services.amendment_forward(actor=people["hoi.huyen"], estimate_id=approved.pk)
    services.amendment_appraise(actor=people["tckh"], estimate_id=approved.pk)
    before = _written()
    with pytest.raises(RuleViolation, match="short by 1 ₫") as exc:
        services.amendment_approve(actor=people["pho.chutich"], estimate_id=approved.pk)
    assert exc.value.field == "lines"
    assert _written() == before
    approved.refresh_from_db()
    assert approved.approved_amount == CURRENT + CARRIED
    # The approver returns it; the unit may propose again.
    services.amendment_return(
        actor=people["pho.chutich"], estimate_id=approved.pk, reason="Vượt nguồn"
    )
    again = _propose(approved, people, CURRENT + 1_000)
    assert again.number == 2 and again.status == A.REVIEW


def test_one_amendment_open_at_a_time(approved: Estimate, people: dict[str, Any]) -> None:
    _propose(approved, people, 12_000_000)
    with pytest.raises(Conflict, match="Amendment 1"):
        _propose(approved, people, 13_000_000)
    services.amendment_withdraw(
        actor=people["hoi.silolau"], estimate_id=approved.pk, reason="Đề xuất lại"
    )
    assert _propose(approved, people, 13_000_000).number == 2


@pytest.mark.parametrize(
    ("who", "action"),
    [
        ("hoi.huyen", "propose"),  # the reviewer does not draft
        ("ketoan", "propose"),
        ("tckh", "forward"),  # appraisal does not review
        ("hoi.silolau", "forward"),  # the drafter does not review
        ("pho.chutich", "appraise"),
        ("tckh", "approve"),
        ("hoi.silolau", "approve"),
        ("ketoan", "return"),
    ],
)
def test_a_role_that_does_not_hold_the_step_is_refused(
    approved: Estimate, people: dict[str, Any], who: str, action: str
) -> None:
    if action != "propose":
        _propose(approved, people, 12_000_000)
    if action in {"appraise", "approve"}:
        services.amendment_forward(actor=people["hoi.huyen"], estimate_id=approved.pk)
    if action == "approve":
        services.amendment_appraise(actor=people["tckh"], estimate_id=approved.pk)
    before = _written()
    call: dict[str, Callable[[], Any]] = {
        "propose": lambda: _propose(approved, people, 12_000_000, who=who),
        "forward": lambda: services.amendment_forward(actor=people[who], estimate_id=approved.pk),
        "appraise": lambda: services.amendment_appraise(actor=people[who], estimate_id=approved.pk),
        "approve": lambda: services.amendment_approve(actor=people[who], estimate_id=approved.pk),
        "return": lambda: services.amendment_return(
            actor=people[who], estimate_id=approved.pk, reason="Không"
        ),
    }
    with pytest.raises(Forbidden):
        call[action]()
    assert _written() == before


def test_an_estimate_not_approved_cannot_be_amended(plan: Plan, people: dict[str, Any]) -> None:
    estimate = estimate_in_status("approval", plan=plan)
    with pytest.raises(Conflict):
        _propose(estimate, people, 1_000_000)
    assert Amendment.objects.count() == 0


def test_bad_input_is_refused_with_the_field_and_nothing_written(
    plan: Plan, approved: Estimate, people: dict[str, Any]
) -> None:
    other = estimate_in_status("approved", plan=plan)
    line = _line(approved, 1)
    cases: list[tuple[dict[str, Any], str, str]] = [
        (
            {"lines": [services.AmendmentLineInput(_line(other, 1).pk, 1, 5, 1)]},
            "lines[0].line_id",
            "not a line",
        ),
        (
            {"lines": [services.AmendmentLineInput(line.pk, 0, 5, 1)]},
            "lines[0].quantity",
            "above zero",
        ),
        (
            {"lines": [services.AmendmentLineInput(line.pk, 1, -5, 1)]},
            "lines[0].unit_price",
            "above zero",
        ),
        (
            {"lines": [services.AmendmentLineInput(line.pk, 1, 5, True)]},
            "lines[0].times",
            "above zero",
        ),
        (
            {"lines": [services.AmendmentLineInput(line.pk, 1, 5, 1)] * 2},
            "lines[1].line_id",
            "twice",
        ),
        (
            {"lines": [services.AmendmentLineInput(line.pk, 1, CURRENT, 1)]},
            "lines",
            "changes nothing",
        ),
        ({"end_date": approved.start_date - dt.timedelta(days=1)}, "end_date", "before the start"),
        ({"start_date": plan.period_start - dt.timedelta(days=1)}, "start_date", "plan's period"),
        ({"reason": "  "}, "comment", "reason"),
        ({"reason": "Lý do\u200b"}, "comment", "invisible"),
    ]
    before = _written()
    for changes, field, message in cases:
        with pytest.raises(RuleViolation, match=message) as exc:
            _propose(approved, people, 12_000_000, **changes)
        assert exc.value.field == field, changes
    assert _written() == before


def test_who_is_told(approved: Estimate, people: dict[str, Any]) -> None:
    _propose(approved, people, 12_000_000)
    proposed = OutboxEvent.objects.get(kind="amendment.proposed")
    assert people["hoi.huyen"].pk in proposed.recipients
    assert people["hoi.silolau"].pk not in proposed.recipients
    _through(approved, people)
    done = OutboxEvent.objects.get(kind="amendment.approved")
    assert done.recipients == [approved.created_by_id]


PINNED = {"amend": 16, "forward": 9, "appraise": 9, "approve": 20, "return": 8}


def test_each_amendment_step_costs_its_pinned_queries(plan: Plan, people: dict[str, Any]) -> None:
    from django.contrib.auth import get_user_model

    def fresh(name: str) -> Any:
        user = get_user_model().objects.get(pk=people[name].pk)
        unit_grants_of(user)
        return user

    def count(fn: Callable[[], Any]) -> int:
        with CaptureQueriesContext(connection) as ctx:
            fn()
        return len(ctx.captured_queries)

    def measure() -> dict[str, int]:
        a, b = (
            estimate_in_status("approved", plan=plan, lines=lines_of(("current", CURRENT)))
            for _ in range(2)
        )
        drafter, reviewer = fresh("hoi.silolau"), fresh("hoi.huyen")
        appraiser, approver = fresh("tckh"), fresh("pho.chutich")
        line = _line(a, 1).pk
        got = {
            "amend": count(
                lambda: services.amendment_propose(
                    actor=drafter,
                    estimate_id=a.pk,
                    lines=[services.AmendmentLineInput(line, 1, 11_000_000, 1)],
                    start_date=a.start_date,
                    end_date=a.end_date,
                    reason="Tăng",
                )
            ),
            "forward": count(lambda: services.amendment_forward(actor=reviewer, estimate_id=a.pk)),
            "appraise": count(
                lambda: services.amendment_appraise(actor=appraiser, estimate_id=a.pk)
            ),
            "approve": count(lambda: services.amendment_approve(actor=approver, estimate_id=a.pk)),
        }
        _propose(b, people, 9_000_000)
        got["return"] = count(
            lambda: services.amendment_return(actor=reviewer, estimate_id=b.pk, reason="Không")
        )
        return got

    measure()  # warm the per-process caches
    small = measure()
    assert measure() == small
    assert small == PINNED
    assert max(small.values()) <= 20


def test_the_open_amendment_waits_in_the_inbox_of_who_acts(
    approved: Estimate, people: dict[str, Any]
) -> None:
    from approvals.access import estimate_inbox_for_user

    def waiting_for(name: str) -> bool:
        return estimate_inbox_for_user(people[name]).filter(pk=approved.pk).exists()

    assert not waiting_for("hoi.huyen")
    _propose(approved, people, 12_000_000)
    assert waiting_for("hoi.huyen") and not waiting_for("tckh")
    services.amendment_forward(actor=people["hoi.huyen"], estimate_id=approved.pk)
    assert waiting_for("tckh") and not waiting_for("hoi.huyen")


def _try(name: str, user: Any, estimate: Estimate) -> bool:
    """Run the amendment service ``name`` as ``user`` with valid input, then undo it. True
    when it went through; False when the gate, segregation of duties or the state refused."""
    from django.db import transaction
    from django.http import Http404

    line = _line(estimate, 1)
    calls: dict[str, Callable[[], Any]] = {
        "amend": lambda: services.amendment_propose(
            actor=user,
            estimate_id=estimate.pk,
            lines=[services.AmendmentLineInput(line.pk, 1, 12_500_000, 1)],
            start_date=estimate.start_date,
            end_date=estimate.end_date,
            reason="Tăng",
        ),
        "amendment-forward": lambda: services.amendment_forward(
            actor=user, estimate_id=estimate.pk
        ),
        "amendment-appraise": lambda: services.amendment_appraise(
            actor=user, estimate_id=estimate.pk
        ),
        "amendment-approve": lambda: services.amendment_approve(
            actor=user, estimate_id=estimate.pk
        ),
        "amendment-return": lambda: services.amendment_return(
            actor=user, estimate_id=estimate.pk, reason="Thiếu"
        ),
        "amendment-withdraw": lambda: services.amendment_withdraw(
            actor=user, estimate_id=estimate.pk, reason="Thôi"
        ),
    }
    from approvals import lifecycle

    assert set(calls) == set(lifecycle.AMENDMENT_ACTION_NAMES)

    class Undo(Exception):
        pass

    try:
        with transaction.atomic():
            calls[name]()
            raise Undo
    except Undo:
        return True
    except (Forbidden, Conflict, Http404):
        return False


@pytest.mark.parametrize("step", ["none", A.REVIEW, A.APPRAISAL, A.APPROVAL, A.APPROVED])
def test_actions_offered_are_exactly_the_actions_the_services_allow(
    approved: Estimate, people: dict[str, Any], step: str
) -> None:
    from approvals import lifecycle
    from approvals.access import amendment_actions_allowed

    if step != "none":
        _propose(approved, people, 11_000_000)
    if step in (A.APPRAISAL, A.APPROVAL, A.APPROVED):
        services.amendment_forward(actor=people["hoi.huyen"], estimate_id=approved.pk)
    if step in (A.APPROVAL, A.APPROVED):
        services.amendment_appraise(actor=people["tckh"], estimate_id=approved.pk)
    if step == A.APPROVED:
        services.amendment_approve(actor=people["pho.chutich"], estimate_id=approved.pk)
    open_status = step if step in (A.REVIEW, A.APPRAISAL, A.APPROVAL) else None
    for username, person in sorted(people.items()):
        user = type(person).objects.get(pk=person.pk)  # no cached grants
        estimate = Estimate.objects.get(pk=approved.pk)
        offered = amendment_actions_allowed(user, estimate, open_status)
        allowed = [n for n in lifecycle.AMENDMENT_ACTION_NAMES if _try(n, user, estimate)]
        assert sorted(offered) == sorted(allowed), f"{username} at {step}"
    if step == "none":
        assert amendment_actions_allowed(people["hoi.silolau"], approved, None) == ["amend"]
