"""GET /api/v1/reorganisations/: which unit went to which successor, and the moved
estimates a user may see, under the same access rules as the estimates."""

from __future__ import annotations

from pathlib import Path

from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from estimates.models import Plan
from reorganisations.file import reorganisation_file_read
from reorganisations.services import reorganisation_apply
from tests.factories import api_key, demo_user, estimate_in_status

HEAD = (
    "reorganisation:\n  code: {code}\n  title: T\n  effective_on: '{date}'\n  illustrative: true\n"
)


def _apply(tmp_path: Path, code: str, date: str, body: str) -> None:
    path = tmp_path / f"{code}.yaml"
    path.write_text(HEAD.format(code=code, date=date) + body, encoding="utf-8")
    reorganisation_apply(spec=reorganisation_file_read(path))


def _client(username: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {api_key(demo_user(username))}")
    return client


def test_the_list_shows_each_unit_and_its_successor(plan: Plan, tmp_path: Path) -> None:
    _apply(tmp_path, "one", "2025-07-01", "merges:\n  - {into: si-lo-lau, from: [vang-ma-chai]}\n")
    body = _client("hoi.namxe").get("/api/v1/reorganisations/").json()
    (item,) = body["results"]
    assert (item["code"], item["effective_on"], item["illustrative"]) == (
        "one",
        "2025-07-01",
        True,
    )
    pairs = {(u["unit"]["code"], u["successor"]["code"]) for u in item["units"]}
    assert ("vang-ma-chai", "si-lo-lau") in pairs
    assert ("vang-ma-chai.hlhpn", "si-lo-lau.hlhpn") in pairs
    assert APIClient().get("/api/v1/reorganisations/").status_code == 401


def test_the_detail_lists_only_the_moved_estimates_the_user_may_see(
    plan: Plan, tmp_path: Path
) -> None:
    si_lo_lau = estimate_in_status("review")
    nam_xe = estimate_in_status("review", unit_code="nam-xe")
    _apply(
        tmp_path,
        "two",
        "2025-07-01",
        "units:\n  - {code: xa-moi, name: Xã Mới, kind: commune, parent: phong-tho}\n"
        "merges:\n  - {into: xa-moi, from: [si-lo-lau]}\n  - {into: ban-lang, from: [nam-xe]}\n",
    )
    pk = _client("tckh").get("/api/v1/reorganisations/").json()["results"][0]["id"]
    seen = _client("hoi.silolau").get(f"/api/v1/reorganisations/{pk}/").json()
    assert [e["number"] for e in seen["estimates"]] == [si_lo_lau.number]
    assert seen["estimates"][0]["from_unit"]["code"] == "si-lo-lau"
    assert seen["estimates"][0]["to_unit"]["code"] == "xa-moi"
    everyone = _client("tckh").get(f"/api/v1/reorganisations/{pk}/").json()
    assert {e["number"] for e in everyone["estimates"]} == {si_lo_lau.number, nam_xe.number}
    assert _client("tckh").get("/api/v1/reorganisations/999999/").status_code == 404


def test_the_list_costs_the_same_queries_for_one_or_several(plan: Plan, tmp_path: Path) -> None:
    client = _client("tckh")
    _apply(tmp_path, "a", "2025-07-01", "merges:\n  - {into: si-lo-lau, from: [vang-ma-chai]}\n")
    client.get("/api/v1/reorganisations/")  # warm the token and session caches

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get("/api/v1/reorganisations/").status_code == 200
        return len(ctx.captured_queries)

    one = count()
    _apply(tmp_path, "b", "2025-08-01", "merges:\n  - {into: nam-xe, from: [ban-lang, muong-so]}\n")
    _apply(tmp_path, "c", "2025-09-01", "merges:\n  - {into: dao-san, from: [mu-sang]}\n")
    assert count() == one
