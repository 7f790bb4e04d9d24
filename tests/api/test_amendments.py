"""The amendment API: propose, forward, appraise, approve through the endpoints the
schema lists; the same access rules as the pages; refusals with the field; the decision
PDF; an action on an amendment that is no longer the open one is a conflict."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from approvals import services
from estimates.models import Estimate, Plan
from ledger.selectors import ledger_reconcile
from tests.factories import estimate_in_status, lines_of

from .conftest import Client, People

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


@pytest.fixture
def approved(plan: Plan, people: People) -> Estimate:
    estimate = estimate_in_status(
        "approved", plan=plan, lines=lines_of(("current", 10_000_000), ("carried", 2_000_000))
    )
    services.estimate_disburse(
        actor=people["ketoan"],
        estimate_id=estimate.pk,
        kind="payment",
        paid_on=dt.date(2024, 6, 5),
        amount=3_000_000,
        source="current",
        document_type="withdrawal_order",
        document_number="KB-1",
        payee="Hội LHPN xã",
    )
    return estimate


def _body(estimate: Estimate, price: int, **kw: Any) -> dict[str, Any]:
    line = estimate.lines.get(position=1)
    return {
        "estimate": estimate.pk,
        "lines": [{"line_id": line.pk, "quantity": 1, "unit_price": price, "times": 1}],
        "start_date": estimate.start_date.isoformat(),
        "end_date": estimate.end_date.isoformat(),
        "reason": "Tăng số người tham dự",
    } | kw


def test_an_amendment_through_the_api(
    api: Client, approved: Estimate, plan: Plan, people: People
) -> None:
    answer = api("hoi.silolau").post(
        "/api/v1/amendments/", _body(approved, 14_000_000), format="json", **EN
    )
    assert answer.status_code == 201, answer.content
    data = answer.json()
    pk = data["id"]
    assert (data["number"], data["status"], data["previous_total"], data["total"]) == (
        1,
        "amend_review",
        12_000_000,
        16_000_000,
    )
    assert data["actions"] == ["withdraw"]
    assert api("hoi.huyen").get(f"/api/v1/amendments/{pk}/").json()["actions"] == [
        "forward",
        "return",
    ]
    for who, step in (("hoi.huyen", "forward"), ("tckh", "appraise"), ("pho.chutich", "approve")):
        answer = api(who).post(f"/api/v1/amendments/{pk}/{step}/", {}, format="json", **EN)
        assert answer.status_code == 200, (step, answer.content)
    data = answer.json()
    assert data["status"] == "amend_approved" and data["decision"]["amount"] == 16_000_000
    assert ledger_reconcile(plan) == []
    listed = api("hoi.silolau").get(f"/api/v1/amendments/?estimate={approved.pk}").json()
    assert [a["id"] for a in listed["results"]] == [pk]
    pdf = api("hoi.silolau").get(
        f"/api/v1/amendments/{pk}/decision/", HTTP_ACCEPT="application/pdf"
    )
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")


def test_refusals_name_the_field_and_write_nothing(api: Client, approved: Estimate) -> None:
    client = api("hoi.silolau")
    cut = client.post("/api/v1/amendments/", _body(approved, 2_000_000), format="json", **EN)
    assert cut.status_code == 400
    assert "below the 3.000.000 ₫ already disbursed" in cut.content.decode()
    assert (
        "lines" in cut.json()["errors"]
        if "errors" in cut.json()
        else "lines" in cut.content.decode()
    )
    zero = client.post("/api/v1/amendments/", _body(approved, 0), format="json", **EN)
    assert zero.status_code == 400 and "unit_price" in zero.content.decode()
    assert client.get("/api/v1/amendments/").json()["count"] == 0


def test_access_rules(api: Client, approved: Estimate) -> None:
    assert (
        api("hoi.huyen")
        .post("/api/v1/amendments/", _body(approved, 11_000_000), format="json")
        .status_code
        == 403
    )
    assert (
        api("hoi.namxe")
        .post("/api/v1/amendments/", _body(approved, 11_000_000), format="json")
        .status_code
        == 404
    )
    pk = (
        api("hoi.silolau")
        .post("/api/v1/amendments/", _body(approved, 11_000_000), format="json")
        .json()["id"]
    )
    assert api("hoi.namxe").get(f"/api/v1/amendments/{pk}/").status_code == 404
    assert (
        api("tckh").post(f"/api/v1/amendments/{pk}/approve/", {}, format="json").status_code == 403
    )
    again = api("hoi.silolau").post(
        "/api/v1/amendments/", _body(approved, 12_000_000), format="json"
    )
    assert again.status_code == 409
    api("hoi.silolau").post(
        f"/api/v1/amendments/{pk}/withdraw/", {"reason": "Làm lại"}, format="json"
    )
    second = api("hoi.silolau").post(
        "/api/v1/amendments/", _body(approved, 12_000_000), format="json"
    )
    assert second.status_code == 201
    # The first one is closed: acting on it is a conflict, not an act on the second.
    stale = api("hoi.huyen").post(f"/api/v1/amendments/{pk}/forward/", {}, format="json")
    assert stale.status_code == 409
    assert (
        api("hoi.silolau").get(f"/api/v1/amendments/{second.json()['id']}/").json()["status"]
        == "amend_review"
    )
