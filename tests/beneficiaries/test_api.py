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


# --- the payment list -------------------------------------------------------------------

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def listed(draft: Estimate, users: dict[str, Any]) -> Estimate:
    beneficiary_register(actor=users["hoi.silolau"], estimate_id=draft.pk, data=mother())
    return draft


def payment_list_urls(estimate: Estimate) -> dict[str, str]:
    base = f"/api/v1/estimates/{estimate.pk}/payment-list"
    return {"xlsx": f"{base}.xlsx", "pdf": f"{base}.pdf"}


def test_the_payment_list_as_excel_through_the_api(listed: Estimate, users: dict[str, Any]) -> None:
    import io

    from openpyxl import load_workbook

    response = api(users["ketoan"]).get(payment_list_urls(listed)["xlsx"])
    assert response.status_code == 200
    assert response["Content-Type"] == XLSX
    assert "no-store" in response["Cache-Control"]
    rows = list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    header = next(r for r in rows if r and r[0] == "No.")
    line = rows[rows.index(header) + 1]
    # The accountant pays: the whole ID number, and the amounts per component.
    assert line[:3] == (1, "Mẹ mẫu số 1", ID_A)
    assert line[4:9] == (200_000, 500_000, 300_000, 1_200_000, 2_200_000)


def test_the_payment_list_as_pdf_through_the_api(listed: Estimate, users: dict[str, Any]) -> None:
    for username in ("hoi.silolau", "kiemtoan"):
        response = api(users[username]).get(payment_list_urls(listed)["pdf"])
        assert response.status_code == 200
        assert response["Content-Type"] == "application/pdf"
        assert response.content.startswith(b"%PDF")
        assert "no-store" in response["Cache-Control"]


@pytest.mark.parametrize("username", ["hoi.huyen", "quansat", "ubnd.silolau"])
def test_the_payment_list_is_403_through_the_api_without_the_personal_data_role(
    listed: Estimate, users: dict[str, Any], username: str
) -> None:
    for url in payment_list_urls(listed).values():
        response = api(users[username]).get(url)
        assert response.status_code == 403
        assert response["Content-Type"].startswith("application/json")
        assert "personal data" in response.json()["detail"]
        assert (
            b"M\xe1\xba\xb9 m\xe1\xba\xabu" not in response.content
            and ID_A.encode() not in response.content
        )


def test_the_payment_list_of_another_commune_or_activity_through_the_api(
    listed: Estimate, users: dict[str, Any]
) -> None:
    for url in payment_list_urls(listed).values():
        assert api(users["hoi.namxe"]).get(url).status_code == 404
        assert APIClient().get(url).status_code == 401
    from tests.factories import estimate_in_status

    club = estimate_in_status("draft", plan=listed.plan, drafter=users["hoi.silolau"])
    for url in payment_list_urls(club).values():
        response = api(users["hoi.silolau"]).get(url)
        assert response.status_code == 400
        assert "keeps no beneficiary list" in response.json()["detail"]


def test_the_payment_list_is_in_the_schema() -> None:
    schema = APIClient().get("/api/v1/schema/", HTTP_ACCEPT="application/json").json()
    for suffix, media in (("xlsx", XLSX), ("pdf", "application/pdf")):
        operation = schema["paths"][f"/api/v1/estimates/{{id}}/payment-list.{suffix}"]["get"]
        assert media in operation["responses"]["200"]["content"]
        assert "403" in operation["responses"]
        assert "personal data" in operation["description"]
