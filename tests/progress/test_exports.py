"""The district report as Excel and PDF: the figures of its snapshot, the plan's
recipients, the same PDF bytes twice."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from progress import services
from progress.exports import district_report_pdf, district_report_workbook
from tests.factories import demo_user

from .helpers import DISTRICT_WU, period, report_in_status

pytestmark = pytest.mark.django_db


@pytest.fixture
def district_report(plan):
    report_in_status(plan, "accepted", women=30)
    district = demo_user(DISTRICT_WU)
    report = services.district_report_consolidate(
        actor=district, period_id=period(plan).pk, unit_id=plan.area_id
    )
    return services.district_report_submit(actor=district, report_id=report.pk)


def test_the_workbook_holds_the_activities_indicators_and_envelope(district_report):
    content, name = district_report_workbook(district_report)
    assert name.endswith(".xlsx")
    sheet = load_workbook(io.BytesIO(content)).active
    rows = [tuple(row) for row in sheet.iter_rows(values_only=True)]
    activity = next(r for r in rows if r[1] and str(r[1]).startswith("1.4 "))
    assert activity[2:6] == (1, 30, 2, 3)
    target = next(r for r in rows if r[1] and str(r[1]).startswith("Gói chính sách hỗ trợ"))
    assert target[3] == "4"
    allocated = [r[1] for r in rows if r[0] and "·" in str(r[0]) and isinstance(r[1], int)]
    assert sum(allocated) == 7_588_630_000


def test_the_pdf_prints_the_recipients_and_is_stable(district_report):
    first, name = district_report_pdf(district_report)
    second, _ = district_report_pdf(district_report)
    assert name.endswith(".pdf") and first == second
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(first)).pages)
    assert "Nơi nhận" in text
    assert "Hội LHPN tỉnh" in text
    assert "Quý II/2024" in text
