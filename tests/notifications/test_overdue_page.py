"""The overdue list picks the late estimates in SQL and shows them a stage and a page at a
time: the cut-off day it filters on agrees with each estimate's own deadline, and the page
costs the same queries whatever the number of late estimates."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from hypothesis import given, settings
from hypothesis import strategies as st

from estimates.models import Estimate, EstimateStatus
from notifications import views
from notifications.deadlines import (
    StageRule,
    add_working_days,
    last_late_entry,
)
from tests.notifications.helpers import People

HCM = ZoneInfo("Asia/Ho_Chi_Minh")


@settings(max_examples=300, deadline=None)
@given(
    today=st.dates(datetime.date(2024, 1, 1), datetime.date(2027, 12, 31)),
    working_days=st.integers(0, 20),
    holiday_offsets=st.sets(st.integers(-60, 0), max_size=8),
    entered_back=st.integers(1, 60),
)
def test_the_cut_off_day_splits_late_from_not_late_exactly(
    today: datetime.date, working_days: int, holiday_offsets: set[int], entered_back: int
) -> None:
    holidays = frozenset(today + datetime.timedelta(days=d) for d in holiday_offsets)
    last = last_late_entry(StageRule(working_days, 2), today, holidays)
    entered = today - datetime.timedelta(days=entered_back)
    late = add_working_days(entered, working_days, holidays) < today
    assert late == (entered <= last)


def _late_reviews(lived: Callable[..., Estimate], count: int) -> list[Estimate]:
    made = []
    for n in range(count):  # entered on successive Mondays: the first is the most late
        with time_machine.travel(datetime.datetime(2026, 10, 5 + 7 * n, 9, tzinfo=HCM), tick=False):
            made.append(lived(EstimateStatus.REVIEW))
    return made


@pytest.mark.django_db
def test_the_page_shows_the_most_late_first_a_page_at_a_time(
    lived: Callable[..., Estimate], people: People, client: Client, monkeypatch
) -> None:
    late = _late_reviews(lived, 3)
    with time_machine.travel(datetime.datetime(2026, 11, 30, 8, tzinfo=HCM), tick=False):
        not_yet = lived(EstimateStatus.REVIEW)  # entered today: not late
        monkeypatch.setattr(views, "OVERDUE_PAGE", 2)
        client.force_login(people.reviewer)
        first = client.get("/notifications/overdue/")
        second = client.get("/notifications/overdue/?stage=review&page=2")
    assert first.status_code == second.status_code == 200
    numbers = [i.estimate.number for i in first.context["items"]]
    assert numbers == [late[0].number, late[1].number]
    assert [i.estimate.number for i in second.context["items"]] == [late[2].number]
    assert first.context["chosen"].count == 3
    days = [i.days_late for i in first.context["items"]]
    assert days == sorted(days, reverse=True) and days[0] > days[1] > 0
    body = first.content.decode() + second.content.decode()
    assert not_yet.number not in body


@pytest.mark.django_db
def test_the_page_costs_the_same_queries_with_more_late_work(
    lived: Callable[..., Estimate], people: People, client: Client
) -> None:
    client.force_login(people.reviewer)
    counts = []
    for more in (1, 3):
        _late_reviews(lived, more)
        with time_machine.travel(datetime.datetime(2026, 11, 30, 8, tzinfo=HCM), tick=False):
            client.get("/notifications/overdue/")  # the caches of the day (grants, delegate)
            with CaptureQueriesContext(connection) as queries:
                assert client.get("/notifications/overdue/").status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]


@pytest.mark.django_db
def test_who_acts_nowhere_sees_nothing_late(
    lived: Callable[..., Estimate], people: People, client: Client
) -> None:
    _late_reviews(lived, 1)
    client.force_login(people.drafter)
    with time_machine.travel(datetime.datetime(2026, 11, 30, 8, tzinfo=HCM), tick=False):
        response = client.get("/notifications/overdue/?stage=review")
    assert response.status_code == 200
    assert response.context["items"] == []


@pytest.mark.django_db
def test_a_late_row_names_its_deadline_and_days_late(
    lived: Callable[..., Estimate], people: People, client: Client
) -> None:
    """A row of the list: the estimate's link and number, its title as text, its unit,
    the stage's words, the deadline (dd/mm/yyyy) and the working days late, each cell
    labelled for the phone's stacked layout."""
    (late,) = _late_reviews(lived, 1)  # in review since Monday 5 October 2026
    Estimate.objects.filter(pk=late.pk).update(title="Hội nghị <b>đối thoại</b> & tập huấn")
    client.cookies["django_language"] = "vi"
    with time_machine.travel(datetime.datetime(2026, 11, 30, 8, tzinfo=HCM), tick=False):
        client.force_login(people.reviewer)
        answer = client.get("/notifications/overdue/")
    (item,) = answer.context["items"]
    html = answer.content.decode()
    row = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    assert f'<a href="/estimates/{late.pk}/">{late.number}</a>' in row
    assert "Hội nghị &lt;b&gt;đối thoại&lt;/b&gt; &amp; tập huấn" in row
    assert f">{late.unit.name}</td>" in row
    assert f'data-label="Bước">{answer.context["chosen"].label}</td>' in row
    # Five working days after Monday 5 October; then seven weeks of working days late.
    assert (item.deadline, item.days_late) == (datetime.date(2026, 10, 12), 35)
    assert '<td data-label="Hạn xử lý">12/10/2026</td>' in row
    assert '<td class="num" data-label="Số ngày làm việc quá hạn">35</td>' in row
