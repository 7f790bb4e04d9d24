"""An estimate's pages read it by key (a statement compiled once) and then check the
user's units: the answers are those of filtering on them, 404 alike for an estimate that
does not exist, one of another commune, and a number no estimate can have."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from estimates.models import Plan
from tests.factories import estimate_in_status

pytestmark = pytest.mark.django_db


def test_pages_of_an_estimate_answer_by_who_may_see_it(
    plan: Plan, client: Client, users: dict[str, Any]
) -> None:
    estimate = estimate_in_status("review", plan=plan, drafter=users["hoi.silolau"])
    pages = [
        reverse("estimates:detail", args=[estimate.pk]),
        reverse("estimates:attachments", args=[estimate.pk]),
    ]
    client.force_login(users["hoi.silolau"])
    for page in pages:
        answer = client.get(page)
        assert answer.status_code == 200, page
        assert estimate.number in answer.content.decode()
    client.force_login(users["hoi.namxe"])  # another commune's officer
    for page in pages:
        assert client.get(page).status_code == 404, page
    client.force_login(users["hoi.huyen"])  # the district sees every commune's
    assert client.get(pages[0]).status_code == 200


@pytest.mark.parametrize(
    "number", ["0", "2147483648", "9223372036854775807", "99999999999999999999"]
)
def test_a_number_no_estimate_has_is_a_404(
    client: Client, users: dict[str, Any], number: str
) -> None:
    client.force_login(users["hoi.huyen"])
    assert client.get(f"/estimates/{number}/").status_code == 404
    assert client.get(f"/api/v1/estimates/{number}/").status_code == 404
