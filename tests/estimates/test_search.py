"""Finding estimates by number or words, ignoring accents and case, on the list page and
in the API; the API refuses a filter it does not know."""

from __future__ import annotations

import sqlite3
from typing import Any

import pytest
from django.test import Client

from core.search import fold, sqlite_functions, words
from estimates.models import Estimate, Plan
from estimates.selectors import estimates_matching
from tests.factories import estimate_in_status


@pytest.fixture
def two(plan: Plan, users: dict[str, Any]) -> tuple[Estimate, Estimate]:
    """A draft of Sì Lở Lầu (violence prevention) and one of Nậm Xe (a club meeting)."""
    si_lo_lau = estimate_in_status("draft", plan=plan, drafter=users["hoi.silolau"])
    nam_xe = estimate_in_status(
        "draft",
        plan=plan,
        drafter=users["hoi.namxe"],
        title="Sinh hoạt CLB Thủ lĩnh của sự thay đổi",
        purpose="Đường đến trường an toàn",
    )
    return si_lo_lau, nam_xe


def _found(text: str) -> set[int]:
    return set(estimates_matching(Estimate.objects.all(), text).values_list("pk", flat=True))


def test_fold_removes_accents_tones_and_case() -> None:
    assert fold("Sì Lở Lầu") == "si lo lau"
    assert fold("ĐƯỜNG Đến") == "duong den"
    assert fold("Phong Thổ") == "phong tho"
    assert words("  SÌ   lở  sì ") == ["si", "lo"]


def test_words_without_accents_find_the_unit_title_and_purpose(
    two: tuple[Estimate, Estimate],
) -> None:
    si_lo_lau, nam_xe = two
    assert _found("si lo lau") == {si_lo_lau.pk}
    assert _found("SÌ LỞ") == {si_lo_lau.pk}
    assert _found("nam xe thu linh") == {nam_xe.pk}
    assert _found("duong den truong") == {nam_xe.pk}  # "Đường đến trường"
    assert _found("nam xe bao luc") == set()  # every word must be there
    assert _found(si_lo_lau.number.lower()) == {si_lo_lau.pk}
    assert _found("") == {si_lo_lau.pk, nam_xe.pk}


def test_the_embedded_database_folds_the_same_way() -> None:
    """SQLite (``make run``) has no unaccent: the same folding is registered there."""

    class Wrapper:
        vendor = "sqlite"
        connection = sqlite3.connect(":memory:")

    sqlite_functions(None, Wrapper())
    row = Wrapper.connection.execute("SELECT lower(unaccent('Sì Lở Lầu · Đường'))").fetchone()
    assert row == ("si lo lau · duong",)


def test_the_list_page_searches(
    client: Client, users: dict[str, Any], two: tuple[Estimate, Estimate]
) -> None:
    si_lo_lau, nam_xe = two
    client.force_login(users["hoi.huyen"])
    html = client.get("/estimates/", {"q": "nam xe"}).content.decode()
    assert nam_xe.number in html and si_lo_lau.number not in html


def test_the_api_searches_and_refuses_an_unknown_filter(
    client: Client, users: dict[str, Any], two: tuple[Estimate, Estimate]
) -> None:
    si_lo_lau, nam_xe = two
    client.force_login(users["hoi.huyen"])
    body = client.get("/api/v1/estimates/", {"q": "si lo lau"}).json()
    assert [e["id"] for e in body["results"]] == [si_lo_lau.pk]
    refused = client.get("/api/v1/estimates/", {"communes": nam_xe.unit_id})
    assert refused.status_code == 400
    assert "communes" in refused.content.decode()
    assert client.get("/api/v1/estimates/", {"page": 1, "page_size": 5}).status_code == 200


@pytest.mark.parametrize(
    "params",
    [
        {"q": "nam xe"},  # a commune's name: every estimate of it, from the tally
        {"q": "duong"},  # an estimate's own text only
        {"q": "a"},  # in many units' names and in texts
        {"q": "nam xe duong"},  # the unit's name and the text together
        {"q": "si lo lau", "status": "draft"},
        {"q": "khong co dau"},  # nothing
    ],
)
def test_a_search_s_totals_add_up_what_it_lists(
    client: Client, users: dict[str, Any], two: tuple[Estimate, Estimate], params: dict[str, str]
) -> None:
    """The footer of a search: the units whose name holds every word counted from the
    tally, the other units' matching estimates added up: the same as adding up what the
    search finds."""
    estimate_in_status("approved", plan=two[0].plan, drafter=users["hoi.namxe"])
    client.force_login(users["hoi.huyen"])
    totals = client.get("/estimates/", params).context["totals"]
    selection = estimates_matching(Estimate.objects.all(), params["q"])
    if "status" in params:
        selection = selection.filter(status=params["status"])
    listed = list(selection)
    assert totals == {
        "count": len(listed),
        "requested": sum(e.total_amount for e in listed),
        "appraised": sum(e.appraised_amount or 0 for e in listed),
        "approved": sum(e.approved_amount or 0 for e in listed),
    }
    assert (totals["count"] > 0) is (params["q"] != "khong co dau")
