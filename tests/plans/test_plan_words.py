"""Words that depend on the plan's structure: the status and the role of the Women's Union
above the commune are named after the plan's area (a district's plan, or a province's with
no district) where a page shows them for an estimate; elsewhere the words name no level."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.test import Client
from django.urls import reverse

from approvals import services
from estimates.models import EstimateStatus, Plan, status_label
from organization.models import Role, Unit, role_label
from tests.factories import demo_user, estimate_in_status, estimate_input, lines_of

S = EstimateStatus


def test_the_stored_values_stay_and_the_neutral_words_name_no_district() -> None:
    assert S.REVIEW.value == "review" and Role.DISTRICT_WU.value == "district_wu"
    assert str(S.REVIEW.label) == "Awaiting Women's Union review"
    assert str(Role.DISTRICT_WU.label) == "Women's Union officer above the commune"
    assert str(status_label("review", "province")) == "Awaiting province Women's Union review"
    assert str(role_label("district_wu", "district")) == "District Women's Union officer"
    assert str(role_label("district_wu")) == "Women's Union officer above the commune"


def test_the_estimate_page_speaks_the_words_of_its_plan(two_plans: tuple[Plan, Plan]) -> None:
    p117, example = two_plans
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"

    in_review = estimate_in_status(S.REVIEW, plan=p117)
    client.force_login(demo_user("hoi.huyen"))
    html = client.get(reverse("estimates:detail", args=[in_review.pk])).content.decode()
    assert "Awaiting district Women&#x27;s Union review" in html

    unit = Unit.objects.get(code="vd-xa-mot")
    data = estimate_input(
        example,
        unit,
        start_date=dt.date(2025, 9, 1),
        end_date=dt.date(2025, 9, 2),
        lines=lines_of(("current", 2_000_000)),
    )
    drafter = demo_user("hoi.xamot")
    estimate = services.estimate_create(actor=drafter, plan=example, unit=unit, data=data)
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
