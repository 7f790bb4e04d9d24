"""The amendment pages: the proposal form with the lines, the amendment's page with its
actions for each role, the decision PDF, the estimate page listing both decisions; bad
input back on the form with the field's message; the wrong role refused."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from approvals import services
from approvals.models import Decision
from estimates.models import Amendment, Estimate, Plan
from ledger.selectors import ledger_reconcile
from tests.factories import estimate_in_status


@pytest.fixture
def approved(plan: Plan, users: dict[str, Any]) -> Estimate:
    """An approved Sì Lở Lầu estimate: line 1 is 2 × 1.500.000 ₫ current-year, line 2
    50 × 20.000 × 2 carried-over; 2.000.000 ₫ of the current year already paid."""
    estimate = estimate_in_status("approved", plan=plan, drafter=users["hoi.silolau"])
    services.estimate_disburse(
        actor=users["ketoan"],
        estimate_id=estimate.pk,
        kind="payment",
        paid_on=dt.date(2024, 6, 5),
        amount=2_000_000,
        source="current",
        document_type="withdrawal_order",
        document_number="KB-1",
        payee="Hội LHPN xã",
    )
    return estimate


def _as(client: Client, user: Any) -> Client:
    client.force_login(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"  # logging out drops the cookies
    return client


def _posted(estimate: Estimate, **changes: str) -> dict[str, str]:
    data = {
        "start_date": estimate.start_date.strftime("%d/%m/%Y"),
        "end_date": estimate.end_date.strftime("%d/%m/%Y"),
        "reason": "Thêm người tham dự",
    }
    for line in estimate.lines.all():
        data[f"line-{line.pk}-quantity"] = str(line.quantity)
        data[f"line-{line.pk}-unit_price"] = str(line.unit_price)
        data[f"line-{line.pk}-times"] = str(line.times)
    return data | changes


def test_an_amendment_through_the_pages(
    client: Client, users: dict[str, Any], approved: Estimate, plan: Plan
) -> None:
    line = approved.lines.get(position=1)
    amend = reverse("estimates:amend", args=[approved.pk])
    page = _as(client, users["hoi.silolau"]).get(reverse("estimates:detail", args=[approved.pk]))
    assert amend in page.content.decode()
    form = client.get(amend)
    assert form.status_code == 200 and "Propose the amendment" in form.content.decode()
    answer = client.post(amend, _posted(approved, **{f"line-{line.pk}-quantity": "3"}))
    detail = reverse("estimates:amendment", args=[approved.pk, 1])
    assert answer.status_code == 302 and answer["Location"] == detail
    shown = client.get(detail).content.decode()
    assert "Amendment awaiting review" in shown and "5.000.000 ₫ → " in shown

    steps = [
        ("hoi.huyen", "amendment_forward", {}),
        ("tckh", "amendment_appraise", {}),
        ("pho.chutich", "amendment_approve", {"confirm": "on"}),
    ]
    for who, name, data in steps:
        client.logout()
        page = _as(client, users[who]).get(detail).content.decode()
        url = reverse(f"estimates:{name}", args=[approved.pk])
        assert url in page, name
        assert client.post(url, data).status_code == 302, name
    approved.refresh_from_db()
    assert approved.approved_amount == 6_500_000
    assert ledger_reconcile(plan) == []
    decision = Decision.objects.get(amendment__estimate=approved)
    pdf = client.get(reverse("estimates:amendment_decision", args=[approved.pk, 1]))
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    page = client.get(reverse("estimates:detail", args=[approved.pk])).content.decode()
    assert decision.symbol in page and "amendment approved" in page


def test_bad_input_comes_back_on_the_form(
    client: Client, users: dict[str, Any], approved: Estimate
) -> None:
    line = approved.lines.get(position=1)
    amend = reverse("estimates:amend", args=[approved.pk])
    _as(client, users["hoi.silolau"])
    cases = [
        ({f"line-{line.pk}-quantity": "0"}, "greater than or equal to 1"),
        ({f"line-{line.pk}-unit_price": "1.5"}, "whole number"),
        ({"reason": ""}, "required"),
        ({"end_date": "01/01/2024"}, "before the start date"),
        ({}, "changes nothing"),
        ({f"line-{line.pk}-quantity": "1"}, "below the 2.000.000 ₫ already disbursed"),
    ]
    for changes, message in cases:
        answer = client.post(amend, _posted(approved, **changes))
        assert answer.status_code == 400, changes
        assert message in answer.content.decode(), changes
    assert Amendment.objects.count() == 0


def test_the_wrong_role_is_refused(
    client: Client, users: dict[str, Any], approved: Estimate
) -> None:
    amend = reverse("estimates:amend", args=[approved.pk])
    line = approved.lines.get(position=1)
    assert _as(client, users["hoi.huyen"]).get(amend).status_code == 403
    assert client.post(amend, _posted(approved)).status_code == 403
    client.logout()
    _as(client, users["hoi.silolau"]).post(
        amend, _posted(approved, **{f"line-{line.pk}-quantity": "3"})
    )
    approve = reverse("estimates:amendment_approve", args=[approved.pk])
    assert client.post(approve, {"confirm": "on"}).status_code == 403
    client.logout()
    other = _as(client, users["hoi.namxe"])
    assert other.get(reverse("estimates:amendment", args=[approved.pk, 1])).status_code == 404
    assert Amendment.objects.get().status == "amend_review"


def _queries(client: Client, url: str) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_the_pages_cost_the_same_whatever_the_number_of_lines_and_amendments(
    client: Client, users: dict[str, Any], plan: Plan
) -> None:
    from tests.factories import lines_of

    def amended(n_lines: int, n_amendments: int) -> Estimate:
        estimate = estimate_in_status(
            "approved",
            plan=plan,
            drafter=users["hoi.silolau"],
            lines=lines_of(*[("current", 1_000_000)] * n_lines),
        )
        for k in range(n_amendments):
            services.amendment_propose(
                actor=users["hoi.silolau"],
                estimate_id=estimate.pk,
                lines=[
                    services.AmendmentLineInput(line.pk, 1, 1_000_000 + k + 1, 1)
                    for line in estimate.lines.all()
                ],
                start_date=estimate.start_date,
                end_date=estimate.end_date,
                reason="Điều chỉnh",
            )
            if k < n_amendments - 1:
                services.amendment_withdraw(
                    actor=users["hoi.silolau"], estimate_id=estimate.pk, reason="Làm lại"
                )
        return estimate

    small, large = amended(1, 1), amended(6, 3)
    _as(client, users["hoi.huyen"])
    for name, args_small, args_large in (
        ("estimates:amendment", [small.pk, 1], [large.pk, 3]),
        ("estimates:detail", [small.pk], [large.pk]),
    ):
        _queries(client, reverse(name, args=args_small))  # warm the caches
        assert _queries(client, reverse(name, args=args_small)) == _queries(
            client, reverse(name, args=args_large)
        ), name
