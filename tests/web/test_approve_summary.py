"""The approver sees the amount before anything else: what was asked, what appraisal
changed and why, the amount per source in figures and words, the envelope left after it,
and a confirmation that states the amount, on the estimate page and on the approve page."""

from __future__ import annotations

from typing import Any

from django.test import Client

from approvals import services
from core.money import format_vnd
from core.words import amount_in_words
from estimates.models import Estimate, Plan
from ledger.selectors import cell_balances
from tests.factories import estimate_in_status


def _cut(plan: Plan, users: dict[str, Any]) -> Estimate:
    """Appraised with its first line cut, with a reason."""
    estimate = estimate_in_status("appraisal", plan=plan, drafter=users["hoi.silolau"])
    first = estimate.lines.order_by("position").first()
    assert first is not None
    services.estimate_appraise(
        actor=users["tckh"],
        estimate_id=estimate.pk,
        cuts=[services.LineCut(first.pk, first.amount - 100_000, "Giảm theo định mức")],
    )
    estimate.refresh_from_db()
    return estimate


def test_the_estimate_page_opens_on_the_amount_to_approve(
    client: Client, plan: Plan, users: dict[str, Any]
) -> None:
    estimate = _cut(plan, users)
    client.force_login(users["pho.chutich"])
    html = client.get(f"/estimates/{estimate.pk}/").content.decode()
    amount = format_vnd(estimate.appraised_amount)
    summary = html.index('id="to-approve"')
    assert summary < html.index("Spending unit")  # above the estimate's particulars
    assert amount in html[summary:]
    assert amount_in_words(estimate.appraised_amount or 0) in html
    assert "Giảm theo định mức" in html[summary:]  # what appraisal changed, and why
    free = {(c.level, c.source): c.free for c in cell_balances(plan)}
    assert format_vnd(free[("commune", "current")]) in html[summary:]
    bar = html.index("approve-bar")
    assert f"I approve {amount}" in html[bar:]


def test_the_approve_page_states_the_amount_too(
    client: Client, plan: Plan, users: dict[str, Any]
) -> None:
    estimate = _cut(plan, users)
    client.force_login(users["pho.chutich"])
    html = client.get(f"/estimates/{estimate.pk}/approve/").content.decode()
    amount = format_vnd(estimate.appraised_amount)
    assert html.index(amount) < html.rindex(">Approve</button>")
    assert f"I approve {amount}" in html


def test_others_do_not_get_the_approval_summary(
    client: Client, plan: Plan, users: dict[str, Any]
) -> None:
    estimate = _cut(plan, users)
    client.force_login(users["hoi.huyen"])
    assert 'id="to-approve"' not in client.get(f"/estimates/{estimate.pk}/").content.decode()
