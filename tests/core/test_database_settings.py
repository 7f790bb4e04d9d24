"""The product's PostgreSQL connections carry the planner's cost of an out-of-order page
read for SSD storage (``DATABASE_RANDOM_PAGE_COST``), which makes the planner read a
waiting list from the index of its one status (docs/benchmarks.md)."""

from __future__ import annotations

import pytest
from django.db import connection

from config.settings.base import database_from_env

pytestmark = pytest.mark.django_db


def test_the_connection_plans_with_the_ssd_page_cost() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SHOW random_page_cost")
        assert cursor.fetchone()[0] == "1.1"


def test_the_cost_is_configurable_and_can_be_left_unsent(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgres://app@db:5432/p8")
    monkeypatch.setenv("DATABASE_RANDOM_PAGE_COST", "1.5")
    assert database_from_env("sqlite://")["OPTIONS"]["options"] == "-c random_page_cost=1.5"
    monkeypatch.setenv("DATABASE_RANDOM_PAGE_COST", "")
    assert "options" not in database_from_env("sqlite://")["OPTIONS"]
    monkeypatch.setenv("DATABASE_URL", "sqlite:///x.sqlite3")
    assert "options" not in database_from_env("sqlite://").get("OPTIONS", {})
