"""Reports sum the participants per priority group over the estimates one may see."""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from beneficiaries.models import GroupCount, PriorityGroup
from beneficiaries.selectors import group_totals
from estimates.models import Plan
from reports.filters import ReportFilterForm
from tests.factories import estimate_in_status

pytestmark = pytest.mark.django_db


@pytest.fixture
def counted(register_data: None, plan: Plan) -> dict[str, int]:
    """Participants of three estimates: approved in Sì Lở Lầu, a draft of Nậm Xe, and a
    withdrawn one that counts nowhere. Rows written directly: this is the reading side."""
    groups = {g.code: g for g in PriorityGroup.objects.all()}
    for status, unit, dtts, poor in (
        ("approved", "si-lo-lau", 10, 3),
        ("draft", "nam-xe", 5, 0),
        ("withdrawn", "si-lo-lau", 100, 100),
    ):
        est = estimate_in_status(status, plan=plan, unit_code=unit)
        GroupCount.objects.create(estimate=est, group=groups["dtts"], count=dtts)
        if poor:
            GroupCount.objects.create(estimate=est, group=groups["ho-ngheo-can-ngheo"], count=poor)
    return {"dtts": groups["dtts"].pk}


def totals(user: Any, **params: Any) -> dict[str, tuple[int, int]]:
    form = ReportFilterForm(params, user=user)
    assert form.is_valid(), form.errors
    return {t.group.code: (t.planned, t.approved) for t in group_totals(user, form.query())}


def test_the_district_sums_every_commune(counted: dict[str, int], users: dict[str, Any]) -> None:
    got = totals(users["hoi.huyen"])
    assert got["dtts"] == (15, 10)
    assert got["ho-ngheo-can-ngheo"] == (3, 3)
    assert got["khuyet-tat"] == (0, 0)


def test_a_commune_sums_its_own(counted: dict[str, int], users: dict[str, Any], plan: Plan) -> None:
    assert totals(users["hoi.silolau"])["dtts"] == (10, 10)
    assert totals(users["hoi.namxe"])["dtts"] == (5, 0)
    nam_xe = plan.communes.get(commune__code="nam-xe").commune_id
    assert totals(users["hoi.huyen"], unit=nam_xe)["dtts"] == (5, 0)


def test_the_consolidated_page_shows_the_sums(
    client: Client, counted: dict[str, int], users: dict[str, Any]
) -> None:
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    client.force_login(users["hoi.huyen"])
    response = client.get(reverse("reports:consolidated"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Participants per priority group" in html
    rows = {t.group.code: t.planned for t in response.context["groups"]}
    assert rows["dtts"] == 15
