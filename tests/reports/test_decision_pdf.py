"""The approval decision as a PDF: its text, its bytes, who may download it."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from pypdf import PdfReader
from rest_framework.test import APIClient

from approvals.models import Decision
from core.money import format_vnd
from core.words import amount_in_words
from estimates.models import Estimate, Plan
from reports.decisions import date_line, decision_pdf
from tests.factories import api_key, estimate_in_status

pytestmark = pytest.mark.django_db


def text_of(pdf: bytes) -> str:
    reader = PdfReader(io.BytesIO(pdf))
    return "\n".join(page.extract_text() for page in reader.pages)


def flat(text: str) -> str:
    return " ".join(text.split())


@pytest.fixture
def approved(plan: Plan, users: dict[str, Any]) -> Estimate:
    return estimate_in_status("approved", plan=plan, drafter=users["hoi.silolau"])


def page_client(user: Any) -> Client:
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    client.force_login(user)
    return client


def api_client(user: Any) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {api_key(user)}")
    return client


def test_the_decision_pdf_says_what_was_decided(approved: Estimate, users: dict[str, Any]) -> None:
    decision = Decision.objects.get(estimate=approved)
    response = page_client(users["hoi.silolau"]).get(
        reverse("estimates:decision", args=[approved.pk])
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == (
        f'inline; filename="QD-{decision.number}-{decision.year}.pdf"'
    )
    text = flat(text_of(response.content))
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in text
    assert "Độc lập - Tự do - Hạnh phúc" in text
    assert "ỦY BAN NHÂN DÂN HUYỆN PHONG THỔ" in text
    assert f"Số: {decision.number}/QĐ-UBND" in text
    assert date_line("Phong Thổ", decision.issued_on) in text
    assert "QUYẾT ĐỊNH" in text
    assert "Căn cứ Kế hoạch số 117/KH-UBND ngày 01/04/2024 của UBND huyện Phong Thổ" in text
    assert approved.approved_amount is not None
    assert f"{format_vnd(approved.approved_amount, symbol=False)} đồng" in text
    assert amount_in_words(approved.approved_amount) in text
    assert "Điều 1." in text and "Điều 2." in text and "Điều 3." in text
    assert "Nơi nhận:" in text
    approver = users["pho.chutich"]
    assert f"KT. CHỦ TỊCH PHÓ CHỦ TỊCH {approver.get_full_name() or approver.username}" in text
    assert "PHỤ LỤC" in text


def test_date_line_follows_decree_30() -> None:
    from datetime import date

    assert date_line("Phong Thổ", date(2024, 6, 5)) == "Phong Thổ, ngày 05 tháng 6 năm 2024"
    assert date_line("Phong Thổ", date(2024, 2, 15)) == "Phong Thổ, ngày 15 tháng 02 năm 2024"


def test_downloaded_twice_the_same_bytes(approved: Estimate, users: dict[str, Any]) -> None:
    client = page_client(users["hoi.silolau"])
    url = reverse("estimates:decision", args=[approved.pk])
    assert client.get(url).content == client.get(url).content


def test_later_edits_change_nothing_in_the_pdf(approved: Estimate, users: dict[str, Any]) -> None:
    client = page_client(users["tckh"])
    url = reverse("estimates:decision", args=[approved.pk])
    before = client.get(url).content
    approver = users["pho.chutich"]
    approver.first_name, approver.last_name = "Người", "Khác"
    approver.save()
    assert client.get(url).content == before


def test_another_communes_officer_gets_404(approved: Estimate, users: dict[str, Any]) -> None:
    response = page_client(users["hoi.namxe"]).get(
        reverse("estimates:decision", args=[approved.pk])
    )
    assert response.status_code == 404


def test_a_draft_has_no_decision_yet(plan: Plan, users: dict[str, Any]) -> None:
    draft = estimate_in_status("draft", plan=plan, drafter=users["hoi.silolau"])
    response = page_client(users["hoi.silolau"]).get(reverse("estimates:decision", args=[draft.pk]))
    assert response.status_code == 409
    assert "no approval decision yet" in response.content.decode()


def test_the_detail_page_links_the_decision_once_approved(
    approved: Estimate, users: dict[str, Any], plan: Plan
) -> None:
    client = page_client(users["hoi.silolau"])
    url = reverse("estimates:decision", args=[approved.pk])
    assert url in client.get(reverse("estimates:detail", args=[approved.pk])).content.decode()
    waiting = estimate_in_status("approval", plan=plan, drafter=users["hoi.silolau"])
    page = client.get(reverse("estimates:detail", args=[waiting.pk])).content.decode()
    assert reverse("estimates:decision", args=[waiting.pk]) not in page


def test_the_api_serves_the_decision(approved: Estimate, users: dict[str, Any], plan: Plan) -> None:
    def api(username: str) -> APIClient:
        return api_client(users[username])

    url = f"/api/v1/estimates/{approved.pk}/decision/"
    response = api("hoi.silolau").get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in flat(text_of(response.content))
    assert api("hoi.silolau").get(url, HTTP_ACCEPT="application/pdf").status_code == 200
    assert api("hoi.namxe").get(url).status_code == 404
    draft = estimate_in_status("draft", plan=plan)
    refused = api("hoi.silolau").get(
        f"/api/v1/estimates/{draft.pk}/decision/", HTTP_ACCEPT_LANGUAGE="en"
    )
    assert refused.status_code == 409
    assert "no approval decision yet" in refused.json()["detail"]
    refused = api("hoi.silolau").get(
        f"/api/v1/estimates/{draft.pk}/decision/",
        HTTP_ACCEPT="application/pdf",
        HTTP_ACCEPT_LANGUAGE="vi",
    )
    assert refused.status_code == 409
    assert refused["Content-Type"] == "application/json"
    assert "chưa có quyết định phê duyệt" in refused.json()["detail"]


def test_the_schema_names_the_pdf(users: dict[str, Any]) -> None:
    schema = api_client(users["tckh"]).get("/api/v1/schema/", HTTP_ACCEPT="application/json").json()
    operation = schema["paths"]["/api/v1/estimates/{id}/decision/"]["get"]
    assert "application/pdf" in operation["responses"]["200"]["content"]


def test_the_font_is_embedded(approved: Estimate) -> None:
    """Every glyph comes from the embedded subsets of the @font-face (DejaVu Serif), none
    from the reader's fonts or a fallback (which would print under its own name)."""
    snapshot = Decision.objects.get(estimate=approved).snapshot
    reader = PdfReader(io.BytesIO(decision_pdf(snapshot)))
    fonts = set()
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            descriptor = font["/DescendantFonts"][0].get_object()["/FontDescriptor"]
            assert "/FontFile2" in descriptor or "/FontFile3" in descriptor
            fonts.add(str(font["/BaseFont"]).split("+")[-1])
    assert fonts and all(name.startswith("Decision-Serif") for name in fonts), fonts


@pytest.mark.parametrize(
    "url", ["file:///etc/passwd", "http://example.com/a.ttf", "https://example.com/x.png"]
)
def test_the_renderer_fetches_nothing_but_a_font_file(url: str) -> None:
    from reports.decisions import _SystemFontsOnly

    with pytest.raises(ValueError, match=r"no resource|disallowed"):
        _SystemFontsOnly(allowed_protocols={"file"}).fetch(url)
