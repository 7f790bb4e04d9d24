"""Plan-level money on the web: the funding panel and the norm findings of appraisal, norm
warnings while drafting, the commune sub-envelopes, the home page's ledger figures and
the overdue advances."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from approvals import services
from approvals.models import AuditEntry
from estimates.models import Estimate, Norm, Plan
from ledger.models import SubEnvelope
from ledger.norms import norm_create
from ledger.services import subenvelope_set
from tests.factories import estimate_in_status, line_input

CITATION = "Thông tư 55/2023/TT-BTC, Điều 5"


@pytest.fixture
def hall_norm(db: None) -> Norm:
    return norm_create(
        code="test-hoi-truong",
        item="Thuê hội trường",
        unit="buổi",
        max_unit_price=1_000_000,
        max_times=1,
        valid_from=dt.date(2024, 1, 1),
        citation=CITATION,
    )


def test_appraisal_shows_the_funding_panel(
    client: Client, users: dict[str, Any], in_appraisal: Estimate
) -> None:
    client.force_login(users["tckh"])
    response = client.get(reverse("estimates:appraise", args=[in_appraisal.pk]))
    assert response.status_code == 200
    funding = {f.source: f for f in response.context["funding"]}
    current, carried = funding["current"], funding["carried"]
    assert (current.allocated, current.need, current.free, current.shortfall) == (
        2_559_000_000,
        3_000_000,
        2_559_000_000,
        0,
    )
    assert (carried.allocated, carried.need, carried.shortfall) == (1_770_170_000, 2_000_000, 0)
    html = response.content.decode()
    assert 'id="funding"' in html
    assert "2.559.000.000 ₫" in html and "1.770.170.000 ₫" in html
    assert "3.000.000 ₫" in html and "fits" in html


def test_the_funding_panel_shows_a_shortfall_against_the_commune_share(
    client: Client, users: dict[str, Any], in_appraisal: Estimate
) -> None:
    subenvelope_set(
        plan=in_appraisal.plan,
        commune=in_appraisal.unit,
        source="current",
        amount=1_000_000,
        actor=users["tckh"],
    )
    other = estimate_in_status("approved", plan=in_appraisal.plan, drafter=users["hoi.namxe"])
    assert other.status == "approved"
    client.force_login(users["tckh"])
    response = client.get(reverse("estimates:appraise", args=[in_appraisal.pk]))
    funding = {f.source: f for f in response.context["funding"]}
    current = funding["current"]
    assert current.committed == 3_000_000  # Nậm Xe's approved current-year lines
    assert current.free == 2_559_000_000 - 3_000_000
    assert current.subenvelope == 1_000_000
    assert current.shortfall == 2_000_000
    html = response.content.decode()
    assert 'class="short">2.000.000 ₫' in html
    # forwarding is refused with the ledger's message, and nothing moves
    data = {f"line-{line.pk}": str(line.amount) for line in in_appraisal.lines.all()}
    response = client.post(reverse("estimates:appraise", args=[in_appraisal.pk]), data)
    assert response.status_code == 400
    assert "short by 2.000.000 ₫" in response.content.decode()
    in_appraisal.refresh_from_db()
    assert in_appraisal.status == "appraisal"


def test_appraisal_shows_norm_findings_with_their_citation(
    plan: Plan, client: Client, users: dict[str, Any], hall_norm: Norm
) -> None:
    estimate = estimate_in_status(
        "appraisal",
        plan=plan,
        drafter=users["hoi.silolau"],
        lines=[line_input(norm_id=hall_norm.pk)],
    )
    client.force_login(users["tckh"])
    response = client.get(reverse("estimates:appraise", args=[estimate.pk]))
    html = response.content.decode()
    assert "above the norm of 1.000.000 ₫" in html
    assert CITATION in html
    assert 'name="norm_override_reason"' in html
    # kept with a reason, it goes through
    line = estimate.lines.get()
    response = client.post(
        reverse("estimates:appraise", args=[estimate.pk]),
        {f"line-{line.pk}": "3.000.000", "norm_override_reason": "Giá thị trường vùng cao"},
    )
    assert response.status_code == 302


def test_drafting_shows_norm_warnings_without_blocking(
    plan: Plan, client: Client, users: dict[str, Any], hall_norm: Norm
) -> None:
    officer = users["hoi.silolau"]
    draft = estimate_in_status(
        plan=plan,
        drafter=officer,
        lines=[line_input(norm_id=hall_norm.pk), line_input(description="Nước")],
    )
    client.force_login(officer)
    html = client.get(reverse("estimates:detail", args=[draft.pk])).content.decode()
    assert 'id="norm-warnings"' in html
    assert "Line 1" in html and "above the norm of 1.000.000 ₫" in html and CITATION in html
    assert "Line 2 (Nước)" not in html
    edit = client.get(reverse("estimates:edit", args=[draft.pk])).content.decode()
    assert 'id="norm-warnings"' in edit and CITATION in edit
    # a warning, not a refusal: it can be submitted
    response = client.post(reverse("estimates:submit", args=[draft.pk]))
    assert response.status_code == 302


def test_a_line_within_its_norm_shows_no_warning(
    plan: Plan, client: Client, users: dict[str, Any], hall_norm: Norm
) -> None:
    officer = users["hoi.silolau"]
    draft = estimate_in_status(
        plan=plan, drafter=officer, lines=[line_input(norm_id=hall_norm.pk, unit_price=900_000)]
    )
    client.force_login(officer)
    html = client.get(reverse("estimates:detail", args=[draft.pk])).content.decode()
    assert 'id="norm-warnings"' not in html


# ---------------------------------------------------------------------------------------
# Commune sub-envelopes


def envelope() -> str:
    return reverse("estimates:envelope")


@pytest.mark.parametrize("username", ["hoi.huyen", "tckh"])
def test_the_envelope_split_page_for_the_district(
    client: Client, users: dict[str, Any], username: str
) -> None:
    client.force_login(users[username])
    response = client.get(envelope())
    assert response.status_code == 200
    html = response.content.decode()
    assert "Nậm Xe" in html and "2.559.000.000 ₫" in html
    home = client.get(reverse("home")).content.decode()
    assert envelope() in home


@pytest.mark.parametrize("username", ["hoi.silolau", "ketoan", "pho.chutich", "quansat"])
def test_the_envelope_split_page_is_refused_to_others(
    plan: Plan, client: Client, users: dict[str, Any], username: str
) -> None:
    client.force_login(users[username])
    assert client.get(envelope()).status_code == 403
    nam_xe = plan.communes.get(commune__code="nam-xe").commune
    data = {"commune": nam_xe.pk, "source": "current", "amount": "1.000.000"}
    assert client.post(envelope(), data).status_code == 403
    assert not SubEnvelope.objects.exists()
    assert envelope() not in client.get(reverse("home")).content.decode()


def test_setting_a_share_is_audited(plan: Plan, client: Client, users: dict[str, Any]) -> None:
    nam_xe = plan.communes.get(commune__code="nam-xe").commune
    client.force_login(users["hoi.huyen"])
    data = {"commune": nam_xe.pk, "source": "current", "amount": "300.000.000"}
    response = client.post(envelope(), data)
    assert response.status_code == 302
    sub = SubEnvelope.objects.get(commune=nam_xe, cell__source="current")
    assert sub.amount == 300_000_000
    entry = AuditEntry.objects.get(action="envelope.subenvelope_set")
    assert entry.actor == users["hoi.huyen"] and entry.amount == 300_000_000
    assert entry.data["commune"] == "nam-xe" and entry.data["from"] is None
    html = client.get(envelope()).content.decode()
    assert "300.000.000 ₫" in html


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        ("2.559.000.001", "more than the cell"),
        ("-1", "cannot be negative"),
        ("1.5", "not a whole number"),
    ],
)
def test_a_share_over_the_cell_or_not_an_amount_is_refused(
    plan: Plan, client: Client, users: dict[str, Any], amount: str, message: str
) -> None:
    nam_xe = plan.communes.get(commune__code="nam-xe").commune
    client.force_login(users["tckh"])
    response = client.post(
        envelope(), {"commune": nam_xe.pk, "source": "current", "amount": amount}
    )
    assert response.status_code == 400
    assert message in " ".join(response.context["form"].errors["amount"])
    assert not SubEnvelope.objects.exists()
    assert not AuditEntry.objects.filter(action="envelope.subenvelope_set").exists()


def test_a_share_below_what_the_commune_holds_is_refused(
    plan: Plan, client: Client, users: dict[str, Any]
) -> None:
    estimate = estimate_in_status("approved", plan=plan, drafter=users["hoi.namxe"])
    client.force_login(users["tckh"])
    data = {"commune": estimate.unit_id, "source": "current", "amount": "1.000.000"}
    response = client.post(envelope(), data)
    assert response.status_code == 400
    assert "cannot be lower" in response.content.decode()
    assert not SubEnvelope.objects.exists()


def test_home_shows_the_ledger_figures_per_cell(
    plan: Plan, client: Client, users: dict[str, Any]
) -> None:
    estimate = estimate_in_status("approved", plan=plan, drafter=users["hoi.silolau"])
    services.estimate_disburse(
        actor=users["ketoan"],
        estimate_id=estimate.pk,
        kind="payment",
        paid_on=dt.date(2024, 6, 3),
        amount=1_250_000,
        source="current",
        document_type="payment_order",
        document_number="UNC-9",
        payee="Nhà văn hoá",
    )
    client.force_login(users["quansat"])
    response = client.get(reverse("home"))
    cells = {(c.level, c.source): c for c in response.context["cells"]}
    current = cells[("commune", "current")]
    assert (current.committed, current.disbursed) == (3_000_000, 1_250_000)
    html = response.content.decode()
    assert "1.250.000 ₫" in html and "2.556.000.000 ₫" in html  # free: 2.559.000.000 - 3.000.000
    assert "7.588.630.000 ₫" in html


# ---------------------------------------------------------------------------------------
# Overdue advances


def test_overdue_advances_for_the_accountant_and_finance_planning(
    plan: Plan, client: Client, users: dict[str, Any]
) -> None:
    estimate = estimate_in_status("approved", plan=plan, drafter=users["hoi.silolau"])
    for paid_on, document in ((dt.date(2024, 6, 10), "TU-OLD"), (timezone.localdate(), "TU-NEW")):
        services.estimate_disburse(
            actor=users["ketoan"],
            estimate_id=estimate.pk,
            kind="advance",
            paid_on=paid_on,
            amount=500_000,
            source="current",
            document_type="cash_voucher",
            document_number=document,
            payee="Chị Lò Thị Mai",
        )
    target = reverse("estimates:advances_overdue")
    for username in ("ketoan", "tckh"):
        client.force_login(users[username])
        response = client.get(target)
        assert response.status_code == 200
        html = response.content.decode()
        assert "TU-OLD" in html and "31/07/2024" in html and "TU-NEW" not in html
        assert estimate.number in html
        assert target in client.get(reverse("estimates:list")).content.decode()  # in the menu
    for username in ("hoi.silolau", "hoi.huyen", "pho.chutich"):
        client.force_login(users[username])
        assert client.get(target).status_code == 403
        assert target not in client.get(reverse("estimates:list")).content.decode()
