"""The register's API: the same rules and visibility as the pages, in the schema."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from beneficiaries.models import Beneficiary, Ethnicity, PriorityGroup
from beneficiaries.services import beneficiary_register
from estimates.models import Estimate
from tests.beneficiaries.conftest import ID_A, ID_B, mother, village
from tests.factories import api_key

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_throttle_counts() -> None:
    cache.clear()


def api(user: Any) -> APIClient:
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.credentials(HTTP_AUTHORIZATION=f"Token {api_key(user)}")
    return client


def body(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "full_name": "Mẹ mẫu số 2",
        "date_of_birth": "1995-01-02",
        "ethnicity": Ethnicity.objects.get(code="ha-nhi").pk,
        "village": village("si-lo-lau", 1).pk,
        "national_id": ID_B,
        "birth_date": "2024-08-01",
        "place": "commune_station",
        "facility": "Trạm y tế xã",
        "delivery": "normal",
        "payments": {
            "travel": {"quantity": 2, "unit_price": 100_000},
            "kit": {"quantity": 1, "unit_price": 500_000},
            "meals": {"quantity": 2, "unit_price": 50_000, "times": 3},
            "nutrition": {"quantity": 1, "unit_price": 1_200_000},
        },
    }
    data.update(overrides)
    return data


def test_register_and_read_back(draft: Estimate, users: dict[str, Any]) -> None:
    url = f"/api/v1/estimates/{draft.pk}/beneficiaries/"
    response = api(users["hoi.silolau"]).post(url, body(), format="json")
    assert response.status_code == 201, response.json()
    answer = response.json()
    assert answer["total"] == 2_200_000
    row = answer["beneficiaries"][0]
    assert row["name"] == "Mẹ mẫu số 2" and row["national_id"] == "••••••••0202"
    assert row["amounts"] == {
        "travel": 200_000,
        "kit": 500_000,
        "meals": 300_000,
        "nutrition": 1_200_000,
    }
    paid = api(users["ketoan"]).get(url).json()["beneficiaries"][0]
    assert paid["national_id"] == ID_B
    reviewer = api(users["hoi.huyen"]).get(url).json()
    assert reviewer["personal"] is False
    row = reviewer["beneficiaries"][0]
    assert "Mẹ" not in row["name"] and row["national_id"] == "" and row["date_of_birth"] is None
    assert api(users["hoi.namxe"]).get(url).status_code == 404


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"national_id": "1234"}, "national_id"),
        ({"birth_date": "2023-06-01"}, "birth_date"),
        ({"place": "home"}, "place"),
        ({"ethnicity": 10**6}, "ethnicity"),
        ({"payments": {"meals": {"quantity": 2, "unit_price": 50_000, "times": 4}}}, None),
        ({"payments": {"kit": {"quantity": 1, "unit_price": 500_000.0}}}, None),
        ({"babies": "2"}, "babies"),
    ],
)
def test_bad_input_is_refused_naming_the_field(
    draft: Estimate, users: dict[str, Any], overrides: dict[str, Any], field: str | None
) -> None:
    url = f"/api/v1/estimates/{draft.pk}/beneficiaries/"
    response = api(users["hoi.silolau"]).post(url, body(**overrides), format="json")
    assert response.status_code == 400
    answer = response.json()
    assert answer["field"] and (
        field is None or answer["field"] == field or answer["field"].startswith(field)
    )
    if field is None:
        assert answer["field"].startswith("payments")
    assert ID_B not in str(answer) and "Mẹ mẫu" not in str(answer)
    assert not Beneficiary.objects.exists()


def test_a_duplicate_across_communes_is_refused_without_personal_data(
    draft: Estimate, users: dict[str, Any]
) -> None:
    from tests.beneficiaries.conftest import safe_birth_draft

    beneficiary_register(actor=users["hoi.silolau"], estimate_id=draft.pk, data=mother())
    other = safe_birth_draft(draft.plan, users["hoi.namxe"], "nam-xe")
    same = body(
        national_id=ID_A,
        date_of_birth="1990-05-04",
        birth_date="2024-06-10",
        village=village("nam-xe").pk,
    )
    response = api(users["hoi.namxe"]).post(
        f"/api/v1/estimates/{other.pk}/beneficiaries/", same, format="json"
    )
    assert response.status_code == 400
    assert response.json()["field"] == "national_id"
    assert ID_A not in response.content.decode()


def test_remove_and_groups(draft: Estimate, users: dict[str, Any]) -> None:
    b = beneficiary_register(actor=users["hoi.silolau"], estimate_id=draft.pk, data=mother())
    groups = api(users["tckh"]).get(f"/api/v1/estimates/{draft.pk}/groups/").json()
    assert {g["code"]: g["count"] for g in groups}["dtts"] == 1
    dtts = PriorityGroup.objects.get(code="dtts").pk
    refused = api(users["hoi.silolau"]).put(
        f"/api/v1/estimates/{draft.pk}/groups/", {"counts": {str(dtts): 3}}, format="json"
    )
    assert refused.status_code == 400  # counted from the list
    assert api(users["hoi.namxe"]).delete(f"/api/v1/beneficiaries/{b.pk}/").status_code == 404
    assert api(users["tckh"]).delete(f"/api/v1/beneficiaries/{b.pk}/").status_code == 403
    assert api(users["hoi.silolau"]).delete(f"/api/v1/beneficiaries/{b.pk}/").status_code == 204
    assert not Beneficiary.objects.exists()


def test_group_totals_report(draft: Estimate, users: dict[str, Any]) -> None:
    beneficiary_register(actor=users["hoi.silolau"], estimate_id=draft.pk, data=mother())
    rows = api(users["hoi.huyen"]).get("/api/v1/reports/priority-groups/").json()
    totals = {r["code"]: (r["planned"], r["approved"]) for r in rows}
    assert totals["dtts"] == (1, 0)
    rows = api(users["hoi.namxe"]).get("/api/v1/reports/priority-groups/").json()
    assert {r["code"]: r["planned"] for r in rows}["dtts"] == 0  # not Nậm Xe's estimate
    assert len(api(users["tckh"]).get("/api/v1/ethnicities/").json()) == 54
    assert len(api(users["tckh"]).get("/api/v1/priority-groups/").json()) == 5


def test_correct_a_record(draft: Estimate, users: dict[str, Any]) -> None:
    b = beneficiary_register(actor=users["hoi.silolau"], estimate_id=draft.pk, data=mother())
    fixed = body(
        national_id=ID_A,
        date_of_birth="1990-05-04",
        birth_date="2024-06-10",
        village=village("si-lo-lau").pk,
        delivery="caesarean",
    )
    fixed["payments"]["meals"]["times"] = 5
    response = api(users["hoi.silolau"]).put(f"/api/v1/beneficiaries/{b.pk}/", fixed, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["total"] == 2_400_000
    assert (
        api(users["hoi.namxe"])
        .put(f"/api/v1/beneficiaries/{b.pk}/", fixed, format="json")
        .status_code
        == 404
    )
