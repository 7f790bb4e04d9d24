"""Happy paths of the stages that move money: appraise, approve, return from approval,
withdraw after appraisal. They call ``ledger.services`` (ledger_reserve, ledger_commit,
ledger_release, norm_check_line), which lives on the ledger branch: these tests pass once
the ledger is merged, and fail with ``ModuleNotFoundError: ledger`` before."""

from __future__ import annotations

from typing import Any

from django.test import Client
from django.urls import reverse

from estimates.models import Estimate, Plan
from tests.factories import estimate_in_status


def appraisal_data(estimate: Estimate, **changes: str) -> dict[str, str]:
    data = {f"line-{line.pk}": str(line.amount) for line in estimate.lines.all()}
    data.update(changes)
    return data


def test_appraise_lowers_a_line_with_its_reason_and_sends_for_approval(
    client: Client, users: dict[str, Any], in_appraisal: Estimate
) -> None:
    hall = in_appraisal.lines.order_by("position").first()
    assert hall is not None
    client.force_login(users["tckh"])
    data = appraisal_data(
        in_appraisal,
        **{f"line-{hall.pk}": "2.500.000", f"reason-{hall.pk}": "Theo định mức hội trường xã"},
    )
    response = client.post(reverse("estimates:appraise", args=[in_appraisal.pk]), data)
    assert response.status_code == 302
    in_appraisal.refresh_from_db()
    hall.refresh_from_db()
    assert in_appraisal.status == "approval"
    assert hall.appraised_amount == 2_500_000
    assert in_appraisal.appraised_amount == 2_500_000 + 2_000_000
    html = client.get(reverse("estimates:detail", args=[in_appraisal.pk])).content.decode()
    assert "Theo định mức hội trường xã" in html
    assert "4.500.000 ₫" in html


def test_approve_after_confirming(plan: Plan, client: Client, users: dict[str, Any]) -> None:
    estimate = estimate_in_status("approval", plan=plan, drafter=users["hoi.silolau"])
    client.force_login(users["pho.chutich"])
    html = client.get(reverse("estimates:detail", args=[estimate.pk])).content.decode()
    assert reverse("estimates:approve", args=[estimate.pk]) in html
    response = client.post(
        reverse("estimates:approve", args=[estimate.pk]), {"confirm": "on", "comment": "Đồng ý"}
    )
    assert response.status_code == 302
    estimate.refresh_from_db()
    assert estimate.status == "approved"
    assert estimate.approved_amount == estimate.appraised_amount == 5_000_000
    html = client.get(reverse("estimates:detail", args=[estimate.pk])).content.decode()
    assert html.count("5.000.000 ₫") >= 3  # requested, appraised and approved totals


def test_a_second_approve_is_a_conflict(plan: Plan, client: Client, users: dict[str, Any]) -> None:
    estimate = estimate_in_status("approval", plan=plan, drafter=users["hoi.silolau"])
    client.force_login(users["pho.chutich"])
    url = reverse("estimates:approve", args=[estimate.pk])
    assert client.post(url, {"confirm": "on"}).status_code == 302
    assert client.post(url, {"confirm": "on"}).status_code == 409


def test_the_approver_returns_to_appraisal(
    plan: Plan, client: Client, users: dict[str, Any]
) -> None:
    estimate = estimate_in_status("approval", plan=plan, drafter=users["hoi.silolau"])
    client.force_login(users["pho.chutich"])
    response = client.post(
        reverse("estimates:return", args=[estimate.pk]),
        {"reason": "Xem lại dòng hội trường", "to": "appraisal"},
    )
    assert response.status_code == 302
    estimate.refresh_from_db()
    assert estimate.status == "appraisal"


def test_withdraw_after_appraisal(plan: Plan, client: Client, users: dict[str, Any]) -> None:
    estimate = estimate_in_status("approval", plan=plan, drafter=users["hoi.silolau"])
    client.force_login(users["hoi.silolau"])
    response = client.post(
        reverse("estimates:withdraw", args=[estimate.pk]),
        {"reason": "Không tổ chức nữa", "confirm": "on"},
    )
    assert response.status_code == 302
    estimate.refresh_from_db()
    assert estimate.status == "withdrawn"
