"""Transitions of a report cost the same queries however many other reports exist."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from progress import services
from tests.factories import demo_user

from .helpers import DISTRICT_WU, period, report_in_status

pytestmark = pytest.mark.django_db


def _costs(plan, start: dt.date) -> tuple[int, int]:
    report = report_in_status(plan, "draft", the_period=period(plan, "month", start))
    with CaptureQueriesContext(connection) as submit:
        services.report_submit(actor=demo_user("hoi.silolau"), report_id=report.pk)
    with CaptureQueriesContext(connection) as accept:
        services.report_accept(actor=demo_user(DISTRICT_WU), report_id=report.pk)
    return len(submit), len(accept)


def test_submit_and_accept_do_not_grow_with_other_reports(plan):
    _costs(plan, dt.date(2024, 9, 1))  # warm the caches (content types, the grants)
    first = _costs(plan, dt.date(2024, 4, 1))
    for start in (dt.date(2024, 5, 1), dt.date(2024, 6, 1), dt.date(2024, 7, 1)):
        report_in_status(plan, "accepted", the_period=period(plan, "month", start))
        report_in_status(
            plan, "submitted", unit_code="nam-xe", the_period=period(plan, "month", start)
        )
    assert _costs(plan, dt.date(2024, 8, 1)) == first
    assert max(first) <= 25
