from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings
from django.test import Client

from estimates.models import Estimate, Plan
from tests.factories import estimate_in_status


@pytest.fixture(autouse=True)
def english(client: Client) -> None:
    """The pages in English, so that assertions on messages hold once the Vietnamese
    catalogue translates them (the product is Vietnamese by default)."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"


@pytest.fixture
def draft(plan: Plan, users: dict[str, Any]) -> Estimate:
    """A draft of Sì Lở Lầu."""
    return estimate_in_status("draft", plan=plan, drafter=users["hoi.silolau"])


@pytest.fixture
def in_review(plan: Plan, users: dict[str, Any]) -> Estimate:
    """A Sì Lở Lầu estimate waiting for the district Women's Union."""
    return estimate_in_status("review", plan=plan, drafter=users["hoi.silolau"])


@pytest.fixture
def in_appraisal(plan: Plan, users: dict[str, Any]) -> Estimate:
    return estimate_in_status("appraisal", plan=plan, drafter=users["hoi.silolau"])


@pytest.fixture
def nam_xe(plan: Plan, users: dict[str, Any]) -> Estimate:
    """An estimate of Nậm Xe, in review."""
    return estimate_in_status("review", plan=plan, drafter=users["hoi.namxe"])
