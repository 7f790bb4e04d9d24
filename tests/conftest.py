"""Fixtures shared by every test. Factories live in tests/factories.py."""

from __future__ import annotations

import pytest
from django.conf import settings

from estimates.models import Plan
from estimates.plan_loader import plan_load_file


@pytest.fixture
def plan(db: None) -> Plan:
    """Plan 117/KH-UBND loaded from the data file that ships with the product."""
    return plan_load_file(settings.DEFAULT_PLAN_FILE).plan
