"""The whole lifecycle through the real pages in headless Chromium, in Vietnamese: a
commune officer drafts and submits, the district Women's Union returns it, the commune
fixes and resubmits, the Union forwards, Finance-Planning cuts a line with a reason, and the
vice chair approves on a phone with the amount in view while the approve button is; then
the vice chair approves two more at once. Every page visited is checked for English left
untranslated; screenshots of the key screens at 1366×768 and 375×812 are written for a
person to look at (see ``screenshots`` in conftest.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright import sync_api

from core.money import format_vnd
from estimates.models import Estimate, Plan
from organization.demo import DEMO_PASSWORD
from tests.e2e.conftest import DESKTOP, PHONE, assert_vietnamese, session_cookie
from tests.factories import activity_for, estimate_in_status

pytestmark = [pytest.mark.browser]

LINES = [
    ("Thuê hội trường", "buổi", "2", "1.500.000", "1", "current"),
    ("Nước uống", "người", "40", "20.000", "2", "carried"),
]


class Visit:
    """A browser tab of one user: every page it opens is checked for English and may be
    photographed at both widths."""

    def __init__(self, page: sync_api.Page, base: str, shots: Path, viewport: dict[str, int]):
        self.page, self.base, self.shots, self.viewport = page, base, shots, viewport

    def go(self, path: str) -> sync_api.Page:
        response = self.page.goto(self.base + path)
        assert response is not None and response.status == 200, path
        return self.checked()

    def checked(self) -> sync_api.Page:
        assert_vietnamese(self.page)
        return self.page

    def click(self, selector: str) -> sync_api.Page:
        with self.page.expect_navigation():
            self.page.click(selector)
        return self.checked()

    def shoot(self, name: str) -> None:
        """The page as it is now, full length, at the desktop and the phone width."""
        (self.shots / f"{name}.txt").write_text(self.page.inner_text("body"))
        for label, size in (("1366", DESKTOP), ("375", PHONE)):
            self.page.set_viewport_size(size)
            self.page.screenshot(path=self.shots / f"{name}-{label}.png", full_page=True)
        self.page.set_viewport_size(self.viewport)


def open_as(
    browser: sync_api.Browser,
    live_server: Any,
    shots: Path,
    username: str | None = None,
    viewport: dict[str, int] = DESKTOP,
) -> Visit:
    """A new context in Vietnamese at ``viewport``; signed in as ``username`` through its
    session cookie when given (the users who need a second factor), else not signed in."""
    context = browser.new_context(locale="vi-VN", viewport=viewport)
    if username:
        context.add_cookies([session_cookie(live_server, username)])
    return Visit(context.new_page(), live_server.url, shots, viewport)


def log_in(visit: Visit, username: str) -> None:
    """Through the login page, from the site's address, as a person types."""
    page = visit.go("/")
    if "/accounts/login/" not in page.url:
        page = visit.go("/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", DEMO_PASSWORD)
    visit.click("form:has(input[name=password]) button[type=submit]")
    assert "/accounts/login/" not in visit.page.url


def in_viewport(page: sync_api.Page, selector: str) -> bool:
    box = page.locator(selector).first.bounding_box()
    size = page.viewport_size
    assert box is not None and size is not None, selector
    return (
        box["x"] >= 0
        and box["y"] >= 0
        and box["x"] + box["width"] <= size["width"]
        and box["y"] + box["height"] <= size["height"]
    )


@pytest.mark.django_db(transaction=True)
def test_an_estimate_goes_from_draft_to_approved_through_the_pages(
    live_server: Any, plan: Plan, chromium: sync_api.Browser, screenshots: Path
) -> None:
    activity = activity_for(plan, "commune")

    # The commune officer logs in and drafts an estimate with two lines.
    commune = open_as(chromium, live_server, screenshots)
    log_in(commune, "hoi.silolau")
    commune.shoot("01-commune-landing")
    page = commune.go("/estimates/new/")
    page.select_option("select[name=activity]", str(activity.pk))
    page.fill("[name=title]", "Tập huấn phòng chống bạo lực gia đình")
    page.fill("[name=start_date]", "01/06/2024")
    page.fill("[name=end_date]", "02/06/2024")
    page.fill("[name=participants_women]", "30")
    page.fill("[name=participants_girls]", "5")
    page.fill("[name=participants_men]", "5")
    page.locator("input[name=villages]").first.check()
    for i, (description, unit, quantity, price, times, source) in enumerate(LINES):
        page.fill(f"[name=lines-{i}-description]", description)
        page.fill(f"[name=lines-{i}-unit_of_measure]", unit)
        page.fill(f"[name=lines-{i}-quantity]", quantity)
        page.fill(f"[name=lines-{i}-unit_price]", price)
        page.fill(f"[name=lines-{i}-times]", times)
        page.select_option(f"[name=lines-{i}-source]", source)
    commune.shoot("02-estimate-form")
    commune.click("form.estimate-form button[type=submit]:not([name])")
    estimate = Estimate.objects.get()
    assert estimate.status == "draft" and estimate.total_amount == 3_000_000 + 1_600_000
    assert page.url.endswith(f"/estimates/{estimate.pk}/")
    detail = f"/estimates/{estimate.pk}/"
    assert "4.600.000" in page.inner_text("body")
    commune.click("form[action$='/submit/'] button")
    assert Estimate.objects.get().status == "review"

    # The district Women's Union returns it with a reason.
    union = open_as(chromium, live_server, screenshots)
    log_in(union, "hoi.huyen")
    union.shoot("03-union-inbox")
    page = union.go(detail)
    page.click("#return-for-revision summary")
    page.fill("form[action$='/return/'] [name=reason]", "Thiếu danh sách thôn tham gia")
    union.click("form[action$='/return/'] button[type=submit]")
    assert Estimate.objects.get().status == "returned"

    # The commune officer sees the reason, fixes the estimate and resubmits.
    page = commune.go(detail)
    assert "Thiếu danh sách thôn tham gia" in page.inner_text("body")
    commune.shoot("04-returned")
    page = commune.go(f"/estimates/{estimate.pk}/edit/")
    page.locator("input[name=villages]").nth(1).check()
    commune.click("form.estimate-form button[type=submit]:not([name])")
    assert Estimate.objects.get().villages.count() == 2
    commune.click("form[action$='/submit/'] button")
    assert Estimate.objects.get().status == "review"

    # The Union forwards it to Finance-Planning.
    union.go(detail)
    union.click("form[action$='/forward/'] button[type=submit]")
    assert Estimate.objects.get().status == "appraisal"

    # Finance-Planning cuts the second line with a reason.
    finance = open_as(chromium, live_server, screenshots, "tckh")
    finance.go("/estimates/inbox/")
    page = finance.go(f"/estimates/{estimate.pk}/appraise/")
    water = estimate.lines.get(position=2)
    page.fill(f"[name=line-{water.pk}]", "1.200.000")
    page.fill(f"[name=reason-{water.pk}]", "Định mức nước uống 15.000 đồng/người/ngày")
    finance.shoot("05-appraise")
    finance.click("form:has(input[name=seen_status]) button[type=submit]")
    estimate.refresh_from_db()
    assert estimate.status == "approval" and estimate.appraised_amount == 4_200_000

    # The vice chair, on a phone, opens it from the inbox and approves it with the amount
    # in view while the approve button is.
    chair = open_as(chromium, live_server, screenshots, "pho.chutich", PHONE)
    page = chair.go("/estimates/inbox/")
    chair.shoot("06-chair-inbox")
    page = chair.go(detail)
    chair.shoot("07-chair-summary")
    page.screenshot(path=screenshots / "07-chair-summary-fold-375.png")  # what the phone shows
    amount = "#to-approve .amount"
    button = "form.approve-bar button[type=submit]"
    assert page.inner_text(amount).strip() == format_vnd(4_200_000)
    assert "Định mức nước uống" in page.inner_text("#to-approve")
    assert in_viewport(page, button) and in_viewport(page, amount)  # as the page opens
    page.check("form.approve-bar input[name=confirm]")
    assert in_viewport(page, button) and in_viewport(page, amount)
    chair.click(button)
    estimate.refresh_from_db()
    assert estimate.status == "approved" and estimate.approved_amount == 4_200_000
    chair.shoot("08-approved")
    page = chair.go("/estimates/")
    chair.shoot("09-list")


@pytest.mark.django_db(transaction=True)
def test_the_vice_chair_approves_two_estimates_at_once(
    live_server: Any, plan: Plan, chromium: sync_api.Browser, screenshots: Path
) -> None:
    first = estimate_in_status("approval", plan=plan, drafter="hoi.silolau")
    second = estimate_in_status("approval", plan=plan, drafter="hoi.silolau")
    total = first.appraised_amount + second.appraised_amount
    chair = open_as(chromium, live_server, screenshots, "pho.chutich", PHONE)
    page = chair.go("/estimates/approve-many/")
    chair.shoot("10-approve-many")
    page.check(f"#e{first.pk}")
    page.check(f"#e{second.pk}")
    page = chair.click("form:has(input[name=estimate]) button[type=submit]")
    assert format_vnd(total) in page.inner_text("body")  # the one confirmation states it
    chair.shoot("11-approve-many-confirm")
    page = chair.click("form:has(input[name=estimate]) button[type=submit]")
    chair.shoot("12-approve-many-done")
    assert first.number in page.inner_text("body") and second.number in page.inner_text("body")
    assert set(Estimate.objects.values_list("status", flat=True)) == {"approved"}
