"""Reads per role: plans for everyone; estimates, history, versions and tasks only within
the units the role covers — another commune's estimate is 404, the same as one that does
not exist. Lists are paginated, filterable and stably ordered; query counts do not grow
with the data."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from approvals import services
from estimates.models import Content, Estimate, Plan
from organization.models import Unit
from tests.factories import club_input, club_line

from .conftest import Client, People

SILOLAU, NAMXE, DISTRICT = "silolau", "namxe", "district"

#: Who sees which of three estimates (Sì Lở Lầu, Nậm Xe, district level).
VISIBLE: dict[str, set[str]] = {
    "hoi.silolau": {SILOLAU},
    "hoi.namxe": {NAMXE},
    "ubnd.silolau": {SILOLAU},
    "hoi.huyen": {SILOLAU, NAMXE, DISTRICT},
    "tckh": {SILOLAU, NAMXE, DISTRICT},
    "pho.chutich": {SILOLAU, NAMXE, DISTRICT},
    "ketoan": {SILOLAU, NAMXE, DISTRICT},
    "quansat": {SILOLAU, NAMXE, DISTRICT},
    "kiemtoan": {SILOLAU, NAMXE, DISTRICT},
    "sep": {SILOLAU},
}


@pytest.fixture
def three(plan: Plan, people: People) -> dict[str, Estimate]:
    silolau = services.estimate_create(
        actor=people["hoi.silolau"],
        plan=plan,
        unit=Unit.objects.get(code="si-lo-lau"),
        data=club_input(plan),
    )
    services.estimate_submit(actor=people["hoi.silolau"], estimate_id=silolau.pk)
    namxe = services.estimate_create(
        actor=people["hoi.namxe"],
        plan=plan,
        unit=Unit.objects.get(code="nam-xe"),
        data=club_input(plan, lines=[club_line(source="carried")]),
    )
    district = services.estimate_create(
        actor=people["hoi.huyen"],
        plan=plan,
        unit=Unit.objects.get(code="phong-tho"),
        data=club_input(
            plan,
            start_date=dt.date(2024, 9, 1),
            end_date=dt.date(2024, 9, 2),
        ),
    )
    return {SILOLAU: silolau, NAMXE: namxe, DISTRICT: district}


def test_plans_are_readable_by_everyone_with_the_envelope(api: Client, plan: Plan) -> None:
    listed = api("hoi.namxe").get("/api/v1/plans/").json()
    assert [p["number"] for p in listed["results"]] == [plan.number]
    detail = api("quansat").get(f"/api/v1/plans/{plan.pk}/")
    assert detail.status_code == 200
    body = detail.json()
    assert body["total_amount"] == 7_588_630_000
    assert sum(cell["allocated"] for cell in body["envelope"]) == 7_588_630_000
    assert {(c["level"], c["source"]) for c in body["envelope"]} == {
        ("district", "current"),
        ("district", "carried"),
        ("commune", "current"),
        ("commune", "carried"),
    }
    assert all(isinstance(c["free"], int) for c in body["envelope"])
    assert len(body["communes"]) == 15
    assert sum(c["village_count"] for c in body["communes"]) == 118
    assert [c["code"] for c in body["contents"]][:4] == ["1", "2", "3", "4"]


@pytest.mark.parametrize("pk", ["999999", "0", "-1", "abc", str(2**64)])
def test_unknown_plan_is_404(api: Client, plan: Plan, pk: str) -> None:
    response = api("tckh").get(f"/api/v1/plans/{pk}/")
    assert response.status_code == 404
    assert response.json()["detail"]


@pytest.mark.parametrize("username", sorted(VISIBLE))
def test_role_by_object_read_matrix(api: Client, three: dict[str, Estimate], username: str) -> None:
    client = api(username)
    listed = client.get("/api/v1/estimates/").json()
    by_id = {est.pk: key for key, est in three.items()}
    assert {by_id[row["id"]] for row in listed["results"]} == VISIBLE[username]
    for key, est in three.items():
        for suffix in ("", "history/", "versions/"):
            response = client.get(f"/api/v1/estimates/{est.pk}/{suffix}")
            expected = 200 if key in VISIBLE[username] else 404
            assert response.status_code == expected, (username, key, suffix)
            if expected == 404:
                assert response.json()["detail"]
                assert est.number not in response.content.decode()


def test_detail_history_and_versions(api: Client, three: dict[str, Estimate]) -> None:
    est = three[SILOLAU]
    client = api("hoi.huyen")
    detail = client.get(f"/api/v1/estimates/{est.pk}/").json()
    assert detail["status"] == "review"
    assert detail["total_amount"] == est.total_amount == 1_650_000
    assert [ln["amount"] for ln in detail["lines"]] == [1_200_000, 450_000]
    assert detail["versions"][0]["number"] == 1
    assert detail["actions"] == ["forward", "return"]
    history = client.get(f"/api/v1/estimates/{est.pk}/history/").json()["results"]
    assert [h["action"] for h in history] == ["estimate.created", "estimate.submitted"]
    assert history[1]["role"] == "commune_wu_officer"
    versions = client.get(f"/api/v1/estimates/{est.pk}/versions/").json()["results"]
    assert versions[0]["snapshot"]["total_amount"] == 1_650_000


def test_the_status_is_named_in_the_clients_language(
    api: Client, three: dict[str, Estimate]
) -> None:
    client = api("hoi.huyen")
    est = three[SILOLAU]
    for language in ("vi", "en"):
        with translation.override(language):
            expected = str(Estimate.objects.get(pk=est.pk).get_status_display())
        headers = {"HTTP_ACCEPT_LANGUAGE": language}
        detail = client.get(f"/api/v1/estimates/{est.pk}/", **headers).json()
        listed = client.get("/api/v1/estimates/", **headers).json()["results"]
        assert detail["status_display"] == expected
        assert {e["status_display"] for e in listed if e["id"] == est.pk} == {expected}
    assert expected == "Awaiting Women's Union review"
    assert detail["status_display"] != "review"


def test_filters(api: Client, three: dict[str, Estimate], plan: Plan) -> None:
    client = api("tckh")

    def ids(query: str) -> set[int]:
        response = client.get(f"/api/v1/estimates/?{query}")
        assert response.status_code == 200, response.json()
        return {row["id"] for row in response.json()["results"]}

    silolau, namxe, district = three[SILOLAU].pk, three[NAMXE].pk, three[DISTRICT].pk
    commune = Unit.objects.get(code="nam-xe").pk
    assert ids(f"commune={commune}") == {namxe}
    assert ids("level=district") == {district}
    assert ids("status=review") == {silolau}
    assert ids("status=review&status=draft") == {silolau, namxe, district}
    assert ids("source=current") == {silolau, district}
    assert ids("source=carried") == {silolau, namxe, district}
    content = Content.objects.get(plan=plan, code="3").pk
    assert ids(f"content={content}") == {silolau, namxe, district}
    assert ids("content_code=1") == set()
    assert ids("start_from=2024-08-01") == {district}
    assert ids("start_to=2024-07-01") == {silolau, namxe}
    assert ids(f"plan={plan.pk}&created_from=2000-01-01") == {silolau, namxe, district}
    assert ids("created_to=2000-01-01") == set()
    assert ids("changed_since=2000-01-01T00:00:00Z") == {silolau, namxe, district}


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("status=nonsense", "status"),
        ("commune=abc", "commune"),
        ("commune=1.5", "commune"),
        (f"commune={2**70}", "commune"),
        ("start_from=2024-13-45", "start_from"),
        ("changed_since=yesterday", "changed_since"),
        ("changed_since=0001-01-01T00:00:00%2B05:00", "changed_since"),
        ("ordering=password", "ordering"),
        ("source=gold", "source"),
    ],
)
def test_bad_filters_are_400_naming_the_parameter(
    api: Client, three: dict[str, Estimate], query: str, field: str
) -> None:
    response = api("tckh").get(f"/api/v1/estimates/?{query}")
    assert response.status_code == 400
    assert response.json()["field"] == field


def test_pages_are_stable_and_complete(api: Client, plan: Plan, people: People) -> None:
    unit = Unit.objects.get(code="si-lo-lau")
    made = [
        services.estimate_create(
            actor=people["hoi.silolau"], plan=plan, unit=unit, data=club_input(plan)
        ).pk
        for _ in range(7)
    ]
    client = api("hoi.silolau")
    for ordering in ("", "&ordering=total_amount", "&ordering=-start_date"):
        seen: list[int] = []
        page = 1
        while True:
            body = client.get(f"/api/v1/estimates/?page_size=3&page={page}{ordering}").json()
            seen.extend(row["id"] for row in body["results"])
            if body["next"] is None:
                break
            page += 1
        assert body["count"] == 7
        assert sorted(seen) == sorted(made), ordering
    newest_first = client.get("/api/v1/estimates/").json()["results"]
    assert [row["id"] for row in newest_first] == sorted(made, reverse=True)
    assert client.get("/api/v1/estimates/?page=99").status_code == 404


def test_the_count_of_a_list_filtered_by_plan_commune_and_status_is_exact_without_counting(
    api: Client, three: dict[str, Estimate], plan: Plan, people: People
) -> None:
    """Those filters are counted from the estimates' tally (kept by triggers); any other
    filter counts the rows. Either way the count is the rows'."""
    unit = Unit.objects.get(code="si-lo-lau")
    for _ in range(3):
        services.estimate_create(
            actor=people["hoi.silolau"], plan=plan, unit=unit, data=club_input(plan)
        )
    client = api("hoi.huyen")  # sees every estimate of the plan
    every = Estimate.objects.all()
    queries = {
        "": every,
        f"?plan={plan.pk}": every.filter(plan=plan),
        "?status=draft": every.filter(status="draft"),
        "?status=draft&status=review": every.filter(status__in=["draft", "review"]),
        f"?commune={unit.pk}&status=draft": every.filter(unit=unit, status="draft"),
        f"?commune={unit.pk}&status=draft&ordering=total_amount": every.filter(
            unit=unit, status="draft"
        ),
        "?status=approval": every.filter(status="approval"),
        "?q=sì lở lầu&status=draft": every.filter(unit=unit, status="draft"),
        "?level=commune": every.filter(level="commune"),
    }
    assert every.count() == 6 and every.filter(unit=unit, status="draft").count() == 3
    for query, rows in queries.items():
        with CaptureQueriesContext(connection) as ctx:
            body = client.get(f"/api/v1/estimates/{query}&page_size=2".replace("/&", "/?")).json()
        expected = rows.count()
        assert body["count"] == expected, query
        counted_rows = [
            q["sql"]
            for q in ctx.captured_queries
            if 'COUNT(*) AS "__count" FROM "estimates_estimate"' in q["sql"]
        ]
        tallied = "q=" not in query and "level=" not in query
        assert bool(counted_rows) is not tallied, query


@pytest.mark.parametrize(
    ("username", "expected"),
    [
        ("hoi.silolau", {NAMXE: None, SILOLAU: None}),  # nothing waits for her: drafts only
        ("hoi.huyen", {SILOLAU: ["forward", "return"], DISTRICT: ["update", "submit", "withdraw"]}),
        ("hoi.namxe", {NAMXE: ["update", "submit", "withdraw"]}),
        ("tckh", {}),
        ("quansat", {}),
    ],
)
def test_tasks_waiting_for_each_role(
    api: Client, three: dict[str, Estimate], username: str, expected: dict[str, list[str] | None]
) -> None:
    rows = api(username).get("/api/v1/tasks/").json()["results"]
    by_id = {est.pk: key for key, est in three.items()}
    got = {by_id[row["id"]]: row["actions"] for row in rows}
    wanted = {key: actions for key, actions in expected.items() if actions is not None}
    assert got == wanted
    # The count (from the estimates' tally when only plan, commune and status choose; else
    # counted) is the rows', with each filter, on a page of one row as on the whole list.
    client = api(username)
    silolau = three[SILOLAU]
    for query in [
        {},
        {"status": "review"},
        {"status": "draft"},
        {"commune": silolau.unit_id},
        {"plan": silolau.plan_id, "status": "draft"},
        {"q": "xa"},
        {"status": "closed"},
    ]:
        whole = client.get("/api/v1/tasks/", query).json()
        one = client.get("/api/v1/tasks/", {**query, "page_size": 1}).json()
        assert whole["count"] == one["count"] == len(whole["results"]), (username, query)


def test_list_queries_do_not_grow_with_the_data(api: Client, plan: Plan, people: People) -> None:
    unit = Unit.objects.get(code="si-lo-lau")
    client = api("hoi.huyen")
    client.get("/api/v1/estimates/")  # warm up (content types, token)

    def count(url: str) -> int:
        client.get(url)  # what is kept between requests (grants, delegate hint) read once
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        return len(ctx.captured_queries)

    def add(n: int) -> None:
        for _ in range(n):
            est = services.estimate_create(
                actor=people["hoi.silolau"], plan=plan, unit=unit, data=club_input(plan)
            )
            services.estimate_submit(actor=people["hoi.silolau"], estimate_id=est.pk)

    add(2)
    few = {url: count(url) for url in ("/api/v1/estimates/", "/api/v1/tasks/")}
    add(8)
    many = {url: count(url) for url in ("/api/v1/estimates/", "/api/v1/tasks/")}
    assert few == many
    assert max(many.values()) <= 12


def test_detail_and_transition_queries_do_not_grow_with_the_lines(
    api: Client, plan: Plan, people: People
) -> None:
    unit = Unit.objects.get(code="si-lo-lau")
    client = api("hoi.silolau")

    def measure(n_lines: int) -> tuple[int, int]:
        est = services.estimate_create(
            actor=people["hoi.silolau"],
            plan=plan,
            unit=unit,
            data=club_input(
                plan, lines=[club_line(description=f"Dòng {i}") for i in range(n_lines)]
            ),
        )
        client.get(f"/api/v1/estimates/{est.pk}/")  # warm up
        with CaptureQueriesContext(connection) as read:
            assert client.get(f"/api/v1/estimates/{est.pk}/").status_code == 200
        with CaptureQueriesContext(connection) as submit:
            assert client.post(f"/api/v1/estimates/{est.pk}/submit/").status_code == 200
        return len(read.captured_queries), len(submit.captured_queries)

    assert measure(2) == measure(12)


@pytest.mark.parametrize("username", ["hoi.silolau", "hoi.huyen", "tckh", "ketoan", "ubnd.silolau"])
def test_a_lists_rows_offer_what_their_details_offer(
    api: Client, plan: Plan, people: People, username: str
) -> None:
    """A list reads its rows without their plans (the page's plans in one query, whatever
    the rows' statuses): each row offers the actions its detail offers, the detail read
    with its plan, settling included (who settles follows the plan's level)."""
    from tests.factories import estimates_at_every_stage

    made = estimates_at_every_stage(plan)
    client = api(username)
    with CaptureQueriesContext(connection) as queries:
        listed = client.get("/api/v1/estimates/", {"page_size": 100}).json()["results"]
    plan_reads = [q for q in queries.captured_queries if 'FROM "estimates_plan"' in q["sql"]]
    assert len(plan_reads) == 1
    offered = {row["id"]: row["actions"] for row in listed}
    assert offered
    for estimate in made:
        if estimate.pk in offered:
            detail = client.get(f"/api/v1/estimates/{estimate.pk}/").json()
            assert offered[estimate.pk] == detail["actions"], (username, estimate.status)
