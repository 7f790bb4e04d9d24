"""Fixtures: the people of the approval chain and an estimate of Sì Lở Lầu."""

from __future__ import annotations

import pytest

from estimates.models import Estimate, Plan
from tests.factories import estimate_make
from tests.notifications.helpers import People, people_make


@pytest.fixture
def people(plan: Plan) -> People:
    return people_make()


@pytest.fixture
def estimate(plan: Plan, people: People) -> Estimate:
    return estimate_make(plan, created_by=people.drafter)
