"""Writes per role: drafting and every transition through the API call the same services
as the web pages. Another commune's estimate is 404, a visible one the role may not touch
is 403, the wrong state is 409, bad input is 400 naming the field — and a refused request
changes nothing."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from approvals.models import AuditEntry
from core.text import field_limit
from estimates.models import Estimate, EstimateLine, Plan
from organization.models import Membership, Role, Unit
from organization.permissions import access_sync
from tests.texts import composed, decomposed

from .conftest import Client, People, estimate_payload

Make = Callable[..., Estimate]


def _trail(est: Estimate) -> list[str]:
    return list(
        AuditEntry.objects.filter(estimate=est).order_by("seq").values_list("action", flat=True)
    )


# --------------------------------------------------------------------------------------
# Drafting


def test_commune_officer_drafts_for_her_commune(api: Client, plan: Plan) -> None:
    response = api("hoi.silolau").post("/api/v1/estimates/", estimate_payload(), format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    est = Estimate.objects.get(pk=body["id"])
    assert (est.unit.code, est.status, est.created_by.username) == (
        "si-lo-lau",
        "draft",
        "hoi.silolau",
    )
    assert body["total_amount"] == est.total_amount == 30 * 20_000 * 2 + 30 * 15_000
    assert body["actions"] == ["update", "submit", "withdraw"]
    assert _trail(est) == ["estimate.created"]


def test_district_womens_union_drafts_a_district_estimate(api: Client, plan: Plan) -> None:
    district = Unit.objects.get(code="phong-tho")
    response = api("hoi.huyen").post(
        "/api/v1/estimates/", estimate_payload(plan.pk, unit=district.pk), format="json"
    )
    assert response.status_code == 201, response.json()
    assert response.json()["level"] == "district"


@pytest.mark.parametrize(
    ("username", "unit_code"),
    [("hoi.silolau", "nam-xe"), ("tckh", "si-lo-lau"), ("ubnd.silolau", "si-lo-lau")],
)
def test_nobody_drafts_for_a_unit_they_do_not_draft_for(
    api: Client, plan: Plan, username: str, unit_code: str
) -> None:
    unit = Unit.objects.get(code=unit_code)
    response = api(username).post(
        "/api/v1/estimates/", estimate_payload(unit=unit.pk), format="json"
    )
    assert response.status_code == 400
    assert response.json()["field"] == "unit"
    assert not Estimate.objects.exists()


def test_edit_a_draft_keeping_line_ids(api: Client, make_estimate: Make) -> None:
    est = make_estimate("draft")
    first, second = est.lines.order_by("position")
    body = estimate_payload(title="Sinh hoạt CLB (sửa)")
    body["lines"][0]["id"] = first.pk
    body["lines"][0]["quantity"] = 40
    body["lines"] = body["lines"][:1]
    response = api("hoi.silolau").put(f"/api/v1/estimates/{est.pk}/", body, format="json")
    assert response.status_code == 200, response.json()
    est.refresh_from_db()
    assert est.title == "Sinh hoạt CLB (sửa)"
    assert list(est.lines.values_list("pk", "quantity")) == [(first.pk, 40)]
    assert est.total_amount == 40 * 20_000 * 2
    assert _trail(est) == ["estimate.created", "estimate.edited"]
    assert [ln["id"] for ln in response.json()["lines"]] == [first.pk]
    assert not est.lines.filter(pk=second.pk).exists()


@pytest.mark.parametrize(
    ("username", "status", "expected"),
    [
        ("hoi.silolau", "returned", 200),
        ("hoi.namxe", "draft", 404),
        ("hoi.huyen", "draft", 403),
        ("tckh", "draft", 403),
        ("ubnd.silolau", "draft", 403),
        ("hoi.silolau", "review", 409),
    ],
)
def test_edit_matrix(
    api: Client, make_estimate: Make, username: str, status: str, expected: int
) -> None:
    est = make_estimate(status)
    before = (est.title, _trail(est))
    response = api(username).put(
        f"/api/v1/estimates/{est.pk}/", estimate_payload(title="Khác"), format="json"
    )
    assert response.status_code == expected, response.json()
    est.refresh_from_db()
    if expected != 200:
        assert response.json()["detail"]
        assert (est.title, _trail(est)) == before


# --------------------------------------------------------------------------------------
# Transitions: the role × object × state matrix

BODIES: dict[str, dict[str, Any]] = {
    "submit": {"comment": "Kính trình"},
    "forward": {"comment": "Đạt"},
    "return": {"reason": "Bổ sung danh sách"},
    "withdraw": {"reason": "Lồng ghép với hoạt động khác"},
    "appraise": {},
    "approve": {},
}

#: (action, status of a Sì Lở Lầu estimate, user, expected HTTP status, status after)
MATRIX: list[tuple[str, str, str, int, str]] = [
    ("submit", "draft", "hoi.silolau", 200, "review"),
    ("submit", "returned", "hoi.silolau", 200, "review"),
    ("submit", "draft", "hoi.namxe", 404, "draft"),
    ("submit", "draft", "ubnd.silolau", 403, "draft"),
    ("submit", "draft", "hoi.huyen", 403, "draft"),
    ("submit", "draft", "tckh", 403, "draft"),
    ("submit", "review", "hoi.silolau", 409, "review"),
    ("forward", "review", "hoi.huyen", 200, "appraisal"),
    ("forward", "review", "hoi.silolau", 403, "review"),
    ("forward", "review", "hoi.namxe", 404, "review"),
    ("forward", "review", "tckh", 403, "review"),
    ("forward", "review", "pho.chutich", 403, "review"),
    ("forward", "draft", "hoi.huyen", 409, "draft"),
    ("forward", "appraisal", "hoi.huyen", 409, "appraisal"),
    ("return", "review", "hoi.huyen", 200, "returned"),
    ("return", "appraisal", "tckh", 200, "returned"),
    ("return", "review", "hoi.silolau", 403, "review"),
    ("return", "review", "quansat", 403, "review"),
    ("return", "review", "hoi.namxe", 404, "review"),
    ("return", "appraisal", "hoi.huyen", 403, "appraisal"),
    ("return", "draft", "hoi.huyen", 409, "draft"),
    ("appraise", "appraisal", "hoi.huyen", 403, "appraisal"),
    ("appraise", "appraisal", "hoi.silolau", 403, "appraisal"),
    ("appraise", "appraisal", "pho.chutich", 403, "appraisal"),
    ("appraise", "appraisal", "hoi.namxe", 404, "appraisal"),
    ("appraise", "review", "tckh", 409, "review"),
    ("approve", "appraisal", "pho.chutich", 409, "appraisal"),
    ("approve", "appraisal", "tckh", 403, "appraisal"),
    ("approve", "appraisal", "hoi.silolau", 403, "appraisal"),
    ("approve", "appraisal", "kiemtoan", 403, "appraisal"),
    ("approve", "appraisal", "hoi.namxe", 404, "appraisal"),
    ("withdraw", "draft", "hoi.silolau", 200, "withdrawn"),
    ("withdraw", "review", "hoi.silolau", 200, "withdrawn"),
    ("withdraw", "appraisal", "hoi.silolau", 200, "withdrawn"),
    ("withdraw", "review", "hoi.huyen", 403, "review"),
    ("withdraw", "draft", "ubnd.silolau", 403, "draft"),
    ("withdraw", "draft", "hoi.namxe", 404, "draft"),
]


@pytest.mark.parametrize(("action", "status", "username", "expected", "after"), MATRIX)
def test_transition_matrix(
    api: Client,
    make_estimate: Make,
    action: str,
    status: str,
    username: str,
    expected: int,
    after: str,
) -> None:
    est = make_estimate(status)
    trail = _trail(est)
    response = api(username).post(
        f"/api/v1/estimates/{est.pk}/{action}/", BODIES[action], format="json"
    )
    assert response.status_code == expected, response.json()
    est.refresh_from_db()
    assert est.status == after
    if expected == 200:
        assert response.json()["status"] == after
        assert len(_trail(est)) == len(trail) + 1
    else:
        body = response.json()
        assert set(body) == {"detail", "field"}
        assert body["detail"]
        assert _trail(est) == trail
        if expected == 404:
            assert est.number not in response.content.decode()


def test_the_whole_chain_before_the_money_through_the_api(api: Client, plan: Plan) -> None:
    created = api("hoi.silolau").post("/api/v1/estimates/", estimate_payload(), format="json")
    pk = created.json()["id"]
    steps = [
        ("hoi.silolau", "submit", {}, "review"),
        ("hoi.huyen", "return", {"reason": "Thiếu thôn bản"}, "returned"),
        ("hoi.silolau", "submit", {"comment": "Đã bổ sung"}, "review"),
        ("hoi.huyen", "forward", {}, "appraisal"),
        ("tckh", "return", {"reason": "Xem lại", "to": "review"}, "review"),
        ("hoi.huyen", "forward", {}, "appraisal"),
    ]
    for username, action, body, status in steps:
        response = api(username).post(f"/api/v1/estimates/{pk}/{action}/", body, format="json")
        assert response.status_code == 200, (action, response.json())
        assert response.json()["status"] == status
    history = api("kiemtoan").get(f"/api/v1/estimates/{pk}/history/").json()["results"]
    assert [h["action"] for h in history] == [
        "estimate.created",
        "estimate.submitted",
        "estimate.returned",
        "estimate.submitted",
        "estimate.forwarded",
        "estimate.returned",
        "estimate.forwarded",
    ]
    assert history[2]["comment"] == "Thiếu thôn bản"
    detail = api("tckh").get(f"/api/v1/estimates/{pk}/").json()
    assert detail["version"] == 2
    assert detail["actions"] == ["appraise", "return"]


def test_segregation_of_duties_binds_api_clients(api: Client, plan: Plan, people: People) -> None:
    """Someone holding both a commune officer and a Finance-Planning role may not appraise
    what they drafted."""
    dual = people["hoi.silolau"]
    Membership.objects.create(
        user=dual, unit=Unit.objects.get(code="phong-tho.tckh"), role=Role.FINANCE_OFFICER
    )
    access_sync()
    pk = api("hoi.silolau").post("/api/v1/estimates/", estimate_payload(), format="json")
    pk = pk.json()["id"]
    api("hoi.silolau").post(f"/api/v1/estimates/{pk}/submit/", {}, format="json")
    api("hoi.huyen").post(f"/api/v1/estimates/{pk}/forward/", {}, format="json")
    response = api("hoi.silolau").post(f"/api/v1/estimates/{pk}/appraise/", {}, format="json")
    assert response.status_code == 403
    assert response.json()["detail"]
    assert Estimate.objects.get(pk=pk).status == "appraisal"


# --------------------------------------------------------------------------------------
# Bad input names the field


@pytest.mark.parametrize(
    ("status", "username", "action", "body", "field"),
    [
        ("review", "hoi.huyen", "return", {}, "reason"),
        ("review", "hoi.huyen", "return", {"reason": "   "}, "reason"),
        ("review", "hoi.huyen", "return", {"reason": "x", "to": "nowhere"}, "to"),
        ("review", "hoi.huyen", "return", {"reason": "x", "to": "appraisal"}, "to"),
        ("draft", "hoi.silolau", "withdraw", {"reason": ""}, "reason"),
        ("draft", "hoi.silolau", "submit", {"comment": "a\x07b"}, "comment"),
        ("draft", "hoi.silolau", "submit", {"comment": 12}, "comment"),
        ("review", "hoi.huyen", "forward", {"comment": "x" * 5001}, "comment"),
        ("appraisal", "tckh", "appraise", {"cuts": [{"line_id": 1}]}, "cuts[0].appraised_amount"),
        (
            "appraisal",
            "tckh",
            "appraise",
            {"cuts": [{"line_id": 10**9, "appraised_amount": 1, "reason": "x"}]},
            "lines",
        ),
        (
            "appraisal",
            "tckh",
            "appraise",
            {"cuts": [{"line_id": 1, "appraised_amount": 1.5, "reason": "x"}]},
            "cuts[0].appraised_amount",
        ),
        (
            "appraisal",
            "tckh",
            "appraise",
            {"cuts": [{"line_id": 1, "appraised_amount": -1, "reason": "x"}]},
            "cuts[0].appraised_amount",
        ),
        ("appraisal", "tckh", "appraise", {"cuts": "all"}, "cuts"),
    ],
)
def test_bad_transition_input_is_400_naming_the_field(
    api: Client,
    make_estimate: Make,
    status: str,
    username: str,
    action: str,
    body: dict[str, Any],
    field: str,
) -> None:
    est = make_estimate(status)
    trail = _trail(est)
    response = api(username).post(f"/api/v1/estimates/{est.pk}/{action}/", body, format="json")
    assert response.status_code == 400, response.json()
    assert response.json()["field"] == field
    assert response.json()["detail"]
    est.refresh_from_db()
    assert est.status == status
    assert _trail(est) == trail


def test_appraisal_may_not_raise_a_line_nor_cut_without_a_reason(
    api: Client, make_estimate: Make
) -> None:
    est = make_estimate("appraisal")
    first = est.lines.order_by("position")[0]
    url = f"/api/v1/estimates/{est.pk}/appraise/"
    raised = {"cuts": [{"line_id": first.pk, "appraised_amount": first.amount + 1}]}
    response = api("tckh").post(url, raised, format="json")
    assert (response.status_code, response.json()["field"]) == (400, f"line-{first.pk}")
    silent = {"cuts": [{"line_id": first.pk, "appraised_amount": first.amount - 1}]}
    response = api("tckh").post(url, silent, format="json")
    assert (response.status_code, response.json()["field"]) == (400, f"reason-{first.pk}")
    first.refresh_from_db()
    assert first.appraised_amount is None


def test_a_conflict_says_someone_acted_first(api: Client, make_estimate: Make) -> None:
    est = make_estimate("review")
    assert api("hoi.huyen").post(f"/api/v1/estimates/{est.pk}/forward/").status_code == 200
    again = api("hoi.huyen").post(f"/api/v1/estimates/{est.pk}/forward/")
    assert again.status_code == 409
    assert again.json()["detail"]


# --------------------------------------------------------------------------------------
# Text: the limit of the model field, counted after NFC (tests/web/test_forms.py holds the
# same limits for the pages)


#: Answers in English, so that assertions on messages hold once the Vietnamese catalogue
#: translates them (the API answers in Vietnamese by default).
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


@pytest.mark.parametrize(
    ("name", "model"),
    [
        ("title", Estimate),
        ("purpose", Estimate),
        ("description", EstimateLine),
        ("unit_of_measure", EstimateLine),
    ],
)
def test_an_estimate_text_is_held_to_its_model_field(
    api: Client, plan: Plan, name: str, model: Any
) -> None:
    limit = field_limit(model, name)

    def body(text: str) -> dict[str, Any]:
        if model is Estimate:
            return estimate_payload(**{name: text})
        line = {**estimate_payload()["lines"][0], name: text}
        return estimate_payload(lines=[line])

    where = name if model is Estimate else f"lines[0].{name}"
    response = api("hoi.silolau").post("/api/v1/estimates/", body(decomposed(limit + 1)), **EN)
    assert response.status_code == 400
    assert response.json()["field"] == where
    assert f"At most {limit} characters" in response.json()["detail"]
    assert not Estimate.objects.exists()
    response = api("hoi.silolau").post("/api/v1/estimates/", body(decomposed(limit)))
    assert response.status_code == 201, response.json()
    assert getattr(model.objects.get(), name) == composed(limit)


@pytest.mark.parametrize(("action", "name"), [("forward", "comment"), ("return", "reason")])
def test_a_comment_or_reason_is_held_to_the_audit_comment_limit(
    api: Client, make_estimate: Make, action: str, name: str
) -> None:
    limit = field_limit(AuditEntry, "comment")
    est = make_estimate("review")
    trail = _trail(est)
    url = f"/api/v1/estimates/{est.pk}/{action}/"
    response = api("hoi.huyen").post(url, {name: decomposed(limit + 1)}, **EN)
    assert response.status_code == 400
    assert response.json()["field"] == name
    assert f"At most {limit} characters" in response.json()["detail"]
    assert _trail(est) == trail
    response = api("hoi.huyen").post(url, {name: decomposed(limit)})
    assert response.status_code == 200, response.json()
    assert AuditEntry.objects.filter(estimate=est).latest("seq").comment == composed(limit)


def test_an_appraisal_reason_is_held_to_its_model_field(api: Client, make_estimate: Make) -> None:
    limit = field_limit(EstimateLine, "appraisal_note")
    est = make_estimate("appraisal")
    first = est.lines.order_by("position")[0]
    url = f"/api/v1/estimates/{est.pk}/appraise/"

    def body(reason: str) -> dict[str, Any]:
        cut = {"line_id": first.pk, "appraised_amount": first.amount - 1, "reason": reason}
        return {"cuts": [cut]}

    response = api("tckh").post(url, body(decomposed(limit + 1)), **EN)
    assert response.status_code == 400
    assert response.json()["field"] == "cuts[0].reason"
    assert f"At most {limit}" in response.json()["detail"]
    est.refresh_from_db()
    assert est.status == "appraisal"
    assert api("tckh").post(url, body(decomposed(limit))).status_code == 200
    first.refresh_from_db()
    assert first.appraisal_note == composed(limit)


@pytest.mark.parametrize("char", ["\u200b", "\u200f", "\u202a", "\u2069", "\ufeff"])
def test_invisible_characters_are_refused_naming_the_field(
    api: Client, plan: Plan, char: str
) -> None:
    response = api("hoi.silolau").post(
        "/api/v1/estimates/", estimate_payload(title=f"A{char}B"), **EN
    )
    assert response.status_code == 400
    assert response.json()["field"] == "title"
    assert f"U+{ord(char):04X} at position 2" in response.json()["detail"]
    assert not Estimate.objects.exists()


@pytest.mark.parametrize("char", ["\u202e", "\u2066", "\u200d", "\u0600", "\u3164"])
def test_a_hidden_character_in_a_title_is_refused_in_vietnamese(
    api: Client, plan: Plan, char: str
) -> None:
    response = api("hoi.silolau").post(
        "/api/v1/estimates/",
        estimate_payload(title=f"Tập huấn {char}pháp luật"),
        HTTP_ACCEPT_LANGUAGE="vi",
    )
    assert response.status_code == 400
    assert response.json()["field"] == "title"
    assert response.json()["detail"].startswith(f"Hãy xoá ký tự ẩn U+{ord(char):04X} ở vị trí 10")
    assert not Estimate.objects.exists()


def test_appraisal_refusals_of_several_lines_come_together(
    api: Client, make_estimate: Make
) -> None:
    est = make_estimate("appraisal")
    first, second = list(est.lines.order_by("position"))[:2]
    cuts = {
        "cuts": [
            {"line_id": first.pk, "appraised_amount": first.amount + 1},
            {"line_id": second.pk, "appraised_amount": second.amount - 1},
        ]
    }
    response = api("tckh").post(f"/api/v1/estimates/{est.pk}/appraise/", cuts, format="json")
    assert response.status_code == 400
    body = response.json()
    assert body["field"] == f"line-{first.pk}"
    assert set(body["errors"]) == {f"line-{first.pk}", f"reason-{second.pk}"}
