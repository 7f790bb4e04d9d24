"""On a phone (375×812) the tables drop their heading row; each cell then names its column
(``data-label``, shown by the style sheet), so the vice chair choosing several estimates to
approve still reads which figure is what. Screenshots are written as test artifacts."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone
from playwright import sync_api

from estimates.models import Estimate, Plan
from tests.e2e.conftest import PHONE, assert_vietnamese, signed_in_page
from tests.factories import estimate_in_status

pytestmark = [pytest.mark.browser]


def _named_within_the_screen(cell: Any, label: str) -> None:
    """The headings are hidden: the cell names its column itself, and fits the phone."""
    assert cell.evaluate("td => getComputedStyle(td, '::before').content") == f'"{label}: "'
    box = cell.bounding_box()
    assert box is not None and box["x"] + box["width"] <= PHONE["width"]  # no sideways scroll


@pytest.mark.django_db(transaction=True)
def test_the_approve_many_table_keeps_its_headingssigned_in_page(
    chromium: sync_api.Browser,
    live_server: Any,
    plan: Plan,
    users: dict[str, Any],
    screenshots: Path,
) -> None:
    for _ in range(2):
        estimate_in_status("approval", plan=plan, drafter=users["hoi.silolau"])
    page = signed_in_page(chromium, live_server, "pho.chutich", "/estimates/approve-many/")
    assert page.locator("table.list thead").is_hidden()
    _named_within_the_screen(
        page.locator("table.list tbody tr").first.locator("td.num").last, "Số phê duyệt"
    )
    assert_vietnamese(page)
    page.screenshot(path=str(screenshots / "approve-many-phone.png"), full_page=True)
    page.context.close()


@pytest.mark.django_db(transaction=True)
def test_the_overdue_list_turns_into_cardssigned_in_page(
    chromium: sync_api.Browser,
    live_server: Any,
    plan: Plan,
    users: dict[str, Any],
    screenshots: Path,
) -> None:
    """The district Women's Union's late reviews: every figure, the working days late
    included, within the phone's width (no sideways scrolling), each named."""
    late = [estimate_in_status("review", plan=plan, drafter=users["hoi.silolau"]) for _ in range(2)]
    Estimate.objects.filter(pk__in=[e.pk for e in late]).update(
        status_changed_at=timezone.now() - dt.timedelta(days=60)
    )
    page = signed_in_page(chromium, live_server, "hoi.huyen", "/notifications/overdue/")
    assert page.locator("table.list thead").is_hidden()
    rows = page.locator("table.list tbody tr")
    assert rows.count() == 2
    _named_within_the_screen(rows.first.locator("td.num").last, "Số ngày làm việc quá hạn")
    assert_vietnamese(page)
    page.screenshot(path=str(screenshots / "overdue-phone.png"), full_page=True)
    page.context.close()
