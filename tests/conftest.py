"""Fixtures shared by every test. Factories live in tests/factories.py."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.conf import settings
from django.utils import translation

from estimates.models import Plan
from estimates.plan_loader import plan_load_file


@pytest.fixture(autouse=True)
def english_outside_requests() -> Iterator[None]:
    """Code called directly by a test speaks English, so assertions on messages are stable.
    Pages still answer in Vietnamese by default: LocaleMiddleware picks the language per
    request (tests/test_site.py and tests/approvals/test_messages.py hold that)."""
    with translation.override("en"):
        yield


@pytest.fixture
def plan(db: None) -> Plan:
    """Plan 117/KH-UBND loaded from the data file that ships with the product."""
    return plan_load_file(settings.DEFAULT_PLAN_FILE).plan
