"""The forms with lines (drafting, appraisal, settlement) report every line's refusal at
once, each at its line and field, from the form and from the service alike; and they carry
what the running totals need (a static script, no inline code)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from approvals import services
from core.errors import RuleViolation
from estimates.models import Estimate, Plan
from ledger.models import Settlement
from tests.factories import (
    commune,
    estimate_form_data,
    estimate_in_status,
    estimate_input,
    line_input,
)

LINE = {
    "description": "Nước uống",
    "unit_of_measure": "người",
    "quantity": "50",
    "unit_price": "20.000",
    "times": "2",
    "source": "carried",
}
HUGE = {**LINE, "quantity": "1000000", "unit_price": "1.000.000.000.000", "times": "10"}


def test_the_service_refuses_every_bad_line_at_once(plan: Plan, users: dict[str, Any]) -> None:
    data = estimate_input(
        plan,
        commune("si-lo-lau"),
        lines=[
            line_input(quantity=0),
            line_input(),
            line_input(source="nowhere", unit_price=-1),
        ],
    )
    with pytest.raises(RuleViolation) as refused:
        services.estimate_create(
            actor=users["hoi.silolau"], plan=plan, unit=commune("si-lo-lau"), data=data
        )
    fields = [field for field, _message in refused.value.errors]
    assert fields == ["lines[0].quantity", "lines[2].unit_price", "lines[2].source"]
    messages = [message for _field, message in refused.value.errors]
    assert messages[0].startswith("Line 1:") and messages[1].startswith("Line 3:")
    assert not Estimate.objects.exists()


def test_the_estimate_form_shows_the_services_refusal_of_each_line(
    plan: Plan, client: Client, users: dict[str, Any]
) -> None:
    client.force_login(users["hoi.silolau"])
    data = estimate_form_data(plan, commune("si-lo-lau"), lines=[HUGE, LINE, HUGE])
    response = client.post(reverse("estimates:create"), data)
    assert response.status_code == 400
    forms = response.context["formset"].forms
    assert any("Line 1:" in e for e in forms[0].non_field_errors())
    assert not forms[1].errors
    assert any("Line 3:" in e for e in forms[2].non_field_errors())
    assert not Estimate.objects.exists()


def test_the_estimate_form_has_running_totals_per_source(
    plan: Plan, client: Client, users: dict[str, Any]
) -> None:
    client.force_login(users["hoi.silolau"])
    html = client.get(reverse("estimates:create")).content.decode()
    assert "data-totals" in html and "data-by-source" in html and "data-total" in html
    assert "js/estimate-form.js" in html


@pytest.fixture
def in_appraisal_two(plan: Plan, users: dict[str, Any]) -> Estimate:
    estimate = estimate_in_status("appraisal", plan=plan, drafter=users["hoi.silolau"])
    assert estimate.lines.count() >= 2
    return estimate


def test_the_appraisal_form_shows_every_lines_error_at_once(
    client: Client, users: dict[str, Any], in_appraisal_two: Estimate
) -> None:
    first, second = list(in_appraisal_two.lines.order_by("position"))[:2]
    data = {f"line-{line.pk}": str(line.amount) for line in in_appraisal_two.lines.all()}
    data[f"line-{first.pk}"] = "1,5 triệu"  # not a number
    data[f"line-{second.pk}"] = str(second.amount + 1)  # raised
    client.force_login(users["tckh"])
    response = client.post(reverse("estimates:appraise", args=[in_appraisal_two.pk]), data)
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert errors[f"line-{first.pk}"]
    assert "never raise" in errors[f"line-{second.pk}"][0]
    in_appraisal_two.refresh_from_db()
    assert in_appraisal_two.status == "appraisal"


def test_the_appraisal_form_asks_each_changed_lines_reason_at_its_box(
    client: Client, users: dict[str, Any], in_appraisal_two: Estimate
) -> None:
    first, second = list(in_appraisal_two.lines.order_by("position"))[:2]
    data = {f"line-{line.pk}": str(line.amount) for line in in_appraisal_two.lines.all()}
    data[f"line-{first.pk}"] = str(first.amount - 1)
    data[f"line-{second.pk}"] = str(second.amount - 1)
    client.force_login(users["tckh"])
    response = client.post(reverse("estimates:appraise", args=[in_appraisal_two.pk]), data)
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert "Line 1: give the reason" in errors[f"reason-{first.pk}"][0]
    assert "Line 2: give the reason" in errors[f"reason-{second.pk}"][0]
    html = response.content.decode()
    assert "data-totals" in html and "data-amount" in html and "js/estimate-form.js" in html


def test_the_appraisal_service_refuses_every_bad_line_at_once(
    users: dict[str, Any], in_appraisal_two: Estimate
) -> None:
    first, second = list(in_appraisal_two.lines.order_by("position"))[:2]
    with pytest.raises(RuleViolation) as refused:
        services.estimate_appraise(
            actor=users["tckh"],
            estimate_id=in_appraisal_two.pk,
            cuts=[
                services.LineCut(first.pk, first.amount + 1),
                services.LineCut(second.pk, second.amount - 1),
            ],
        )
    assert [f for f, _m in refused.value.errors] == [f"line-{first.pk}", f"reason-{second.pk}"]
    in_appraisal_two.refresh_from_db()
    assert in_appraisal_two.status == "appraisal"
    assert in_appraisal_two.lines.filter(appraised_amount__isnull=False).count() == 0


def test_the_settlement_form_shows_every_overspent_line_at_once(
    client: Client, users: dict[str, Any], plan: Plan
) -> None:
    approved = estimate_in_status("approved", plan=plan, drafter=users["hoi.silolau"])
    lines = list(approved.lines.order_by("position"))
    for line in lines:
        services.estimate_disburse(
            actor=users["ketoan"],
            estimate_id=approved.pk,
            kind="payment",
            paid_on=dt.date(2024, 6, 10),  # after its approval, within the carried funds' use
            amount=line.approved_amount,
            source=line.source,
            document_type="payment_order",
            document_number="UNC-1",
            payee="Nhà văn hoá",
        )
    data = {f"spent-{line.pk}": str(line.approved_amount + 1) for line in lines}
    data.update({f"note-{line.pk}": "" for line in lines})
    data.update({"returned": "0", "carried": "0"})
    client.force_login(users["hoi.silolau"])
    response = client.post(reverse("estimates:settle", args=[approved.pk]), data)
    assert response.status_code == 400
    errors = response.context["form"].errors
    for line in lines:
        assert f"Line {line.position}:" in errors[f"spent-{line.pk}"][0]
    html = response.content.decode()
    assert "data-label-diff" in html and "js/settle.js" in html
    assert not Settlement.objects.filter(estimate=approved).exists()


def test_the_settlement_service_names_each_lines_field(users: dict[str, Any], plan: Plan) -> None:
    approved = estimate_in_status("approved", plan=plan, drafter=users["hoi.silolau"])
    lines = list(approved.lines.order_by("position"))
    with pytest.raises(RuleViolation) as refused:
        services.estimate_settle(
            actor=users["hoi.silolau"],
            estimate_id=approved.pk,
            lines=[{"line_id": ln.pk, "spent": (ln.approved_amount or 0) + 1} for ln in lines],
        )
    assert [f for f, _m in refused.value.errors] == [f"lines[{n}].spent" for n in range(len(lines))]
