"""Hostile input: wrong types, missing fields, huge numbers, floats, negative amounts,
unknown ids, control characters, megabytes of text. Always a 4xx with a JSON body naming
the field, never a 500, and nothing written."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from api.parsers import json_depth_exceeds
from approvals.models import AuditEntry
from estimates.models import Estimate, EstimateLine, Plan

from .conftest import Client, estimate_payload

Make = Callable[..., Estimate]
MEGABYTE = "x" * (1024 * 1024)


@pytest.fixture
def nothing_written(plan: Plan) -> Iterator[None]:
    before = (Estimate.objects.count(), EstimateLine.objects.count(), AuditEntry.objects.count())
    yield
    after = (Estimate.objects.count(), EstimateLine.objects.count(), AuditEntry.objects.count())
    assert after == before


LINE = {
    "description": "Nước uống",
    "unit_of_measure": "người",
    "quantity": 30,
    "unit_price": 20_000,
    "times": 2,
    "source": "current",
}


def _line(**kw: Any) -> dict[str, Any]:
    return {**LINE, **kw}


CREATE_CASES: list[tuple[str, dict[str, Any], str]] = [
    ("title with NUL", {"title": "a\x00b"}, "title"),
    ("title with a bell", {"title": "a\x07b"}, "title"),
    ("title with an escape", {"title": "\x1b[31mred"}, "title"),
    ("title of 1 MB", {"title": MEGABYTE}, "title"),
    ("purpose of 1 MB", {"purpose": MEGABYTE}, "purpose"),
    ("empty title", {"title": ""}, "title"),
    ("title as a number", {"title": 42}, "title"),
    ("title as null", {"title": None}, "title"),
    ("activity as a string", {"activity": "3.2"}, "activity"),
    ("activity as a float", {"activity": 11.0}, "activity"),
    ("unknown activity", {"activity": 987654321}, "activity"),
    ("activity beyond 64 bits", {"activity": 2**80}, "activity"),
    ("date in another format", {"start_date": "June 1st"}, "start_date"),
    ("impossible date", {"start_date": "2024-02-30"}, "start_date"),
    ("date outside the plan", {"start_date": "2023-01-01"}, "start_date"),
    ("ends before it starts", {"end_date": "2024-05-01"}, "end_date"),
    ("negative participants", {"participants_women": -1}, "participants_women"),
    ("participants as a bool", {"participants_men": True}, "participants_men"),
    ("huge participants", {"participants_girls": 10**12}, "participants_girls"),
    ("villages not a list", {"villages": "all"}, "villages"),
    ("village as a string", {"villages": ["x"]}, "villages[0]"),
    ("unknown village", {"villages": [987654321]}, "villages"),
    ("lines not a list", {"lines": {"a": 1}}, "lines"),
    ("line not an object", {"lines": [7]}, "lines[0]"),
    ("price as a float", {"lines": [_line(unit_price=20000.0)]}, "lines[0].unit_price"),
    ("price with a fraction", {"lines": [_line(unit_price=1.5)]}, "lines[0].unit_price"),
    ("price as a string", {"lines": [_line(unit_price="20000")]}, "lines[0].unit_price"),
    ("negative price", {"lines": [_line(unit_price=-5)]}, "lines[0].unit_price"),
    ("price beyond 10^15", {"lines": [_line(unit_price=10**15 + 1)]}, "lines[0].unit_price"),
    ("price of 10^30", {"lines": [_line(unit_price=10**30)]}, "lines[0].unit_price"),
    ("zero quantity", {"lines": [_line(quantity=0)]}, "lines[0].quantity"),
    ("product beyond 10^15", {"lines": [_line(quantity=1_000_000, unit_price=10**12)]}, "lines[0]"),
    ("unknown source", {"lines": [_line(source="gold")]}, "lines[0].source"),
    ("unknown norm", {"lines": [_line(norm=987654321)]}, "lines[0].norm"),
    ("unknown line id", {"lines": [_line(id=987654321)]}, "lines"),
    ("description with a tab", {"lines": [_line(description="a\tb")]}, "lines[0].description"),
    ("description of 301", {"lines": [_line(description="x" * 301)]}, "lines[0].description"),
    ("201 lines", {"lines": [_line()] * 201}, "lines"),
    ("unknown plan", {"plan": 987654321}, "plan"),
    ("unit as a list", {"unit": [1]}, "unit"),
]


@pytest.mark.parametrize(
    ("change", "field"), [c[1:] for c in CREATE_CASES], ids=[c[0] for c in CREATE_CASES]
)
def test_hostile_drafts_are_refused_naming_the_field(
    api: Client, nothing_written: None, change: dict[str, Any], field: str
) -> None:
    body = estimate_payload(**change)
    response = api("hoi.silolau").post("/api/v1/estimates/", body, format="json")
    assert response.status_code == 400, response.content[:300]
    assert response.json()["field"] == field
    assert response.json()["detail"]


@pytest.mark.parametrize("missing", ["activity", "title", "start_date", "end_date", "lines"])
def test_missing_fields_are_named(api: Client, nothing_written: None, missing: str) -> None:
    body = estimate_payload()
    del body[missing]
    response = api("hoi.silolau").post("/api/v1/estimates/", body, format="json")
    assert response.status_code == 400
    assert response.json()["field"] == missing


@pytest.mark.parametrize(
    ("content", "content_type", "status"),
    [
        (b"{not json", "application/json", 400),
        (b"[1, 2, 3]", "application/json", 400),
        (b"", "application/json", 400),
        (b"null", "application/json", 400),
        (b"title=x", "application/x-www-form-urlencoded", 415),
        (b"\xff\xfe\x00", "application/json", 400),
    ],
)
def test_malformed_bodies(
    api: Client, nothing_written: None, content: bytes, content_type: str, status: int
) -> None:
    response = api("hoi.silolau").generic(
        "POST", "/api/v1/estimates/", content, content_type=content_type
    )
    assert response.status_code == status
    assert response.json()["detail"]


def test_a_body_beyond_the_upload_limit_is_413(api: Client, nothing_written: None) -> None:
    body = estimate_payload(purpose="x" * (3 * 1024 * 1024))
    response = api("hoi.silolau").post("/api/v1/estimates/", body, format="json")
    assert response.status_code == 413
    assert response.json()["detail"]


@pytest.mark.parametrize("pk", ["0", "-1", "abc", "1e3", str(2**63), str(10**30), "987654321"])
@pytest.mark.parametrize("suffix", ["", "history/", "versions/", "submit/", "withdraw/"])
def test_unknown_estimate_ids_are_404(
    api: Client, nothing_written: None, pk: str, suffix: str
) -> None:
    client = api("hoi.silolau")
    url = f"/api/v1/estimates/{pk}/{suffix}"
    if suffix.endswith(("submit/", "withdraw/")):
        response = client.post(url, {"reason": "x"}, format="json")
    else:
        response = client.get(url)
    assert response.status_code == 404
    assert response.json()["detail"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"reason": MEGABYTE}, "reason"),
        ({"reason": "a\x00b"}, "reason"),
        ({"reason": ["x"]}, "reason"),
        ({"reason": {"x": 1}}, "reason"),
    ],
)
def test_hostile_transition_bodies(
    api: Client, make_estimate: Make, body: dict[str, Any], field: str
) -> None:
    est = make_estimate("draft")
    response = api("hoi.silolau").post(f"/api/v1/estimates/{est.pk}/withdraw/", body, format="json")
    assert response.status_code == 400
    assert response.json()["field"] == field
    est.refresh_from_db()
    assert est.status == "draft"


@pytest.mark.parametrize(
    "amount", [1.0, 0.5, -1, 10**15 + 1, 10**40, "1000", None, True, [1], {"a": 1}]
)
def test_hostile_appraised_amounts(api: Client, make_estimate: Make, amount: Any) -> None:
    est = make_estimate("appraisal")
    first = est.lines.order_by("position")[0]
    body = {"cuts": [{"line_id": first.pk, "appraised_amount": amount, "reason": "x"}]}
    response = api("tckh").post(f"/api/v1/estimates/{est.pk}/appraise/", body, format="json")
    assert response.status_code == 400
    assert response.json()["field"] == "cuts[0].appraised_amount"
    est.refresh_from_db()
    assert est.status == "appraisal"


def _nested(depth: int, *, kind: str = "array") -> bytes:
    """A JSON value ``depth`` levels deep: ``[[…[1]…]]`` or ``{"a": {"a": … 1 …}}``."""
    if kind == "array":
        return b"[" * depth + b"1" + b"]" * depth
    return b'{"a": ' * depth + b"1" + b"}" * depth


#: The refusal, in Vietnamese: the API's language unless the client asks for another.
DEEP = "Dữ liệu JSON lồng nhau quá sâu (tối đa 64 cấp)."


@pytest.mark.parametrize("kind", ["array", "object"])
@pytest.mark.parametrize("depth", [65, 5_000, 100_000])
def test_a_deeply_nested_body_is_refused_with_400(
    api: Client, nothing_written: None, kind: str, depth: int
) -> None:
    response = api("hoi.silolau").generic(
        "POST", "/api/v1/estimates/", _nested(depth, kind=kind), content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json() == {
        "detail": DEEP,
        "field": None,
    }


def test_deep_nesting_inside_a_valid_body_is_refused(api: Client, nothing_written: None) -> None:
    body = estimate_payload()
    body["lines"][0]["description"] = "__deep__"
    content = json.dumps(body).replace('"__deep__"', _nested(5_000).decode()).encode()
    response = api("hoi.silolau").generic(
        "POST",
        "/api/v1/estimates/",
        content,
        content_type="application/json",
    )
    assert response.status_code == 400
    assert response.json()["detail"] == DEEP


def test_nesting_up_to_the_limit_reaches_validation(api: Client, nothing_written: None) -> None:
    """64 levels pass the parser: the serializer then names the field it cannot use."""
    body = estimate_payload()
    body["title"] = "__deep__"
    content = json.dumps(body).replace('"__deep__"', _nested(63).decode()).encode()
    response = api("hoi.silolau").generic(
        "POST", "/api/v1/estimates/", content, content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json()["field"] == "title"


def test_json_depth_is_measured_without_recursion() -> None:
    deep: list[Any] = []
    for _ in range(200_000):
        deep = [deep]
    assert json_depth_exceeds(deep, 64)
    assert not json_depth_exceeds({"a": [{"b": [1, 2]}, 3]}, 4)
    assert json_depth_exceeds({"a": [{"b": [1, 2]}, 3]}, 3)
    assert not json_depth_exceeds("text", 1)
