"""Words that depend on the plan's structure: the status and the role of the Women's Union
above the commune are named after the plan's area (a district's plan, or a province's with
no district) where a page shows them for an estimate; elsewhere the words name no level."""

from __future__ import annotations

import datetime as dt
import io

from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import translation
from openpyxl import load_workbook

from approvals import services
from estimates.models import AmendmentStatus, EstimateStatus, Plan, status_label
from organization.models import Role, role_label
from progress.lifecycle import transition
from progress.models import Period, ProgressReport, TargetSource
from progress.words import area_word
from tests.factories import demo_user, estimate_in_status
from tests.plans.conftest import example_draft

S = EstimateStatus


def test_the_stored_values_stay_and_the_neutral_words_name_no_district() -> None:
    assert S.REVIEW.value == "review" and Role.DISTRICT_WU.value == "district_wu"
    assert str(S.REVIEW.label) == "Awaiting Women's Union review"
    assert str(Role.DISTRICT_WU.label) == "Women's Union officer above the commune"
    assert str(status_label("review", "province")) == "Awaiting province Women's Union review"
    assert str(role_label("district_wu", "district")) == "District Women's Union officer"
    assert str(role_label("district_wu")) == "Women's Union officer above the commune"


def test_every_status_has_its_words_in_each_language() -> None:
    """``status_label`` answers every estimate and amendment status with the enum's own
    label, translated when asked (it looks them up), an unknown value as itself."""
    for language, review in (("en", "Awaiting Women's Union review"), ("vi", None)):
        with translation.override(language):
            for member in [*EstimateStatus, *AmendmentStatus]:
                assert str(status_label(member.value)) == str(member.label)
            if review is not None:
                assert str(status_label("review")) == review
            else:
                assert str(status_label("review")) != "Awaiting Women's Union review"
    assert status_label("no-such-status") == "no-such-status"


def test_the_estimate_page_speaks_the_words_of_its_plan(two_plans: tuple[Plan, Plan]) -> None:
    p117, example = two_plans
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"

    in_review = estimate_in_status(S.REVIEW, plan=p117)
    client.force_login(demo_user("hoi.huyen"))
    html = client.get(reverse("estimates:detail", args=[in_review.pk])).content.decode()
    assert "Awaiting district Women&#x27;s Union review" in html

    drafter = demo_user("hoi.xamot")
    estimate = example_draft(example)
    services.estimate_submit(actor=drafter, estimate_id=estimate.pk)
    client.force_login(demo_user("hoi.tinh"))
    url = reverse("estimates:detail", args=[estimate.pk])
    html = client.get(url).content.decode()
    assert "Awaiting province Women&#x27;s Union review" in html
    assert "district" not in html.lower().replace("district_wu", "")
    services.estimate_forward(actor=demo_user("hoi.tinh"), estimate_id=estimate.pk)
    html = client.get(url).content.decode()
    assert "(Province Women&#x27;s Union officer" in html
    assert "Awaiting province Women&#x27;s Union review →" in html


def test_the_progress_pages_of_a_province_plan_name_the_province(
    two_plans: tuple[Plan, Plan],
) -> None:
    """A province's plan (no district): its period page, its consolidated report and what
    is said after consolidating name the province, never a district, and the report is
    submitted upward, not 'to the province' (the area is the province)."""
    _p117, example = two_plans
    period = Period.objects.create(
        plan=example,
        kind="quarter",
        label="Quý III/2025",
        starts_on=dt.date(2025, 7, 1),
        ends_on=dt.date(2025, 9, 30),
        due_on=dt.date(2025, 10, 7),
    )
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    client.force_login(demo_user("hoi.tinh"))
    html = client.get(reverse("progress:period", args=[period.pk])).content.decode()
    assert "Province report" in html and "district" not in html.lower()
    response = client.post(reverse("progress:period_consolidate", args=[period.pk]), follow=True)
    html = response.content.decode()
    report = ProgressReport.objects.get(period=period)
    assert report.level == "district"  # the stored value stays
    assert "The province report was consolidated." in html
    assert "Paid, province" in html and "Submit upward" in html
    assert "district" not in html.lower()
    assert "Submit to the province" not in html
    book = client.get(reverse("progress:report_xlsx", args=[report.pk]))
    assert book.status_code == 200
    cells = [
        str(c.value)
        for row in load_workbook(io.BytesIO(book.content)).active.iter_rows()
        for c in row
        if c.value is not None
    ]
    assert "Province progress report" in cells and "Paid, province (đồng)" in cells
    assert not [c for c in cells if "district" in c.lower()]
    assert client.get(reverse("progress:report_pdf", args=[report.pk])).status_code == 200
    url = reverse("progress:report_submit_upward", args=[report.pk])
    html = client.post(url, follow=True).content.decode()
    assert "The province report was submitted upward." in html
    assert "district" not in html.lower()


def test_the_progress_words_with_no_plan_name_no_level() -> None:
    assert str(TargetSource.DISTRICT.label) == "Entered by the Women's Union above the commune"
    assert str(area_word("paid_area")) == "Paid, above the commune"
    assert str(area_word("submit_upward", "district")) == "Submit to the province"
    assert str(area_word("submit_upward", "province")) == "Submit upward"
    row = transition("submit", "commune", "draft")
    assert row is not None and str(row.label) == "Submit to the Women's Union above the commune"
    assert str(area_word("area_level", "province")) == "Province level"
