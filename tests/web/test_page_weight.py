"""The pages a phone user opens stay light: their HTML and the style sheets and scripts
they reference, counted as a first visit with an empty cache would fetch them. The
budgets are pinned a little above today's weight, so that growth is a decision."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.conf import settings
from django.contrib.staticfiles import finders
from django.test import Client

from estimates.models import Estimate, Plan
from tests.factories import estimate_in_status

#: (HTML bytes, HTML + referenced CSS/JS/SVG bytes) at most, per page, with three estimates
#: waiting for the vice chair. Measured: login 1.7 / 15.1 KB, inbox 4.6 / 18.0, detail
#: 9.3 / 22.7, approve 4.1 / 17.5, approve-many 5.0 / 18.3 (the style sheet is ~13 KB).
#: The issue's limits are 50 KB of HTML for the inbox and 300 KB on a first visit.
BUDGETS = {
    "login": (2_500, 24_000),
    "inbox": (6_000, 28_000),
    "detail": (12_000, 34_000),
    "approve": (5_500, 27_000),
    "approve-many": (6_500, 28_000),
}

ASSET = re.compile(r'<(?:link[^>]+href|script[^>]+src|img[^>]+src)="([^"]+)"')


def assets_of(html: str) -> dict[str, int]:
    """The static files the page references, with their size in bytes."""
    sizes = {}
    for url in set(ASSET.findall(html)):
        if not url.startswith(settings.STATIC_URL):
            continue
        path = finders.find(url.removeprefix(settings.STATIC_URL).split("?")[0])
        assert path, url
        with open(path, "rb") as fh:
            sizes[url] = len(fh.read())
    return sizes


@pytest.fixture
def waiting(plan: Plan, users: dict[str, Any]) -> Estimate:
    for _ in range(3):
        estimate_in_status("approval", plan=plan, drafter=users["hoi.silolau"])
    return Estimate.objects.filter(status="approval").earliest("pk")


def urls(estimate: Estimate) -> dict[str, str]:
    return {
        "login": "/accounts/login/",
        "inbox": "/estimates/inbox/",
        "detail": f"/estimates/{estimate.pk}/",
        "approve": f"/estimates/{estimate.pk}/approve/",
        "approve-many": "/estimates/approve-many/",
    }


@pytest.mark.parametrize("name", sorted(BUDGETS))
def test_the_phone_pages_stay_within_their_weight(
    client: Client, users: dict[str, Any], waiting: Estimate, name: str
) -> None:
    if name != "login":
        client.force_login(users["pho.chutich"])
    response = client.get(urls(waiting)[name], HTTP_USER_AGENT="Mobile")
    assert response.status_code == 200, response.status_code
    html = response.content.decode()
    assets = assets_of(html)
    assert any(url.endswith(".css") for url in assets)
    html_budget, total_budget = BUDGETS[name]
    total = len(response.content) + sum(assets.values())
    assert len(response.content) <= html_budget, (len(response.content), html_budget)
    assert total <= total_budget, (total, total_budget, assets)
