"""viewflow's board of the estimate flow, drawn by the project (``workflows/board.html``):
on a desktop and on a phone its cards show their number, stage, date and one button, in
Vietnamese. Screenshots are written as test artifacts."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright import sync_api

from estimates.models import Plan
from tests.e2e.conftest import DESKTOP, PHONE, signed_in_page
from tests.factories import estimate_in_status

pytestmark = [pytest.mark.browser]


@pytest.mark.parametrize("screen", ["desktop", "phone"])
@pytest.mark.django_db(transaction=True)
def test_the_board_shows_each_stage_cards_with_one_button(
    chromium: sync_api.Browser,
    live_server: Any,
    plan: Plan,
    users: dict[str, Any],
    screenshots: Path,
    screen: str,
) -> None:
    for status in ("review", "review", "draft", "appraisal"):
        estimate_in_status(status, plan=plan, drafter=users["hoi.silolau"])
    viewport = DESKTOP if screen == "desktop" else PHONE
    page = signed_in_page(chromium, live_server, "hoi.huyen", "/workflow/estimate/", viewport)
    cards = page.locator(".vf-dashboard .mdc-card h2")
    assert cards.count() >= 4  # the flow's own card, then the tasks'
    review = page.locator(".column", has=page.locator(".column-title", has_text="Xem xét"))
    assert review.locator(".mdc-card").count() == 2
    take = review.locator("a.mdc-button", has_text="Nhận việc")
    assert take.count() == 2 and take.first.is_visible()
    assert "/assign/" in (take.first.get_attribute("href") or "")
    assert "Ngày tạo" in review.inner_text()
    # The board's spacing comes from its style sheet (no style attributes: CSP).
    card = review.locator(".mdc-card").first
    assert card.evaluate("c => getComputedStyle(c).paddingTop") == "15px"
    if screen == "phone":  # the columns one under the other: nothing to scroll sideways to
        box = review.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.screenshot(path=str(screenshots / f"board-{screen}.png"), full_page=True)
    page.context.close()
