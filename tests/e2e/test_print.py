"""The estimate page and a list printed to A4 in headless Chromium (Debian's ``chromium``
driven by Playwright with its ``executable_path``: Playwright's own browser download is not
available): no menu, no button, no form on paper, the table headers repeated on every page
and the page numbers in the margin. The PDFs are written to pytest's temporary directory
for a person to look at."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from playwright import sync_api
from pypdf import PdfReader

from core.money import format_vnd
from estimates.models import Estimate, Plan
from tests.e2e.conftest import session_cookie
from tests.factories import estimate_in_status, estimates_bulk

pytestmark = [pytest.mark.browser]

#: What only the screen shows: the menu, buttons, forms.
ON_SCREEN_ONLY = "header.top, nav, button, form, .button, .pager"
#: The approve form's confirmation, as the vice chair sees it on screen.
APPROVE_CONFIRM = "Tôi phê duyệt"


def _print(
    browser: sync_api.Browser, live_server: Any, cookie: dict[str, Any], path: str, out: Path
) -> tuple[str, int, str]:
    """The page at ``path`` printed to an A4 PDF: the page's HTML, how many screen-only
    elements the printed page still shows, and the PDF's text (pages split by form feeds)."""
    context = browser.new_context(locale="vi-VN")
    context.add_cookies([cookie])
    page = context.new_page()
    page.goto(live_server.url + path)
    html = page.content()
    page.emulate_media(media="print")
    shown = page.evaluate(
        "s => [...document.querySelectorAll(s)].filter(e => e.offsetParent !== null).length",
        ON_SCREEN_ONLY,
    )
    pdf = page.pdf(format="A4")
    context.close()
    out.write_bytes(pdf)
    reader = PdfReader(io.BytesIO(pdf))
    box = reader.pages[0].mediabox
    assert (round(float(box.width) * 25.4 / 72), round(float(box.height) * 25.4 / 72)) == (
        210,
        297,
    )  # A4 in millimetres
    return html, shown, "\f".join(page.extract_text() for page in reader.pages)


@pytest.mark.django_db(transaction=True)
def test_the_estimate_page_prints_on_a4_without_menu_or_buttons(
    live_server: Any, plan: Plan, tmp_path: Path, chromium: sync_api.Browser
) -> None:
    estimate = estimate_in_status("approval", plan=plan, drafter="hoi.silolau")
    cookie = session_cookie(live_server, "pho.chutich")  # offered approve and return
    html, shown, text = _print(
        chromium, live_server, cookie, f"/estimates/{estimate.pk}/", tmp_path / "e.pdf"
    )
    assert APPROVE_CONFIRM in html and "Đăng xuất" in html  # on screen
    assert shown == 0
    assert estimate.number in text and estimate.title in text
    assert "Đăng xuất" not in text and "Việc cần xử lý" not in text  # no menu, no log-out
    assert APPROVE_CONFIRM not in text  # no action form


@pytest.mark.django_db(transaction=True)
def test_a_long_list_repeats_its_header_and_numbers_its_pages(
    live_server: Any, plan: Plan, tmp_path: Path, chromium: sync_api.Browser
) -> None:
    like = estimate_in_status("review", plan=plan, drafter="hoi.silolau")
    estimates_bulk(like, 80, ("review",))
    cookie = session_cookie(live_server, "hoi.huyen")
    _html, shown, text = _print(
        chromium, live_server, cookie, "/estimates/?print=1", tmp_path / "list.pdf"
    )
    assert shown == 0
    pages = text.split("\f")
    assert len(pages) > 2
    assert Estimate.objects.count() == 81
    for number, page in enumerate(pages, start=1):
        assert "Đề nghị" in page, number  # the "Requested" column's header, on every page
        assert f"{number} / {len(pages)}" in page, number
    requested = sum(Estimate.objects.values_list("total_amount", flat=True))
    assert format_vnd(requested) in pages[-1]  # the totals row, once, at the end
    assert format_vnd(requested) not in pages[0]
