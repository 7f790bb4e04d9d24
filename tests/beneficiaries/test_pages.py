"""The register's pages: who sees which personal data, registering through the form, the
payment list as Excel and PDF, the participants per priority group, and fixed query
counts."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from approvals import services
from beneficiaries.models import Beneficiary, Ethnicity, GroupCount, PriorityGroup
from beneficiaries.services import beneficiary_register
from estimates.models import Estimate, Plan
from organization.models import Unit
from tests.beneficiaries.conftest import ID_A, ID_B, mother, village
from tests.factories import club_input

pytestmark = pytest.mark.django_db

NAME = "Mẹ mẫu số 1"


@pytest.fixture(autouse=True)
def english(client: Client) -> None:
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"


@pytest.fixture
def listed(draft: Estimate, users: dict[str, Any]) -> Estimate:
    beneficiary_register(actor=users["hoi.silolau"], estimate_id=draft.pk, data=mother())
    return draft


def page(estimate: Estimate) -> str:
    return reverse("beneficiaries:estimate", args=[estimate.pk])


def form_data(**overrides: Any) -> dict[str, Any]:
    data = {
        "full_name": "Mẹ mẫu số 2",
        "date_of_birth": "02/01/1995",
        "ethnicity": Ethnicity.objects.get(code="dao").pk,
        "village": village("si-lo-lau", 2).pk,
        "national_id": ID_B,
        "birth_date": "15/07/2024",
        "place": "hospital",
        "facility": "Trung tâm Y tế huyện",
        "delivery": "caesarean",
        "babies": "1",
        "travel_quantity": "2",
        "travel_unit_price": "100.000",
        "kit_quantity": "1",
        "kit_unit_price": "500.000",
        "meals_quantity": "2",
        "meals_unit_price": "50.000",
        "meals_times": "5",
        "nutrition_quantity": "1",
        "nutrition_unit_price": "1.200.000",
    }
    data.update(overrides)
    return data


@pytest.mark.parametrize(
    ("username", "name", "whole_id", "masked_id"),
    [
        ("hoi.silolau", True, False, True),  # the commune's own officer
        ("tckh", True, False, True),  # appraises
        ("pho.chutich", True, False, True),  # approves
        ("ketoan", True, True, False),  # pays: the whole number
        ("kiemtoan", True, False, True),  # audits
        ("hoi.huyen", False, False, False),  # reviews: numbered records only
        ("ubnd.silolau", False, False, False),
        ("quansat", False, False, False),  # observer
    ],
)
def test_who_sees_which_personal_data(
    client: Client,
    listed: Estimate,
    users: dict[str, Any],
    username: str,
    name: bool,
    whole_id: bool,
    masked_id: bool,
) -> None:
    client.force_login(users[username])
    response = client.get(page(listed))
    assert response.status_code == 200
    html = response.content.decode()
    assert (NAME in html) is name
    assert (ID_A in html) is whole_id
    assert ("••••••••0101" in html) is masked_id
    assert "2.200.000" in html  # amounts are for everyone who sees the estimate
    assert "no-store" in response["Cache-Control"]


def test_another_commune_gets_404(client: Client, listed: Estimate, users: dict[str, Any]) -> None:
    client.force_login(users["hoi.namxe"])
    assert client.get(page(listed)).status_code == 404
    url = reverse("beneficiaries:payment_list_xlsx", args=[listed.pk])
    assert client.get(url).status_code == 404


def test_registering_through_the_form(
    client: Client, draft: Estimate, users: dict[str, Any]
) -> None:
    client.force_login(users["hoi.silolau"])
    response = client.post(page(draft), form_data())
    assert response.status_code == 302
    b = Beneficiary.objects.get(estimate=draft)
    assert (b.national_id, b.total_amount, b.delivery) == (ID_B, 2_400_000, "caesarean")
    draft.refresh_from_db()
    assert draft.total_amount == 2_400_000


@pytest.mark.parametrize(
    ("overrides", "field", "words"),
    [
        ({"national_id": "12345"}, "national_id", "12 digits"),
        ({"meals_times": "6"}, "meals_times", "15/2022/TT-BTC"),
        ({"place": "home", "facility": ""}, "place", "health facility"),
        ({"birth_date": "15/07/2023"}, "birth_date", "plan's period"),
        ({"village": "other"}, "village", ""),
    ],
)
def test_a_refused_registration_shows_the_message_at_its_field_and_writes_nothing(
    client: Client,
    draft: Estimate,
    users: dict[str, Any],
    overrides: dict[str, Any],
    field: str,
    words: str,
) -> None:
    if overrides.get("village") == "other":
        overrides["village"] = village("nam-xe").pk
    client.force_login(users["hoi.silolau"])
    response = client.post(page(draft), form_data(**overrides))
    assert response.status_code == 400
    form = response.context["form"]
    assert field in form.errors
    assert words in " ".join(form.errors[field])
    assert not Beneficiary.objects.filter(estimate=draft).exists()


def test_a_duplicate_message_on_the_page_holds_no_personal_data(
    client: Client, listed: Estimate, users: dict[str, Any]
) -> None:
    client.force_login(users["hoi.silolau"])
    data = form_data(
        national_id=ID_A, date_of_birth="04/05/1990", birth_date="10/06/2024", full_name="X"
    )
    response = client.post(page(listed), data)
    assert response.status_code == 400
    message = " ".join(response.context["form"].errors["national_id"])
    assert "second payment" in message
    assert ID_A not in message and NAME not in message


def test_only_the_drafting_commune_may_register(
    client: Client, draft: Estimate, users: dict[str, Any]
) -> None:
    client.force_login(users["tckh"])
    response = client.post(page(draft), form_data())
    assert response.status_code == 403
    assert not Beneficiary.objects.exists()


def test_removing_a_beneficiary(client: Client, listed: Estimate, users: dict[str, Any]) -> None:
    b = Beneficiary.objects.get(estimate=listed)
    client.force_login(users["hoi.silolau"])
    url = reverse("beneficiaries:remove", args=[listed.pk, b.pk])
    assert client.post(url).status_code == 302
    listed.refresh_from_db()
    assert listed.total_amount == 0
    assert not listed.lines.exists()


def test_the_payment_list_as_excel(client: Client, listed: Estimate, users: dict[str, Any]) -> None:
    client.force_login(users["ketoan"])
    response = client.get(reverse("beneficiaries:payment_list_xlsx", args=[listed.pk]))
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    header = next(r for r in rows if r and r[0] == "No.")
    assert header[1] == "Full name" and header[-1] == "Signature"
    line = rows[rows.index(header) + 1]
    assert line[:4] == (1, NAME, ID_A, village("si-lo-lau").name)
    assert line[4:9] == (200_000, 500_000, 300_000, 1_200_000, 2_200_000)
    total = rows[rows.index(header) + 2]
    assert total[8] == 2_200_000


def test_the_payment_list_as_pdf(client: Client, listed: Estimate, users: dict[str, Any]) -> None:
    client.force_login(users["hoi.silolau"])
    response = client.get(reverse("beneficiaries:payment_list_pdf", args=[listed.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")


@pytest.mark.parametrize("username", ["hoi.huyen", "quansat", "ubnd.silolau"])
def test_the_payment_list_is_refused_without_the_personal_data_role(
    client: Client, listed: Estimate, users: dict[str, Any], username: str
) -> None:
    client.force_login(users[username])
    for name in ("payment_list_xlsx", "payment_list_pdf"):
        response = client.get(reverse(f"beneficiaries:{name}", args=[listed.pk]))
        assert response.status_code == 403
        assert NAME.encode() not in response.content


def test_setting_participants_per_group(
    client: Client, register_data: None, plan: Plan, users: dict[str, Any]
) -> None:
    officer = users["hoi.silolau"]
    est = services.estimate_create(
        actor=officer, plan=plan, unit=Unit.objects.get(code="si-lo-lau"), data=club_input(plan)
    )
    client.force_login(officer)
    groups = {g.code: g.pk for g in PriorityGroup.objects.all()}
    data = {f"group_{pk}": "0" for pk in groups.values()} | {f"group_{groups['dtts']}": "12"}
    url = reverse("beneficiaries:groups", args=[est.pk])
    assert client.post(url, data).status_code == 302
    assert GroupCount.objects.get(estimate=est).count == 12
    bad = data | {f"group_{groups['dtts']}": "-3"}
    response = client.post(url, bad)
    assert response.status_code == 400
    assert f"group_{groups['dtts']}" in response.context["groups_form"].errors
    assert GroupCount.objects.get(estimate=est).count == 12


def test_the_page_costs_the_same_queries_for_one_or_many_beneficiaries(
    client: Client, listed: Estimate, users: dict[str, Any]
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(users["ketoan"])
    client.get(page(listed))
    with CaptureQueriesContext(connection) as one:
        client.get(page(listed))
    for n in range(2, 7):
        beneficiary_register(
            actor=users["hoi.silolau"],
            estimate_id=listed.pk,
            data=mother(
                full_name=f"Mẹ mẫu số {n}",
                national_id=f"01219{n}000{n}00",
                date_of_birth=dt.date(1990 + n, 1, 1),
                village_id=village("si-lo-lau", n).pk,
            ),
        )
    with CaptureQueriesContext(connection) as many:
        response = client.get(page(listed))
    assert len(response.context["register"].rows) == 6
    assert len(many) == len(one)


def test_correcting_a_record_through_the_form(
    client: Client, listed: Estimate, users: dict[str, Any]
) -> None:
    b = Beneficiary.objects.get(estimate=listed)
    url = reverse("beneficiaries:edit", args=[listed.pk, b.pk])
    client.force_login(users["hoi.silolau"])
    shown = client.get(url)
    assert shown.status_code == 200
    data = {k: v for k, v in shown.context["form"].initial.items() if v is not None}
    data = {k: v.strftime("%d/%m/%Y") if hasattr(v, "strftime") else v for k, v in data.items()}
    data |= {"delivery": "caesarean", "place": "hospital", "meals_times": "5"}
    data |= {"travel_unit_price": "100000", "kit_unit_price": "500000"}
    data |= {"meals_unit_price": "50000", "nutrition_unit_price": "1200000"}
    response = client.post(url, data)
    assert response.status_code == 302, response.context["form"].errors
    b.refresh_from_db()
    assert (b.delivery, b.total_amount) == ("caesarean", 2_400_000)
    client.force_login(users["hoi.huyen"])
    assert client.get(url).status_code == 403


def test_the_estimate_form_keeps_the_lines_of_the_list(
    client: Client, listed: Estimate, users: dict[str, Any]
) -> None:
    """Saving the estimate's own form with its lines as shown passes; a line typed
    differently is refused at the lines, and the total stays the list's."""
    from tests.factories import estimate_form_data, line_form_rows

    client.force_login(users["hoi.silolau"])
    rows = line_form_rows(listed)
    data = estimate_form_data(
        listed.plan,
        listed.unit,
        lines=rows,
        initial_lines=len(rows),
        activity=listed.activity_id,
        start_date="01/07/2024",
        end_date="30/09/2024",
        title="Hỗ trợ sinh đẻ an toàn quý III (sửa)",
    )
    edit = reverse("estimates:edit", args=[listed.pk])
    assert client.post(edit, data).status_code == 302
    listed.refresh_from_db()
    assert listed.title.endswith("(sửa)")
    raised = dict(data) | {"lines-0-quantity": "9"}
    response = client.post(edit, raised)
    assert response.status_code == 400
    assert "beneficiary list" in response.content.decode()
    listed.refresh_from_db()
    assert listed.total_amount == 2_200_000
