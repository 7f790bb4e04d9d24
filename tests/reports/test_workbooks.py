"""The estimate and settlement forms as Excel workbooks: their cells, who may download
them, where they are offered, the API's media type."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook
from openpyxl.worksheet.worksheet import Worksheet
from rest_framework.test import APIClient

from approvals import services
from core.words import amount_in_words
from estimates.models import Estimate, Plan, Source
from ledger.models import EstimateAccount
from ledger.selectors import source_label
from reports.workbooks import (
    MONEY_FORMAT,
    MOTTO,
    NATIONAL_TITLE,
    XLSX,
    estimate_workbook,
    settlement_workbook,
)
from tests.factories import api_key, estimate_in_status, line_input, lines_of

pytestmark = pytest.mark.django_db


# --------------------------------------------------------------------------------------
# Reading a workbook back


class Form:
    """A generated form opened with openpyxl: its texts, its line table by column title."""

    def __init__(self, content: bytes) -> None:
        ws = load_workbook(io.BytesIO(content)).worksheets[0]
        assert isinstance(ws, Worksheet)
        self.ws = ws
        self.header = next(r for r in range(1, ws.max_row + 1) if ws.cell(r, 1).value == "STT")
        self.columns = {
            ws.cell(self.header, c).value: c
            for c in range(1, ws.max_column + 1)
            if ws.cell(self.header, c).value
        }

    def texts(self) -> list[str]:
        return [str(c.value) for row in self.ws.iter_rows() for c in row if c.value is not None]

    def row_of(self, description: str, *, column: str = "Nội dung chi", after: int = 0) -> int:
        c = self.columns[column]
        return next(
            r
            for r in range(max(self.header, after) + 1, self.ws.max_row + 1)
            if self.ws.cell(r, c).value == description
        )

    def value(self, row: int, column: str) -> Any:
        return self.ws.cell(row, self.columns[column]).value

    def money(self, row: int, column: str) -> int:
        cell = self.ws.cell(row, self.columns[column])
        assert isinstance(cell.value, int), (column, cell.value)
        assert cell.number_format == MONEY_FORMAT
        return cell.value


def page_client(user: Any) -> Client:
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    client.force_login(user)
    return client


def api_client(user: Any) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {api_key(user)}")
    return client


@pytest.fixture
def approved(plan: Plan, users: dict[str, Any]) -> Estimate:
    return estimate_in_status("approved", plan=plan, drafter=users["hoi.silolau"])


@pytest.fixture
def settled(approved: Estimate, users: dict[str, Any], plan: Plan) -> Estimate:
    """Approved 3.000.000 current + 2.000.000 carried, all disbursed; spent 2.500.000 and
    1.200.000; of the 1.300.000 unspent, 300.000 carried over and 1.000.000 returned."""
    for source, amount in ((Source.CURRENT, 3_000_000), (Source.CARRIED, 2_000_000)):
        services.estimate_disburse(
            actor=users["ketoan"],
            estimate_id=approved.pk,
            kind="payment",
            paid_on=dt.date(2024, 6, 10),  # carried-over money is used by 31/12/2024
            amount=amount,
            source=source,
            document_type="payment_order",
            document_number=f"UNC-{source}",
            payee="Hội LHPN xã",
        )
    spent = {1: 2_500_000, 2: 1_200_000}
    services.estimate_settle(
        actor=users["hoi.silolau"],
        estimate_id=approved.pk,
        lines=[
            {"line_id": line.pk, "spent": spent[line.position], "note": f"HĐ {line.position}"}
            for line in approved.lines.all()
        ],
        returned=1_000_000,
        return_document="GNT-01",
        carried=300_000,
        carried_use_by=plan.period_end + dt.timedelta(days=365),
    )
    return Estimate.objects.get(pk=approved.pk)


# --------------------------------------------------------------------------------------
# The estimate form


def test_a_draft_estimate_form_has_its_lines_subtotals_and_total(
    plan: Plan, users: dict[str, Any]
) -> None:
    draft = estimate_in_status("draft", plan=plan, drafter=users["hoi.silolau"])
    form = Form(estimate_workbook(draft))
    texts = form.texts()
    assert NATIONAL_TITLE in texts and MOTTO in texts
    assert any(t.startswith("DỰ TOÁN KINH PHÍ") for t in texts)
    assert plan.issuer.name.upper() in texts
    assert f"ĐƠN VỊ: XÃ {draft.unit.name.upper()}" in texts
    assert any(plan.number in t for t in texts)
    assert any(draft.number in t for t in texts)
    assert list(form.columns) == [
        "STT",
        "Nội dung chi",
        "Đơn vị tính",
        "Số lượng",
        "Đơn giá",
        "Số lần (ngày)",
        "Thành tiền",
        "Nguồn",
    ]
    water = form.row_of("Nước uống")
    assert form.value(water, "Đơn vị tính") == "người"
    assert form.value(water, "Số lượng") == 50
    assert form.money(water, "Đơn giá") == 20_000
    assert form.value(water, "Số lần (ngày)") == 2
    assert form.money(water, "Thành tiền") == 2_000_000
    assert form.value(water, "Nguồn") == source_label(plan, Source.CARRIED)
    current = form.row_of(f"Cộng nguồn: {source_label(plan, Source.CURRENT)}")
    carried = form.row_of(f"Cộng nguồn: {source_label(plan, Source.CARRIED)}")
    assert form.money(current, "Thành tiền") == 3_000_000
    assert form.money(carried, "Thành tiền") == 2_000_000
    assert current < carried
    total = form.row_of("TỔNG CỘNG")
    assert form.money(total, "Thành tiền") == draft.total_amount == 5_000_000
    assert f"Số tiền bằng chữ: {amount_in_words(5_000_000)}" in texts
    for block in ("NGƯỜI LẬP BIỂU", "KẾ TOÁN", "THỦ TRƯỞNG ĐƠN VỊ"):
        assert block in texts


def test_the_appraised_and_approved_columns_appear_once_they_exist(
    plan: Plan, users: dict[str, Any]
) -> None:
    waiting = estimate_in_status("approval", plan=plan, drafter=users["hoi.silolau"])
    form = Form(estimate_workbook(waiting))
    assert "Thẩm định" in form.columns and "Phê duyệt" not in form.columns
    services.estimate_approve(actor=users["pho.chutich"], estimate_id=waiting.pk)
    approved = Estimate.objects.get(pk=waiting.pk)
    form = Form(estimate_workbook(approved))
    assert list(form.columns)[6:] == ["Thành tiền", "Thẩm định", "Phê duyệt", "Nguồn"]
    hall = form.row_of(approved.lines.get(position=1).description)
    line = approved.lines.get(position=1)
    assert form.money(hall, "Thẩm định") == line.appraised_amount
    assert form.money(hall, "Phê duyệt") == line.approved_amount
    total = form.row_of("TỔNG CỘNG")
    assert approved.approved_amount is not None
    assert form.money(total, "Phê duyệt") == approved.approved_amount
    assert form.money(total, "Thẩm định") == approved.appraised_amount
    assert f"Số tiền bằng chữ: {amount_in_words(approved.approved_amount)}" in form.texts()


def test_large_amounts_stay_whole_dong(plan: Plan, users: dict[str, Any]) -> None:
    draft = estimate_in_status(
        "draft",
        plan=plan,
        drafter=users["hoi.silolau"],
        lines=lines_of((Source.CURRENT, 1_000_005), (Source.CURRENT, 7_587_630_000)),
    )
    form = Form(estimate_workbook(draft))
    total = form.row_of("TỔNG CỘNG")
    assert form.money(total, "Thành tiền") == 7_588_630_005
    assert f"Số tiền bằng chữ: {amount_in_words(7_588_630_005)}" in form.texts()
    assert not any(f"Cộng nguồn: {source_label(plan, Source.CARRIED)}" == t for t in form.texts())


@pytest.mark.parametrize(
    ("build", "queries"),
    [
        # the estimate with its plan, issuer, unit, content and activity; its lines
        (estimate_workbook, 2),
        # and the settlement with its lines (2), the estimate's accounts and disbursements
        (settlement_workbook, 6),
    ],
)
def test_the_forms_read_in_a_fixed_number_of_queries(
    plan: Plan, users: dict[str, Any], django_assert_num_queries: Any, build: Any, queries: int
) -> None:
    for n in (2, 30):
        estimate = estimate_in_status(
            "settlement",
            plan=plan,
            drafter=users["hoi.silolau"],
            lines=[line_input(description=f"Khoản {i}", unit_price=10_000) for i in range(n)],
        )
        estimate = Estimate.objects.get(pk=estimate.pk)
        with django_assert_num_queries(queries):
            content = build(estimate)
        assert Form(content).row_of(f"Khoản {n - 1}")


# --------------------------------------------------------------------------------------
# The settlement form


def test_the_settlement_form_balances_per_source(settled: Estimate, plan: Plan) -> None:
    form = Form(settlement_workbook(settled))
    texts = form.texts()
    assert any(t.startswith("QUYẾT TOÁN KINH PHÍ") for t in texts)
    hall = form.row_of(settled.lines.get(position=1).description)
    assert form.money(hall, "Phê duyệt") == 3_000_000
    assert form.money(hall, "Thực chi (quyết toán)") == 2_500_000
    assert form.value(hall, "Ghi chú") == "HĐ 1"
    water = form.row_of("Nước uống")
    assert form.money(water, "Thực chi (quyết toán)") == 1_200_000
    total = form.row_of("TỔNG CỘNG")
    assert form.money(total, "Phê duyệt") == 5_000_000
    assert form.money(total, "Thực chi (quyết toán)") == 3_700_000

    # The table per source: its header sits in the description column.
    heading = next(
        r for r in range(1, form.ws.max_row + 1) if form.ws.cell(r, 2).value == "Nguồn kinh phí"
    )
    titles = {form.ws.cell(heading, c).value: c for c in range(2, 8)}
    assert list(titles) == [
        "Nguồn kinh phí",
        "Phê duyệt",
        "Đã cấp (giải ngân)",
        "Thực chi",
        "Nộp trả",
        "Chuyển nguồn",
    ]

    def figures(label: str) -> dict[str, int]:
        row = next(
            r for r in range(heading + 1, form.ws.max_row + 1) if form.ws.cell(r, 2).value == label
        )
        values = {t: form.ws.cell(row, c).value for t, c in titles.items() if c > 2}
        assert all(isinstance(v, int) for v in values.values()), values
        assert all(form.ws.cell(row, c).number_format == MONEY_FORMAT for c in range(3, 8))
        return values  # type: ignore[return-value]

    current = figures(source_label(plan, Source.CURRENT))
    carried = figures(source_label(plan, Source.CARRIED))
    whole = figures("TỔNG CỘNG")
    for row in (current, carried, whole):
        assert row["Thực chi"] + row["Nộp trả"] + row["Chuyển nguồn"] == row["Đã cấp (giải ngân)"]
    assert current["Phê duyệt"] == current["Đã cấp (giải ngân)"] == 3_000_000
    assert current["Thực chi"] == 2_500_000
    assert carried["Thực chi"] == 1_200_000
    assert whole["Nộp trả"] == 1_000_000 and whole["Chuyển nguồn"] == 300_000
    assert whole["Đã cấp (giải ngân)"] == 5_000_000
    assert f"Số quyết toán bằng chữ: {amount_in_words(3_700_000)}" in texts


def test_a_verified_settlement_shows_what_the_ledger_entered(
    settled: Estimate, users: dict[str, Any]
) -> None:
    """After verification the ledger holds spent, returned and carried over per source: the
    form shows the same figures."""
    services.estimate_verify_settlement(actor=users["tckh"], estimate_id=settled.pk)
    closed = Estimate.objects.get(pk=settled.pk)
    assert closed.status == "closed"
    form = Form(settlement_workbook(closed))
    heading = next(
        r for r in range(1, form.ws.max_row + 1) if form.ws.cell(r, 2).value == "Nguồn kinh phí"
    )
    shown = {
        form.ws.cell(r, 2).value: [form.ws.cell(r, c).value for c in range(3, 8)]
        for r in range(heading + 1, heading + 3)
    }
    ledger = {
        source_label(closed.plan, a.source): [
            a.approved,
            a.disbursed,
            a.spent,
            a.returned,
            a.carried,
        ]
        for a in EstimateAccount.objects.filter(estimate=closed)
    }
    assert shown == ledger


# --------------------------------------------------------------------------------------
# Where users get them, and who may


def test_downloads_on_the_site(settled: Estimate, users: dict[str, Any]) -> None:
    client = page_client(users["hoi.silolau"])
    response = client.get(reverse("estimates:estimate_form", args=[settled.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == XLSX
    assert response["Content-Disposition"] == f'attachment; filename="{settled.number}.xlsx"'
    assert Form(response.content).row_of("TỔNG CỘNG")
    response = client.get(reverse("estimates:settlement_form", args=[settled.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == XLSX
    assert response["Content-Disposition"] == (f'attachment; filename="QT-{settled.number}.xlsx"')
    assert "Thực chi (quyết toán)" in Form(response.content).columns


def test_another_communes_officer_gets_404(settled: Estimate, users: dict[str, Any]) -> None:
    client = page_client(users["hoi.namxe"])
    for name in ("estimate_form", "settlement_form"):
        assert client.get(reverse(f"estimates:{name}", args=[settled.pk])).status_code == 404


def test_no_settlement_form_before_a_settlement(approved: Estimate, users: dict[str, Any]) -> None:
    response = page_client(users["hoi.silolau"]).get(
        reverse("estimates:settlement_form", args=[approved.pk])
    )
    assert response.status_code == 409
    assert "no settlement yet" in response.content.decode()


def test_the_detail_page_links_the_forms(
    approved: Estimate, settled: Estimate, users: dict[str, Any]
) -> None:
    client = page_client(users["hoi.silolau"])
    page = client.get(reverse("estimates:detail", args=[settled.pk])).content.decode()
    assert reverse("estimates:estimate_form", args=[settled.pk]) in page
    assert reverse("estimates:settlement_form", args=[settled.pk]) in page
    assert "Estimate (Excel)" in page and "Settlement (Excel)" in page
    other = estimate_in_status("approved", drafter=users["hoi.silolau"])
    page = client.get(reverse("estimates:detail", args=[other.pk])).content.decode()
    assert reverse("estimates:estimate_form", args=[other.pk]) in page
    assert reverse("estimates:settlement_form", args=[other.pk]) not in page


def test_the_api_serves_the_forms(settled: Estimate, users: dict[str, Any], plan: Plan) -> None:
    mine = api_client(users["hoi.silolau"])
    for path in ("estimate-form", "settlement-form"):
        url = f"/api/v1/estimates/{settled.pk}/{path}/"
        response = mine.get(url)
        assert response.status_code == 200, response.content[:200]
        assert response["Content-Type"] == XLSX
        assert Form(response.content).row_of("TỔNG CỘNG")
        assert mine.get(url, HTTP_ACCEPT=XLSX).status_code == 200
        assert api_client(users["hoi.namxe"]).get(url).status_code == 404
    draft = estimate_in_status("draft", plan=plan)
    refused = mine.get(
        f"/api/v1/estimates/{draft.pk}/settlement-form/",
        HTTP_ACCEPT=XLSX,
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert refused.status_code == 409
    assert refused["Content-Type"] == "application/json"
    assert "no settlement yet" in refused.json()["detail"]


def test_the_schema_names_the_excel_media_type(users: dict[str, Any]) -> None:
    schema = api_client(users["tckh"]).get("/api/v1/schema/", HTTP_ACCEPT="application/json").json()
    for path in ("estimate-form", "settlement-form"):
        operation = schema["paths"][f"/api/v1/estimates/{{id}}/{path}/"]["get"]
        assert XLSX in operation["responses"]["200"]["content"]
    settlement = schema["paths"]["/api/v1/estimates/{id}/settlement-form/"]["get"]
    assert "409" in settlement["responses"]
