"""The endpoints that move money: appraise and approve (which reserve and commit on the
ledger), disburse, settle, verify-settlement, and the disbursement and settlement lists.

They run through the ledger (``ledger.services``) and the approvals services that wrap
it (``estimate_disburse``, ``estimate_settle``, ``estimate_verify_settlement``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from approvals.models import AuditEntry
from core.text import field_limit
from estimates.models import Estimate
from ledger.models import Disbursement, Settlement, SettlementLine
from tests.texts import composed, decomposed

from .conftest import Client

Make = Callable[..., Estimate]


def _count(est: Estimate, action: str) -> int:
    return AuditEntry.objects.filter(estimate=est, action=action).count()


def _disbursement(est: Estimate, **kw: Any) -> dict[str, Any]:
    body = {
        "kind": "payment",
        "paid_on": "2024-06-03",
        "amount": 1_200_000,
        "source": "current",
        "document_type": "payment_order",
        "document_number": "UNC-0001",
        "payee": "Hội LHPN xã Sì Lở Lầu",
        "note": "Thanh toán",
    }
    body.update(kw)
    return body


# --------------------------------------------------------------------------------------
# Appraise and approve


def test_appraise_with_a_cut_then_approve(api: Client, make_estimate: Make) -> None:
    est = make_estimate("appraisal")
    first, _second = est.lines.order_by("position")
    response = api("tckh").post(
        f"/api/v1/estimates/{est.pk}/appraise/",
        {
            "cuts": [
                {"line_id": first.pk, "appraised_amount": 1_000_000, "reason": "Giảm số người"}
            ],
            "comment": "Đạt",
        },
        HTTP_IDEMPOTENCY_KEY="appraise-1",
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["status"], body["appraised_amount"]) == ("approval", 1_000_000 + 450_000)
    assert body["lines"][0]["appraisal_note"] == "Giảm số người"
    replay = api("tckh").post(
        f"/api/v1/estimates/{est.pk}/appraise/",
        {
            "cuts": [
                {"line_id": first.pk, "appraised_amount": 1_000_000, "reason": "Giảm số người"}
            ],
            "comment": "Đạt",
        },
        HTTP_IDEMPOTENCY_KEY="appraise-1",
    )
    assert replay.json() == body
    assert _count(est, "estimate.appraised") == 1

    assert api("hoi.silolau").post(f"/api/v1/estimates/{est.pk}/approve/").status_code == 403
    assert api("hoi.namxe").post(f"/api/v1/estimates/{est.pk}/approve/").status_code == 404
    approved = api("pho.chutich").post(f"/api/v1/estimates/{est.pk}/approve/", {})
    assert approved.status_code == 200, approved.json()
    assert (approved.json()["status"], approved.json()["approved_amount"]) == (
        "approved",
        1_450_000,
    )
    again = api("pho.chutich").post(f"/api/v1/estimates/{est.pk}/approve/", {})
    assert again.status_code == 409


def test_approval_returns_to_appraisal(api: Client, make_estimate: Make) -> None:
    est = make_estimate("approval")
    response = api("pho.chutich").post(
        f"/api/v1/estimates/{est.pk}/return/", {"reason": "Thẩm định lại"}
    )
    assert response.status_code == 200
    assert response.json()["status"] == "appraisal"


def test_withdrawal_during_approval_releases_the_reservation(
    api: Client, make_estimate: Make
) -> None:
    est = make_estimate("approval")
    response = api("hoi.silolau").post(
        f"/api/v1/estimates/{est.pk}/withdraw/", {"reason": "Không tổ chức"}
    )
    assert response.status_code == 200
    assert response.json()["status"] == "withdrawn"


# --------------------------------------------------------------------------------------
# Disburse, settle, verify


def test_disburse_settle_verify_through_the_api(api: Client, make_estimate: Make) -> None:
    est = make_estimate("approved")
    url = f"/api/v1/estimates/{est.pk}"
    # the wrong people, the wrong commune
    assert api("hoi.silolau").post(f"{url}/disburse/", _disbursement(est)).status_code == 403
    assert api("hoi.namxe").post(f"{url}/disburse/", _disbursement(est)).status_code == 404
    assert api("pho.chutich").post(f"{url}/disburse/", _disbursement(est)).status_code == 403

    paid = api("ketoan").post(f"{url}/disburse/", _disbursement(est), HTTP_IDEMPOTENCY_KEY="p1")
    assert paid.status_code == 200, paid.json()
    retry = api("ketoan").post(f"{url}/disburse/", _disbursement(est), HTTP_IDEMPOTENCY_KEY="p1")
    assert retry.json() == paid.json()
    carried = _disbursement(est, source="carried", amount=450_000, document_number="UNC-2")
    assert api("ketoan").post(f"{url}/disburse/", carried).status_code == 200
    assert _count(est, "estimate.disbursed") == 2

    listed = api("ketoan").get(f"/api/v1/disbursements/?estimate={est.pk}").json()
    assert sorted(d["amount"] for d in listed["results"]) == [450_000, 1_200_000]
    assert api("hoi.namxe").get("/api/v1/disbursements/").json()["count"] == 0

    too_much = _disbursement(est, amount=1, document_number="UNC-3")
    refused = api("ketoan").post(f"{url}/disburse/", too_much)
    assert refused.status_code == 400
    assert refused.json()["detail"]

    lines = [
        {"line_id": line.pk, "spent": line.approved_amount, "note": ""}
        for line in est.lines.order_by("position")
    ]
    settled = api("hoi.silolau").post(
        f"{url}/settle/", {"lines": lines, "returned": 0, "carried": 0}
    )
    assert settled.status_code == 200, settled.json()
    assert settled.json()["status"] == "settlement"
    # a settlement sent back for correction, then submitted again
    assert api("tckh").post(f"{url}/return-settlement/", {"reason": ""}).status_code == 400
    sent_back = api("tckh").post(f"{url}/return-settlement/", {"reason": "Thiếu hóa đơn"})
    assert sent_back.status_code == 200, sent_back.json()
    assert sent_back.json()["status"] == "approved"
    assert _count(est, "estimate.settlement_returned") == 1
    again = api("hoi.silolau").post(f"{url}/settle/", {"lines": lines, "returned": 0, "carried": 0})
    assert again.status_code == 200, again.json()
    settlements = api("tckh").get(f"/api/v1/settlements/?estimate={est.pk}").json()
    assert settlements["results"][0]["spent"] == 1_650_000

    assert api("ketoan").post(f"{url}/verify-settlement/", {}).status_code == 403
    closed = api("tckh").post(f"{url}/verify-settlement/", {})
    assert closed.status_code == 200, closed.json()
    assert closed.json()["status"] == "closed"
    assert api("tckh").post(f"{url}/verify-settlement/", {}).status_code == 409


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"amount": 0}, "amount"),
        ({"amount": -1}, "amount"),
        ({"amount": 1.5}, "amount"),
        ({"amount": 10**16}, "amount"),
        ({"kind": "gift"}, "kind"),
        ({"paid_on": "yesterday"}, "paid_on"),
        ({"document_number": "a\x00"}, "document_number"),
        ({"payee": "x" * 201}, "payee"),
    ],
)
def test_bad_disbursements_are_400(
    api: Client, make_estimate: Make, change: dict[str, Any], field: str
) -> None:
    est = make_estimate("approved")
    response = api("ketoan").post(
        f"/api/v1/estimates/{est.pk}/disburse/", _disbursement(est, **change)
    )
    assert response.status_code == 400
    assert response.json()["field"] == field
    assert _count(est, "estimate.disbursed") == 0


def test_settlement_must_balance(api: Client, make_estimate: Make) -> None:
    est = make_estimate("approved")
    api("ketoan").post(f"/api/v1/estimates/{est.pk}/disburse/", _disbursement(est))
    lines = [{"line_id": line.pk, "spent": 1} for line in est.lines.all()]
    response = api("hoi.silolau").post(
        f"/api/v1/estimates/{est.pk}/settle/",
        {"lines": lines, "returned": 0, "carried": 5, "carried_use_by": None},
    )
    assert response.status_code == 400
    assert response.json()["field"]
    est.refresh_from_db()
    assert est.status == "approved"


def test_acting_for_a_colleague_through_the_api(
    api: Client, make_estimate: Make, people: dict[str, Any]
) -> None:
    import datetime as dt

    from django.contrib.auth import get_user_model

    from delegations.services import delegation_create
    from organization.models import Membership, Role, Unit
    from organization.permissions import access_sync

    chair = people["pho.chutich"]
    deputy = get_user_model().objects.create_user("pho.chutich2", password="x")
    Membership.objects.create(
        user=deputy, unit=Unit.objects.get(code="phong-tho.ubnd"), role=Role.APPROVER
    )
    access_sync()
    est = make_estimate("approval")
    url = f"/api/v1/estimates/{est.pk}/approve/"
    people["pho.chutich2"] = deputy
    refused = api("pho.chutich2").post(url, {"acting_for": chair.pk})
    assert refused.status_code == 403
    unknown = api("pho.chutich2").post(url, {"acting_for": 987654})
    assert (unknown.status_code, unknown.json()["field"]) == (400, "acting_for")
    today = dt.date.today()
    delegation_create(
        delegator=chair,
        delegate=deputy,
        membership=Membership.objects.get(user=chair, role=Role.APPROVER),
        starts_on=today,
        ends_on=today + dt.timedelta(days=3),
        reason="Nghỉ phép",
        actor=chair,
    )
    approved = api("pho.chutich2").post(url, {"acting_for": chair.pk})
    assert approved.status_code == 200, approved.json()
    entry = AuditEntry.objects.get(estimate=est, action="estimate.approved")
    assert (entry.actor, entry.acting_for) == (deputy, chair)


def test_plan_envelope_shows_the_ledger_figures(api: Client, make_estimate: Make) -> None:
    est = make_estimate("approved")
    plan = est.plan
    cells = {
        (c["level"], c["source"]): c
        for c in api("quansat").get(f"/api/v1/plans/{plan.pk}/").json()["envelope"]
    }
    current = cells["commune", "current"]
    approved_current = sum(
        ln.approved_amount or 0 for ln in est.lines.all() if ln.source == "current"
    )
    assert current["committed"] == approved_current > 0
    assert current["free"] == 2_559_000_000 - approved_current
    assert current["reserved"] == current["disbursed"] == current["settled"] == 0


# --------------------------------------------------------------------------------------
# Text: the limit of the model field, counted after NFC (tests/web/test_money_pages.py
# holds the same limits for the pages, tests/ledger/ for the ledger)


#: Answers in English, so that assertions on messages hold once the Vietnamese catalogue
#: translates them (the API answers in Vietnamese by default).
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def _money_written(est: Estimate) -> tuple[int, int, int]:
    return (
        Disbursement.objects.filter(estimate=est).count(),
        Settlement.objects.filter(estimate=est).count(),
        AuditEntry.objects.filter(estimate=est).count(),
    )


@pytest.mark.parametrize("name", ["document_number", "payee", "note"])
def test_a_disbursement_text_is_held_to_its_model_field(
    api: Client, make_estimate: Make, name: str
) -> None:
    limit = field_limit(Disbursement, name)
    est = make_estimate("approved")
    url = f"/api/v1/estimates/{est.pk}/disburse/"
    before = _money_written(est)
    response = api("ketoan").post(url, _disbursement(est, **{name: decomposed(limit + 1)}), **EN)
    assert response.status_code == 400
    assert response.json()["field"] == name
    assert f"At most {limit} characters" in response.json()["detail"]
    assert _money_written(est) == before
    response = api("ketoan").post(url, _disbursement(est, **{name: decomposed(limit)}))
    assert response.status_code == 200, response.json()
    assert getattr(Disbursement.objects.get(estimate=est), name) == composed(limit)


def test_a_disbursement_note_of_1000_characters_is_refused_not_cut(
    api: Client, make_estimate: Make
) -> None:
    est = make_estimate("approved")
    before = _money_written(est)
    response = api("ketoan").post(
        f"/api/v1/estimates/{est.pk}/disburse/", _disbursement(est, note="x" * 1000), **EN
    )
    assert response.status_code == 400
    assert response.json()["field"] == "note"
    assert "At most 500 characters" in response.json()["detail"]
    assert _money_written(est) == before


@pytest.mark.parametrize("char", ["\u200b", "\u202e", "\u2066", "\ufeff"])
def test_a_payee_with_an_invisible_character_is_refused(
    api: Client, make_estimate: Make, char: str
) -> None:
    est = make_estimate("approved")
    before = _money_written(est)
    response = api("ketoan").post(
        f"/api/v1/estimates/{est.pk}/disburse/",
        _disbursement(est, payee=f"Hội{char} LHPN"),
        **EN,
    )
    assert response.status_code == 400
    assert response.json()["field"] == "payee"
    assert f"U+{ord(char):04X} at position 4" in response.json()["detail"]
    assert _money_written(est) == before


def _settlement(est: Estimate, **kw: Any) -> dict[str, Any]:
    """1.200.000 ₫ paid on the current-year line: 1.000.000 spent, 200.000 returned."""
    first, second = est.lines.order_by("position")
    body: dict[str, Any] = {
        "lines": [{"line_id": first.pk, "spent": 1_000_000}, {"line_id": second.pk, "spent": 0}],
        "returned": 200_000,
        "return_document": "GNT-01",
        "carried": 0,
    }
    body.update(kw)
    return body


@pytest.mark.parametrize("accepted", [False, True])
def test_a_return_document_is_held_to_its_model_field(
    api: Client, make_estimate: Make, accepted: bool
) -> None:
    limit = field_limit(Settlement, "return_document")
    est = make_estimate("approved")
    url = f"/api/v1/estimates/{est.pk}"
    assert api("ketoan").post(f"{url}/disburse/", _disbursement(est)).status_code == 200
    before = _money_written(est)
    length = limit if accepted else limit + 1
    response = api("hoi.silolau").post(
        f"{url}/settle/", _settlement(est, return_document=decomposed(length)), **EN
    )
    if not accepted:
        assert response.status_code == 400
        assert response.json()["field"] == "return_document"
        assert f"At most {limit}" in response.json()["detail"]
        assert _money_written(est) == before
        return
    assert response.status_code == 200, response.json()
    assert Settlement.objects.get(estimate=est).return_document == composed(limit)


def test_a_settlement_line_note_is_held_to_its_model_field(
    api: Client, make_estimate: Make
) -> None:
    limit = field_limit(SettlementLine, "note")
    est = make_estimate("approved")
    url = f"/api/v1/estimates/{est.pk}"
    assert api("ketoan").post(f"{url}/disburse/", _disbursement(est)).status_code == 200
    before = _money_written(est)
    body = _settlement(est)
    body["lines"][0]["note"] = decomposed(limit + 1)
    response = api("hoi.silolau").post(f"{url}/settle/", body, **EN)
    assert response.status_code == 400
    assert response.json()["field"] == "lines[0].note"
    assert f"At most {limit}" in response.json()["detail"]
    assert _money_written(est) == before
    body["lines"][0]["note"] = decomposed(limit)
    assert api("hoi.silolau").post(f"{url}/settle/", body).status_code == 200
    first = est.lines.order_by("position")[0]
    assert SettlementLine.objects.get(line=first).note == composed(limit)


def test_a_settlement_return_reason_is_held_to_its_model_field(
    api: Client, make_estimate: Make
) -> None:
    """The ledger used to stop at 2000 characters where the page and the API allow 5000."""
    limit = field_limit(Settlement, "reopen_reason")
    est = make_estimate("approved")
    url = f"/api/v1/estimates/{est.pk}"
    assert api("ketoan").post(f"{url}/disburse/", _disbursement(est)).status_code == 200
    assert api("hoi.silolau").post(f"{url}/settle/", _settlement(est)).status_code == 200
    before = _money_written(est)
    response = api("tckh").post(
        f"{url}/return-settlement/", {"reason": decomposed(limit + 1)}, **EN
    )
    assert response.status_code == 400
    assert response.json()["field"] == "reason"
    assert _money_written(est) == before
    response = api("tckh").post(f"{url}/return-settlement/", {"reason": decomposed(limit)})
    assert response.status_code == 200, response.json()
    assert Settlement.objects.get(estimate=est).reopen_reason == composed(limit)
