"""Each transition costs an exact, pinned number of queries (on PostgreSQL, the savepoint of
its transaction included), at most 20, however many estimates exist.

The actor's grants are read before the service runs, as every caller does (the page or the
API endpoint reads the estimate through the access gate first, which loads them once per
request)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext

from approvals import services
from estimates.models import Estimate, Plan
from organization.models import Unit
from organization.permissions import unit_grants_of
from tests.factories import estimate_input, estimates_bulk

#: The pinned counts. A change that adds (or removes) a query to a transition changes
#: these knowingly.
PINNED = {
    "create": 17,  # the commune in the plan's area
    "update": 17,  # + whether the estimate lists beneficiaries
    "submit": 15,
    "forward": 12,
    "return": 11,
    "appraise": 19,
    "approve": 20,
    "withdraw": 14,  # + which of its beneficiaries it releases (none here: no update)
    "disburse": 12,
    "clear-advance": 10,
    "settle": 17,  # a first settlement has no lines to replace; its row read with the lock
    "verify-settlement": 19,
    "return-settlement": 12,
}
CEILING = 20


def _fresh(user: Any) -> Any:
    """The user as a new request sees them, grants read by the gate."""
    fresh = get_user_model().objects.get(pk=user.pk)
    unit_grants_of(fresh)
    return fresh


def _count(fn: Callable[[], Any]) -> tuple[int, list[str]]:
    with CaptureQueriesContext(connection) as ctx:
        fn()
    return len(ctx.captured_queries), [q["sql"][:160] for q in ctx.captured_queries]


def _pay(estimate: Estimate, accountant: Any, *, kind: str, amount: int) -> Any:
    return services.estimate_disburse(
        actor=accountant,
        estimate_id=estimate.pk,
        kind=kind,
        paid_on=dt.date(2024, 6, 5),
        amount=amount,
        source="current",
        document_type="withdrawal_order",
        document_number="KB-1",
        payee="Hội LHPN xã",
    )


def _settlement(estimate: Estimate) -> list[dict[str, Any]]:
    """Spent: what was paid (the current year's line, paid in full; nothing else)."""
    return [
        {
            "line_id": line.pk,
            "spent": (line.approved_amount or 0) if line.source == "current" else 0,
            "note": "",
        }
        for line in estimate.lines.order_by("position")
    ]


def _measure(plan: Plan, make: Callable[..., Estimate], people: dict[str, Any]) -> dict[str, Any]:
    who = {name: _fresh(people[name]) for name in people}
    drafter, reviewer, appraiser = who["hoi.silolau"], who["hoi.huyen"], who["tckh"]
    approver, accountant = who["pho.chutich"], who["ketoan"]
    draft, draft2 = make("draft"), make("draft")
    review, review2, review3 = make("review"), make("review"), make("review")
    appraisal, approval = make("appraisal"), make("approval")
    approved, paid, settling, settling2 = (make("approved") for _ in range(4))
    current = sum(line.approved_amount or 0 for line in paid.lines.filter(source="current"))
    advance = _pay(approved, people["ketoan"], kind="advance", amount=1_000)
    for est in (paid, settling, settling2):
        _pay(est, people["ketoan"], kind="payment", amount=current)
    for est in (settling, settling2):
        services.estimate_settle(
            actor=people["hoi.silolau"], estimate_id=est.pk, lines=_settlement(est)
        )
    unit = Unit.objects.get(code="si-lo-lau")
    typed = estimate_input(plan, unit)
    spent = _settlement(paid)
    steps: dict[str, Callable[[], Any]] = {
        "create": lambda: services.estimate_create(actor=drafter, plan=plan, unit=unit, data=typed),
        "update": lambda: services.estimate_update(
            actor=drafter, estimate_id=draft2.pk, data=typed
        ),
        "submit": lambda: services.estimate_submit(actor=drafter, estimate_id=draft.pk),
        "forward": lambda: services.estimate_forward(actor=reviewer, estimate_id=review.pk),
        "return": lambda: services.estimate_return(
            actor=reviewer, estimate_id=review2.pk, reason="Bổ sung"
        ),
        "appraise": lambda: services.estimate_appraise(actor=appraiser, estimate_id=appraisal.pk),
        "approve": lambda: services.estimate_approve(actor=approver, estimate_id=approval.pk),
        "withdraw": lambda: services.estimate_withdraw(
            actor=drafter, estimate_id=review3.pk, reason="Không thực hiện"
        ),
        "disburse": lambda: _pay(approved, accountant, kind="payment", amount=1_000),
        "clear-advance": lambda: services.estimate_clear_advance(
            actor=accountant,
            estimate_id=approved.pk,
            disbursement_id=advance.pk,
            cleared_on=dt.date(2024, 6, 20),
            document="Bảng kê chứng từ 01",
        ),
        "settle": lambda: services.estimate_settle(actor=drafter, estimate_id=paid.pk, lines=spent),
        "verify-settlement": lambda: services.estimate_verify_settlement(
            actor=appraiser, estimate_id=settling.pk
        ),
        "return-settlement": lambda: services.estimate_return_settlement(
            actor=appraiser, estimate_id=settling2.pk, reason="Thiếu chứng từ"
        ),
    }
    return {name: _count(step) for name, step in steps.items()}


def test_every_transition_costs_its_pinned_queries_whatever_the_data(
    plan: Plan, make_estimate: Callable[..., Estimate], people: dict[str, Any]
) -> None:
    _measure(plan, make_estimate, people)  # warm the per-process caches (content types)
    estimates_bulk(make_estimate("draft"), 10)
    small = _measure(plan, make_estimate, people)
    estimates_bulk(make_estimate("draft"), 500)
    large = _measure(plan, make_estimate, people)
    counts = {name: n for name, (n, _sql) in large.items()}
    assert counts == {name: n for name, (n, _sql) in small.items()}, "grows with the data"
    detail = "\n".join(f"{name}: {n}\n  " + "\n  ".join(sql) for name, (n, sql) in large.items())
    assert counts == PINNED, detail
    assert {name: n for name, n in counts.items() if n > CEILING} == {}
