"""A change of state runs its statements prepared on PostgreSQL (planned once per
connection); the pages' statements are planned for each call, so that one plan made for
a commune's officer, or for one search word, never serves a district's or another word."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.db.models import Value
from django.test import override_settings

from core.transactions import prepared, unit_of_work
from estimates.models import Estimate

pytestmark = pytest.mark.django_db


def prepared_count(marker: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE %s",
            [f"%{marker}%"],
        )
        return int(cursor.fetchone()[0])


def run_three_times(tag: str) -> None:
    for _ in range(3):
        # A marker in the statement's text (an alias): its own prepared statement.
        list(Estimate.objects.filter(pk=-1).annotate(**{tag: Value(1)}))


def test_a_change_of_state_prepares_what_it_runs_twice(plan: Any) -> None:
    with unit_of_work():
        run_three_times("in_unit_of_work")
    assert prepared_count("in_unit_of_work") == 1


def test_a_page_plans_each_statement_anew(plan: Any) -> None:
    run_three_times("outside")
    assert prepared_count("outside") == 0
    with unit_of_work():
        pass
    run_three_times("after_unit_of_work")
    assert prepared_count("after_unit_of_work") == 0


def test_a_read_by_key_marked_prepared_is_prepared_outside_a_change_of_state(plan: Any) -> None:
    """``access_estimate``'s read of one estimate (ten joined tables) is marked so."""
    with prepared():
        run_three_times("read_by_key")
    run_three_times("after_the_block")
    assert prepared_count("read_by_key") == 1
    assert prepared_count("after_the_block") == 0


@override_settings(DATABASE_PREPARE_THRESHOLD=0)
def test_nothing_is_prepared_when_it_is_turned_off(plan: Any) -> None:
    with unit_of_work():
        run_three_times("turned_off")
    assert prepared_count("turned_off") == 0
