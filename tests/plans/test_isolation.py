"""Two plans side by side, isolated: each person's lists, inbox, totals and permissions
stay within the plans they hold a role in; a filter picks one plan."""

from __future__ import annotations

import datetime as dt
import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.http import Http404
from django.test import Client
from django.urls import reverse

from approvals import services
from approvals.access import estimate_list_for_user
from estimates.models import Estimate, EstimateStatus, Plan
from estimates.selectors import plan_default_for, plans_for_user
from organization.models import Unit
from tests.factories import demo_user, estimate_in_status, estimate_input
from tests.plans.conftest import example_draft

S = EstimateStatus


def _example_estimate(example: Plan, status: str = S.REVIEW) -> Estimate:
    estimate = example_draft(example)
    if status == S.REVIEW:
        services.estimate_submit(actor=demo_user("hoi.xamot"), estimate_id=estimate.pk)
    return Estimate.objects.get(pk=estimate.pk)


def test_each_person_sees_the_estimates_of_their_own_plan(two_plans: tuple[Plan, Plan]) -> None:
    p117, example = two_plans
    ours = estimate_in_status(S.REVIEW, plan=p117)
    theirs = _example_estimate(example)
    district_wu, province_wu = demo_user("hoi.huyen"), demo_user("hoi.tinh")
    assert ours in estimate_list_for_user(district_wu)
    assert theirs not in estimate_list_for_user(district_wu)
    assert theirs in estimate_list_for_user(province_wu)
    assert ours not in estimate_list_for_user(province_wu)
    # The province's offices act in the example plan only, not in the district's plan.
    with pytest.raises(Http404):
        services.estimate_forward(actor=province_wu, estimate_id=ours.pk)
    with pytest.raises(Http404):
        services.estimate_forward(actor=district_wu, estimate_id=theirs.pk)
    assert list(plans_for_user(district_wu)) == [p117]
    assert list(plans_for_user(province_wu)) == [example]
    assert plan_default_for(demo_user("hoi.xamot"), "draft_unit_estimates") == example
    assert plan_default_for(demo_user("hoi.silolau"), "draft_unit_estimates") == p117


def test_a_commune_of_one_plan_cannot_draft_into_the_other(two_plans: tuple[Plan, Plan]) -> None:
    _p117, example = two_plans
    from core.errors import RuleViolation

    unit = Unit.objects.get(code="si-lo-lau")
    data = estimate_input(
        example, unit, start_date=dt.date(2025, 9, 1), end_date=dt.date(2025, 9, 2)
    )
    with pytest.raises(RuleViolation) as caught:
        services.estimate_create(actor=demo_user("hoi.silolau"), plan=example, unit=unit, data=data)
    assert caught.value.field == "unit"
    assert "not in the area of plan VD-01/KH-UBND-2025" in caught.value.message


def test_totals_stay_per_plan(two_plans: tuple[Plan, Plan]) -> None:
    p117, example = two_plans
    totals = {}
    for number in (p117.number, example.number):
        out = StringIO()
        call_command("plan_summary", "--plan", number, "--json", stdout=out)
        totals[number] = json.loads(out.getvalue())["envelope"]["total"]["allocated"]
    assert totals == {"117/KH-UBND": 7_588_630_000, "VD-01/KH-UBND-2025": 1_030_000_000}


def test_the_list_filters_by_plan_and_the_inbox_too(
    two_plans: tuple[Plan, Plan], client: Client
) -> None:
    p117, example = two_plans
    theirs = _example_estimate(example)
    auditor = demo_user("kiemtoan")  # sees plan 117 only
    client.force_login(demo_user("hoi.tinh"))
    page = client.get(reverse("estimates:list"), {"plan": example.pk})
    assert page.status_code == 200
    assert theirs.number in page.content.decode()
    page = client.get(reverse("estimates:list"), {"plan": p117.pk})
    assert theirs.number not in page.content.decode()
    inbox = client.get(reverse("estimates:inbox"), {"plan": example.pk})
    assert theirs.number in inbox.content.decode()
    inbox = client.get(reverse("estimates:inbox"), {"plan": p117.pk})
    assert theirs.number not in inbox.content.decode()
    client.force_login(auditor)
    assert theirs.number not in client.get(reverse("estimates:list")).content.decode()


def test_the_plan_page_picks_a_plan_and_shows_its_levels(
    two_plans: tuple[Plan, Plan], client: Client
) -> None:
    p117, example = two_plans
    client.force_login(demo_user("hoi.tinh"))
    client.cookies["django_language"] = "en"
    page = client.get(reverse("home")).content.decode()  # the province's newest plan
    assert example.number in page and "Cấp tỉnh" in page and "illustrative" in page
    page = client.get(reverse("home"), {"plan": p117.pk}).content.decode()
    assert "Cấp huyện" in page and "Cấp tỉnh" not in page
    assert client.get(reverse("home"), {"plan": "999999"}).status_code == 404


def test_the_api_gives_the_plans_levels_and_filters_estimates_by_plan(
    two_plans: tuple[Plan, Plan], client: Client
) -> None:
    p117, example = two_plans
    theirs = _example_estimate(example)
    client.force_login(demo_user("hoi.tinh"))
    detail = client.get(f"/api/v1/plans/{example.pk}/").json()
    assert [lv["code"] for lv in detail["levels"]] == ["province", "commune"]
    assert detail["levels"][1]["approve"] == "commune"
    assert detail["carry_over"]["carried_from"] == "117/KH-UBND"
    listed = client.get("/api/v1/estimates/", {"plan": example.pk}).json()
    numbers = [row["number"] for row in listed["results"]]
    assert numbers == [theirs.number]
    listed = client.get("/api/v1/estimates/", {"plan": p117.pk}).json()
    assert listed["results"] == []
