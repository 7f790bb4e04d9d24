"""The money stages on the web: the money section of the estimate, disbursement, clearing
an advance, settlement and its verification, acting for a colleague. Each page works for
the right role, is refused to the others, and writes nothing when refused."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from approvals import services
from approvals.models import AuditEntry
from core.text import field_limit
from delegations.services import delegation_create
from estimates.models import Estimate, Plan
from ledger.models import Disbursement, EstimateAccount, Settlement, SettlementLine
from organization.models import Membership, Role, Unit
from organization.permissions import access_sync
from tests.factories import estimate_in_status
from tests.texts import composed, decomposed


@pytest.fixture
def approved(plan: Plan, users: dict[str, Any]) -> Estimate:
    """An approved Sì Lở Lầu estimate: 3.000.000 ₫ current-year (line 1, 2 × 1.500.000)
    and 2.000.000 ₫ carried-over (line 2, 50 × 20.000 × 2)."""
    return estimate_in_status("approved", plan=plan, drafter=users["hoi.silolau"])


#: Carried-over money of plan 117 is paid by its use-by date (31/12/2024).
IN_2024 = dt.date(2024, 6, 10)


def today() -> str:
    return timezone.localdate().strftime("%d/%m/%Y")


def disbursement(**changes: str) -> dict[str, str]:
    data = {
        "kind": "advance",
        "paid_on": today(),
        "amount": "1.500.000",
        "source": "current",
        "document_type": "withdrawal_order",
        "document_number": "GRDT-0012",
        "payee": "Hội LHPN xã Sì Lở Lầu",
        "note": "",
    }
    data.update(changes)
    return data


def disburse(estimate: Estimate, users: dict[str, Any], amount: int, **kw: Any) -> Any:
    values: dict[str, Any] = {
        "kind": "payment",
        "paid_on": timezone.localdate(),
        "amount": amount,
        "source": "current",
        "document_type": "payment_order",
        "document_number": "UNC-1",
        "payee": "Nhà văn hoá",
    }
    values.update(kw)
    return services.estimate_disburse(actor=users["ketoan"], estimate_id=estimate.pk, **values)


def written(estimate: Estimate) -> tuple[int, int, int, int]:
    """What a refused request must leave as it was."""
    return (
        Disbursement.objects.filter(estimate=estimate).count(),
        sum(EstimateAccount.objects.filter(estimate=estimate).values_list("disbursed", flat=True)),
        Settlement.objects.filter(estimate=estimate).count(),
        AuditEntry.objects.filter(estimate=estimate).count(),
    )


def url(name: str, estimate: Estimate, *args: int) -> str:
    return reverse(f"estimates:{name}", args=[estimate.pk, *args])


# ---------------------------------------------------------------------------------------
# The money section of the estimate


def test_money_section_lists_sources_and_disbursements(
    client: Client, users: dict[str, Any], approved: Estimate
) -> None:
    disburse(approved, users, 1_500_000, kind="advance", paid_on=dt.date(2024, 6, 10))
    disburse(approved, users, 500_000, source="carried", payee="Cửa hàng Minh Anh", paid_on=IN_2024)
    client.force_login(users["hoi.silolau"])
    html = client.get(url("detail", approved)).content.decode()
    assert 'id="money"' in html
    assert "10/06/2024" in html
    assert "1.500.000 ₫" in html and "500.000 ₫" in html
    assert "Advance" in html and "Payment" in html
    assert "UNC-1" in html and "Cửa hàng Minh Anh" in html
    assert "1.500.000 ₫" in html  # remaining on the current-year source: 3.000.000 - 1.500.000
    assert "to clear by 31/07/2024" in html
    # the drafting unit sees the settlement button, not the disbursement one
    assert url("settle", approved) in html
    assert url("disburse", approved) not in html


def test_no_money_section_before_approval(
    client: Client, users: dict[str, Any], in_review: Estimate
) -> None:
    client.force_login(users["hoi.huyen"])
    assert 'id="money"' not in client.get(url("detail", in_review)).content.decode()


# ---------------------------------------------------------------------------------------
# Disbursement


def test_the_accountant_records_an_advance(
    client: Client, users: dict[str, Any], approved: Estimate
) -> None:
    client.force_login(users["ketoan"])
    detail = client.get(url("detail", approved)).content.decode()
    assert url("disburse", approved) in detail
    page = client.get(url("disburse", approved))
    assert page.status_code == 200
    html = page.content.decode()
    assert "3.000.000 ₫" in html and "2.000.000 ₫" in html  # what is left, per source
    assert 'name="acting_for"' not in html  # no delegation: nobody to act for
    response = client.post(url("disburse", approved), disbursement(seen_status="approved"))
    assert response.status_code == 302
    d = Disbursement.objects.get(estimate=approved)
    assert (d.kind, d.amount, d.source, d.document_number) == (
        "advance",
        1_500_000,
        "current",
        "GRDT-0012",
    )
    entry = AuditEntry.objects.get(estimate=approved, action="estimate.disbursed")
    assert entry.actor == users["ketoan"] and entry.acting_for is None
    approved.refresh_from_db()
    assert approved.status == "approved"


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"amount": "3.000.001"}, "amount", "remains to be disbursed"),
        ({"amount": "-5"}, "amount", "cannot be negative"),
        ({"amount": "1,5"}, "amount", "not a whole number"),
        ({"amount": "0"}, "amount", "at least 1"),
        ({"amount": ""}, "amount", "required"),
        ({"document_number": ""}, "document_number", "required"),
        ({"source": "nowhere"}, "source", "valid choice"),
        ({"kind": "gift"}, "kind", "valid choice"),
        ({"paid_on": "31/02/2024"}, "paid_on", "valid date"),
    ],
)
def test_a_bad_disbursement_is_400_at_its_field_and_writes_nothing(
    client: Client,
    users: dict[str, Any],
    approved: Estimate,
    changes: dict[str, str],
    field: str,
    message: str,
) -> None:
    before = written(approved)
    client.force_login(users["ketoan"])
    response = client.post(url("disburse", approved), disbursement(**changes))
    assert response.status_code == 400
    assert message in " ".join(response.context["form"].errors[field])
    assert written(approved) == before


def test_a_payment_date_in_the_future_is_refused(
    client: Client, users: dict[str, Any], approved: Estimate
) -> None:
    before = written(approved)
    tomorrow = (timezone.localdate() + dt.timedelta(days=1)).strftime("%d/%m/%Y")
    client.force_login(users["ketoan"])
    response = client.post(url("disburse", approved), disbursement(paid_on=tomorrow))
    assert response.status_code == 400
    assert "future" in " ".join(response.context["form"].errors["paid_on"])
    assert written(approved) == before


@pytest.mark.parametrize(
    ("username", "status"),
    [
        ("hoi.silolau", 403),  # the spending unit does not pay itself
        ("tckh", 403),
        ("pho.chutich", 403),
        ("quansat", 403),
        ("hoi.namxe", 404),  # another commune
    ],
)
def test_only_the_accountant_disburses(
    client: Client, users: dict[str, Any], approved: Estimate, username: str, status: int
) -> None:
    before = written(approved)
    client.force_login(users[username])
    assert client.get(url("disburse", approved)).status_code == status
    assert client.post(url("disburse", approved), disbursement()).status_code == status
    assert written(approved) == before


def test_disbursing_an_estimate_that_is_not_approved(
    client: Client, users: dict[str, Any], in_appraisal: Estimate
) -> None:
    client.force_login(users["ketoan"])
    page = client.get(url("disburse", in_appraisal))
    assert page.status_code == 302 and page["Location"] == url("detail", in_appraisal)
    before = written(in_appraisal)
    response = client.post(url("disburse", in_appraisal), disbursement(source="current"))
    assert response.status_code in (400, 409)  # no approved source to choose, or conflict
    assert written(in_appraisal) == before


def test_a_disbursement_posted_from_a_stale_page_is_409(
    client: Client, users: dict[str, Any], approved: Estimate
) -> None:
    client.force_login(users["ketoan"])
    before = written(approved)
    response = client.post(url("disburse", approved), disbursement(seen_status="approval"))
    assert response.status_code == 409
    assert written(approved) == before


def test_disbursement_needs_the_csrf_token(users: dict[str, Any], approved: Estimate) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(users["ketoan"])
    before = written(approved)
    assert client.post(url("disburse", approved), disbursement()).status_code == 403
    assert written(approved) == before


# ---------------------------------------------------------------------------------------
# Clearing an advance


def test_the_accountant_clears_an_advance(
    client: Client, users: dict[str, Any], approved: Estimate
) -> None:
    advance = disburse(approved, users, 1_000_000, kind="advance", paid_on=dt.date(2024, 6, 10))
    client.force_login(users["ketoan"])
    detail = client.get(url("detail", approved)).content.decode()
    assert url("clear_advance", approved, advance.pk) in detail
    response = client.post(
        url("clear_advance", approved, advance.pk),
        {
            "cleared_on": "15/07/2024",
            "document": "Bảng kê thanh toán 07",
            "seen_status": "approved",
        },
    )
    assert response.status_code == 302
    advance.refresh_from_db()
    assert advance.cleared_on == dt.date(2024, 7, 15)
    assert advance.clearance_document == "Bảng kê thanh toán 07"
    account = EstimateAccount.objects.get(estimate=approved, source="current")
    assert account.advances_outstanding == 0
    entry = AuditEntry.objects.get(estimate=approved, action="estimate.advance_cleared")
    assert entry.amount == 1_000_000 and entry.stage == "disbursement"
    html = client.get(url("detail", approved)).content.decode()
    assert "cleared 15/07/2024" in html
    assert "advance cleared" in html  # the history names the action


def test_clearing_an_advance_is_refused_without_a_document_and_before_it_was_paid(
    client: Client, users: dict[str, Any], approved: Estimate
) -> None:
    advance = disburse(approved, users, 1_000_000, kind="advance", paid_on=dt.date(2024, 6, 10))
    before = written(approved)
    client.force_login(users["ketoan"])
    target = url("clear_advance", approved, advance.pk)
    response = client.post(target, {"cleared_on": "15/07/2024", "document": ""})
    assert response.status_code == 400 and response.context["form"].errors["document"]
    response = client.post(target, {"cleared_on": "01/06/2024", "document": "BK-1"})
    assert response.status_code == 400
    assert "before it was paid" in " ".join(response.context["form"].errors["cleared_on"])
    advance.refresh_from_db()
    assert advance.cleared_on is None
    assert written(approved) == before


def test_a_payment_is_not_cleared_and_others_cannot_clear(
    client: Client, users: dict[str, Any], approved: Estimate
) -> None:
    payment = disburse(approved, users, 1_000_000)
    advance = disburse(approved, users, 500_000, kind="advance")
    client.force_login(users["ketoan"])
    assert client.get(url("clear_advance", approved, payment.pk)).status_code == 404
    client.force_login(users["hoi.silolau"])
    data = {"cleared_on": today(), "document": "BK"}
    assert client.post(url("clear_advance", approved, advance.pk), data).status_code == 403
    advance.refresh_from_db()
    assert advance.cleared_on is None


# ---------------------------------------------------------------------------------------
# Settlement


def settlement_data(estimate: Estimate, spent: list[str], **changes: str) -> dict[str, str]:
    lines = list(estimate.lines.order_by("position"))
    data = {f"spent-{line.pk}": amount for line, amount in zip(lines, spent, strict=True)}
    data.update({f"note-{line.pk}": "" for line in lines})
    data.update(
        {"returned": "0", "return_document": "", "carried": "0", "carried_use_by": ""}, **changes
    )
    return data


@pytest.fixture
def paid(approved: Estimate, users: dict[str, Any]) -> Estimate:
    """The approved estimate, paid out in full (3.000.000 + 2.000.000)."""
    disburse(approved, users, 3_000_000)
    disburse(approved, users, 2_000_000, source="carried", paid_on=IN_2024)
    return approved


def test_the_spending_unit_settles_and_finance_planning_closes(
    client: Client, users: dict[str, Any], paid: Estimate
) -> None:
    client.force_login(users["hoi.silolau"])
    page = client.get(url("settle", paid))
    assert page.status_code == 200
    assert "5.000.000 ₫" in page.content.decode()  # disbursed, to be accounted for
    data = settlement_data(
        paid,
        ["2.800.000", "1.700.000"],
        returned="300.000",
        return_document="GNT-05",
        carried="200.000",
        carried_use_by="30/06/2025",
        seen_status="approved",
    )
    response = client.post(url("settle", paid), data)
    assert response.status_code == 302
    paid.refresh_from_db()
    assert paid.status == "settlement"
    html = client.get(url("detail", paid)).content.decode()
    assert "GNT-05" in html and "to be used by 30/06/2025" in html
    assert "2.800.000 ₫" in html

    client.force_login(users["tckh"])
    html = client.get(url("detail", paid)).content.decode()
    assert url("verify_settlement", paid) in html
    response = client.post(url("verify_settlement", paid), {"comment": "Đúng"})
    assert response.status_code == 400 and response.context["form"].errors["confirm"]
    response = client.post(url("verify_settlement", paid), {"confirm": "on"})
    assert response.status_code == 302
    paid.refresh_from_db()
    assert paid.status == "closed"
    html = client.get(url("detail", paid)).content.decode()
    assert 'id="money"' in html and "Verified and closed" in html


@pytest.mark.parametrize(
    ("spent", "changes", "field", "message"),
    [
        (["3.000.000", "1.000.000"], {}, None, "does not balance"),
        (["3.000.000", "2.000.000"], {"returned": "-1"}, "returned", "cannot be negative"),
        (["3.000.000", "2.000.000,5"], {}, "spent", "not a whole number"),
        (["3.000.000", ""], {}, "spent", "required"),
        (
            ["3.000.000", "1.000.000"],
            {"carried": "1.000.000"},
            "carried_use_by",
            "date by which",
        ),
        (
            ["3.000.000", "1.000.000"],
            {"returned": "1.000.000"},
            "return_document",
            "document",
        ),
        (["3.000.001", "1.999.999"], {}, None, "more than the"),
    ],
)
def test_a_settlement_that_does_not_hold_is_400_and_writes_nothing(
    client: Client,
    users: dict[str, Any],
    paid: Estimate,
    spent: list[str],
    changes: dict[str, str],
    field: str | None,
    message: str,
) -> None:
    before = written(paid)
    client.force_login(users["hoi.silolau"])
    response = client.post(url("settle", paid), settlement_data(paid, spent, **changes))
    assert response.status_code == 400
    form = response.context["form"]
    if field == "spent":
        errors = " ".join(
            e for name, es in form.errors.items() if name.startswith("spent") for e in es
        )
    elif field is None:
        errors = " ".join(e for es in form.errors.values() for e in es)
    else:
        errors = " ".join(form.errors[field])
    assert message in errors
    assert message in response.content.decode()
    paid.refresh_from_db()
    assert paid.status == "approved"
    assert written(paid) == before


@pytest.mark.parametrize(
    ("username", "status"), [("ketoan", 403), ("tckh", 403), ("hoi.namxe", 404)]
)
def test_only_the_spending_unit_settles(
    client: Client, users: dict[str, Any], paid: Estimate, username: str, status: int
) -> None:
    before = written(paid)
    client.force_login(users[username])
    data = settlement_data(paid, ["3.000.000", "2.000.000"])
    assert client.post(url("settle", paid), data).status_code == status
    assert written(paid) == before


def test_finance_planning_returns_a_settlement_with_a_reason(
    client: Client, users: dict[str, Any], paid: Estimate
) -> None:
    services.estimate_settle(
        actor=users["hoi.silolau"],
        estimate_id=paid.pk,
        lines=[
            {"line_id": line.pk, "spent": line.approved_amount, "note": ""}
            for line in paid.lines.all()
        ],
    )
    client.force_login(users["ketoan"])
    assert client.post(url("return_settlement", paid), {"reason": "x"}).status_code == 403
    client.force_login(users["tckh"])
    response = client.post(url("return_settlement", paid), {"reason": "  "})
    assert response.status_code == 400 and response.context["form"].errors["reason"]
    paid.refresh_from_db()
    assert paid.status == "settlement"
    response = client.post(
        url("return_settlement", paid),
        {"reason": "Thiếu hoá đơn dòng 2", "seen_status": "settlement"},
    )
    assert response.status_code == 302
    paid.refresh_from_db()
    assert paid.status == "approved"
    client.force_login(users["hoi.silolau"])
    page = client.get(url("settle", paid)).content.decode()
    assert "Thiếu hoá đơn dòng 2" in page
    assert 'value="3.000.000"' in page  # the earlier report, to correct


# ---------------------------------------------------------------------------------------
# Text: the limit of the model field, counted after NFC, the same as the API's and the
# ledger's (tests/api/test_money_endpoints.py, tests/ledger/)


@pytest.mark.parametrize("name", ["document_number", "payee", "note"])
def test_a_disbursement_text_is_held_to_its_model_field(
    client: Client, users: dict[str, Any], approved: Estimate, name: str
) -> None:
    limit = field_limit(Disbursement, name)
    client.force_login(users["ketoan"])
    before = written(approved)
    response = client.post(url("disburse", approved), disbursement(**{name: decomposed(limit + 1)}))
    assert response.status_code == 400
    assert f"At most {limit} characters" in " ".join(response.context["form"].errors[name])
    assert written(approved) == before
    response = client.post(url("disburse", approved), disbursement(**{name: decomposed(limit)}))
    assert response.status_code == 302
    assert getattr(Disbursement.objects.get(estimate=approved), name) == composed(limit)


def test_a_disbursement_note_of_1000_characters_is_refused_not_cut(
    client: Client, users: dict[str, Any], approved: Estimate
) -> None:
    client.force_login(users["ketoan"])
    before = written(approved)
    response = client.post(url("disburse", approved), disbursement(note="x" * 1000))
    assert response.status_code == 400
    assert "At most 500 characters" in " ".join(response.context["form"].errors["note"])
    assert written(approved) == before


@pytest.mark.parametrize(
    ("name", "char"),
    [("payee", "\u200b"), ("document_number", "\u202e"), ("note", "\u2066"), ("note", "\x07")],
)
def test_invisible_and_control_characters_are_refused_at_the_field(
    client: Client, users: dict[str, Any], approved: Estimate, name: str, char: str
) -> None:
    client.force_login(users["ketoan"])
    before = written(approved)
    response = client.post(url("disburse", approved), disbursement(**{name: f"GR{char}DT-1"}))
    assert response.status_code == 400
    message = " ".join(response.context["form"].errors[name])
    assert f"U+{ord(char):04X} at position 3" in message
    assert written(approved) == before


def test_the_text_boxes_carry_no_maxlength(
    client: Client, users: dict[str, Any], approved: Estimate
) -> None:
    """A browser counts UTF-16 code units and cuts a paste silently: the server counts."""
    client.force_login(users["ketoan"])
    html = client.get(url("disburse", approved)).content.decode()
    assert 'name="payee"' in html and "maxlength" not in html


def test_a_clearance_document_is_held_to_its_model_field(
    client: Client, users: dict[str, Any], approved: Estimate
) -> None:
    limit = field_limit(Disbursement, "clearance_document")
    advance = disburse(approved, users, 1_000_000, kind="advance", paid_on=dt.date(2024, 6, 10))
    client.force_login(users["ketoan"])
    target = url("clear_advance", approved, advance.pk)
    before = written(approved)
    response = client.post(target, {"cleared_on": "15/07/2024", "document": decomposed(limit + 1)})
    assert response.status_code == 400
    assert f"At most {limit}" in " ".join(response.context["form"].errors["document"])
    assert written(approved) == before
    response = client.post(target, {"cleared_on": "15/07/2024", "document": decomposed(limit)})
    assert response.status_code == 302
    advance.refresh_from_db()
    assert advance.clearance_document == composed(limit)


@pytest.mark.parametrize("accepted", [False, True])
def test_a_return_document_is_held_to_its_model_field(
    client: Client, users: dict[str, Any], paid: Estimate, accepted: bool
) -> None:
    limit = field_limit(Settlement, "return_document")
    client.force_login(users["hoi.silolau"])
    before = written(paid)
    length = limit if accepted else limit + 1
    data = settlement_data(
        paid,
        ["2.000.000", "2.000.000"],
        returned="1.000.000",
        return_document=decomposed(length),
        seen_status="approved",
    )
    response = client.post(url("settle", paid), data)
    if not accepted:
        assert response.status_code == 400
        assert f"At most {limit}" in " ".join(response.context["form"].errors["return_document"])
        assert written(paid) == before
        return
    assert response.status_code == 302
    assert Settlement.objects.get(estimate=paid).return_document == composed(limit)


def test_a_settlement_line_note_is_held_to_its_model_field(
    client: Client, users: dict[str, Any], paid: Estimate
) -> None:
    limit = field_limit(SettlementLine, "note")
    first = paid.lines.order_by("position")[0]
    client.force_login(users["hoi.silolau"])
    before = written(paid)
    data = settlement_data(paid, ["3.000.000", "2.000.000"], seen_status="approved")
    data[f"note-{first.pk}"] = decomposed(limit + 1)
    response = client.post(url("settle", paid), data)
    assert response.status_code == 400
    assert f"At most {limit}" in " ".join(response.context["form"].errors[f"note-{first.pk}"])
    assert written(paid) == before
    data[f"note-{first.pk}"] = decomposed(limit)
    assert client.post(url("settle", paid), data).status_code == 302
    assert SettlementLine.objects.get(line=first).note == composed(limit)


def test_a_settlement_return_reason_is_held_to_its_model_field(
    client: Client, users: dict[str, Any], paid: Estimate
) -> None:
    """The ledger used to stop at 2000 characters where the page and the API allow 5000."""
    limit = field_limit(Settlement, "reopen_reason")
    services.estimate_settle(
        actor=users["hoi.silolau"],
        estimate_id=paid.pk,
        lines=[{"line_id": line.pk, "spent": line.approved_amount} for line in paid.lines.all()],
    )
    client.force_login(users["tckh"])
    before = written(paid)
    target = url("return_settlement", paid)
    response = client.post(target, {"reason": decomposed(limit + 1)})
    assert response.status_code == 400
    assert f"At most {limit}" in " ".join(response.context["form"].errors["reason"])
    assert written(paid) == before
    response = client.post(target, {"reason": decomposed(limit), "seen_status": "settlement"})
    assert response.status_code == 302
    assert Settlement.objects.get(estimate=paid).reopen_reason == composed(limit)


# ---------------------------------------------------------------------------------------
# Acting for a colleague


@pytest.fixture
def second_accountant(users: dict[str, Any]) -> Any:
    """A second treasurer/accountant of Finance-Planning, whom ketoan delegates to."""
    user = get_user_model().objects.create_user(
        "ketoan2", password="x", first_name="Kế toán thứ hai"
    )
    Membership.objects.create(
        user=user, unit=Unit.objects.get(code="phong-tho.tckh"), role=Role.ACCOUNTANT
    )
    access_sync()
    ketoan = users["ketoan"]
    delegation_create(
        delegator=ketoan,
        delegate=user,
        membership=Membership.objects.get(user=ketoan, role=Role.ACCOUNTANT),
        starts_on=timezone.localdate(),
        ends_on=timezone.localdate() + dt.timedelta(days=5),
        reason="Nghỉ phép",
        actor=ketoan,
    )
    return user


def test_a_delegate_disburses_acting_for_the_accountant(
    client: Client, users: dict[str, Any], approved: Estimate, second_accountant: Any
) -> None:
    client.force_login(second_accountant)
    html = client.get(url("disburse", approved)).content.decode()
    assert 'name="acting_for"' in html and "Kế toán - thủ quỹ" in html
    data = disbursement(acting_for=str(users["ketoan"].pk), seen_status="approved")
    assert client.post(url("disburse", approved), data).status_code == 302
    entry = AuditEntry.objects.get(estimate=approved, action="estimate.disbursed")
    assert (entry.actor, entry.acting_for) == (second_accountant, users["ketoan"])
    detail = client.get(url("detail", approved)).content.decode()
    assert "acting for" in detail


def test_acting_for_someone_who_did_not_delegate_is_refused(
    client: Client, users: dict[str, Any], approved: Estimate, second_accountant: Any
) -> None:
    before = written(approved)
    client.force_login(second_accountant)
    data = disbursement(acting_for=str(users["tckh"].pk))
    response = client.post(url("disburse", approved), data)
    assert response.status_code == 400
    assert response.context["form"].errors["acting_for"]
    assert written(approved) == before


def test_without_a_delegation_a_posted_acting_for_is_ignored(
    client: Client, users: dict[str, Any], approved: Estimate
) -> None:
    client.force_login(users["ketoan"])
    data = disbursement(acting_for=str(users["tckh"].pk))
    assert client.post(url("disburse", approved), data).status_code == 302
    entry = AuditEntry.objects.get(estimate=approved, action="estimate.disbursed")
    assert entry.acting_for is None


def test_the_detail_page_offers_acting_for_on_inline_actions(
    client: Client, users: dict[str, Any], in_review: Estimate
) -> None:
    """A second district Women's Union officer forwards for the first, from the estimate."""
    deputy = get_user_model().objects.create_user("hoi.huyen2", password="x", first_name="Phó")
    Membership.objects.create(
        user=deputy, unit=Unit.objects.get(code="phong-tho.hlhpn"), role=Role.DISTRICT_WU
    )
    access_sync()
    officer = users["hoi.huyen"]
    delegation_create(
        delegator=officer,
        delegate=deputy,
        membership=Membership.objects.get(user=officer, role=Role.DISTRICT_WU),
        starts_on=timezone.localdate(),
        ends_on=timezone.localdate(),
        reason="Đi họp",
        actor=officer,
    )
    client.force_login(deputy)
    html = client.get(url("detail", in_review)).content.decode()
    assert 'name="acting_for"' in html
    response = client.post(url("forward", in_review), {"acting_for": str(officer.pk)})
    assert response.status_code == 302
    entry = AuditEntry.objects.get(estimate=in_review, action="estimate.forwarded")
    assert (entry.actor, entry.acting_for) == (deputy, officer)


# ---------------------------------------------------------------------------------------
# Query counts


def test_detail_page_queries_do_not_grow_with_disbursements(
    client: Client, users: dict[str, Any], approved: Estimate, django_assert_num_queries: Any
) -> None:
    for _ in range(2):
        disburse(approved, users, 10_000, kind="advance")
    client.force_login(users["ketoan"])
    target = url("detail", approved)
    assert client.get(target).status_code == 200  # warm the content-type cache
    with django_assert_num_queries(MONEY_DETAIL_QUERIES):
        small = client.get(target)
    for _ in range(28):
        disburse(approved, users, 10_000, kind="advance")
    with django_assert_num_queries(MONEY_DETAIL_QUERIES):
        large = client.get(target)
    assert len(small.context["money"].disbursements) == 2
    assert len(large.context["money"].disbursements) == 30


#: The detail page of an approved estimate for the accountant: the page of
#: ``tests/web/test_queries.py``, plus the money (balances, disbursements: 2), the
#: settlement (1 while there is none), the attachments (1; the voucher form reuses the
#: disbursements read for the money) and the amendments with their decisions (1). The
#: delegations behind the buttons are not read for the accountant, who is nobody's
#: delegate (kept with the grants: two fewer).
MONEY_DETAIL_QUERIES = 19


def test_detail_page_with_a_settlement_is_pinned_too(
    plan: Plan, client: Client, users: dict[str, Any], django_assert_num_queries: Any
) -> None:
    """Two settled estimates, paid in 2 and in 30 instalments: the same queries."""
    settled = []
    for count in (2, 30):
        estimate = estimate_in_status("approved", plan=plan, drafter=users["hoi.silolau"])
        for _ in range(count):
            disburse(estimate, users, 10_000, kind="advance")
        services.estimate_settle(
            actor=users["hoi.silolau"],
            estimate_id=estimate.pk,
            lines=[
                {"line_id": line.pk, "spent": 10_000 * count if line.source == "current" else 0}
                for line in estimate.lines.all()
            ],
        )
        settled.append(estimate)
    client.force_login(users["tckh"])
    assert client.get(url("detail", settled[0])).status_code == 200  # warm the caches
    for estimate in settled:
        # + the settlement's lines, + the open amendments the menu's badge reads first for
        # Finance-Planning (which appraises amendments; the accountant does not).
        with django_assert_num_queries(MONEY_DETAIL_QUERIES + 2):
            response = client.get(url("detail", estimate))
        assert response.status_code == 200
        assert 'class="list settlement"' in response.content.decode()
