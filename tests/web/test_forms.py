"""The estimate form: what is typed, how it is read, and what is refused."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from approvals.models import AuditEntry
from core.forms import VndField
from core.text import field_limit
from estimates.models import Estimate, EstimateLine, Plan
from tests.factories import commune, estimate_form_data, line_form_rows, villages_of
from tests.texts import composed, decomposed

LINE = {
    "description": "Nước uống",
    "unit_of_measure": "người",
    "quantity": "50",
    "unit_price": "20.000",
    "times": "2",
    "source": "carried",
}


def create(client: Client, user: Any, data: dict[str, Any]) -> Any:
    client.force_login(user)
    return client.post(reverse("estimates:create"), data)


def test_create_reads_vietnamese_amounts_and_dates_and_computes_amounts(
    plan: Plan, client: Client, users: dict[str, Any]
) -> None:
    unit = commune("si-lo-lau")
    data = estimate_form_data(plan, unit, lines=[{**LINE, "unit_price": "1.500.000 ₫"}])
    response = create(client, users["hoi.silolau"], data)
    assert response.status_code == 302
    estimate = Estimate.objects.get()
    assert response["Location"] == reverse("estimates:detail", args=[estimate.pk])
    assert estimate.unit == unit and estimate.status == "draft"
    assert estimate.start_date.isoformat() == "2024-06-01"
    line = estimate.lines.get()
    assert (line.unit_price, line.amount) == (1_500_000, 150_000_000)
    assert estimate.total_amount == 150_000_000
    assert sorted(estimate.villages.values_list("pk", flat=True)) == data["villages"]
    html = client.get(response["Location"]).content.decode()
    assert "150.000.000 ₫" in html


def test_blank_rows_are_skipped(plan: Plan, client: Client, users: dict[str, Any]) -> None:
    blank = {
        "description": "",
        "unit_of_measure": "",
        "quantity": "",
        "unit_price": "",
        "times": "1",
        "source": "current",
    }
    data = estimate_form_data(plan, commune("si-lo-lau"), lines=[LINE, blank, blank])
    assert create(client, users["hoi.silolau"], data).status_code == 302
    assert EstimateLine.objects.count() == 1


def test_add_a_line_works_without_javascript(
    plan: Plan, client: Client, users: dict[str, Any]
) -> None:
    data = estimate_form_data(plan, commune("si-lo-lau"), lines=[LINE], add_line="1")
    response = create(client, users["hoi.silolau"], data)
    assert response.status_code == 200
    assert len(response.context["formset"].forms) == 2
    assert 'name="lines-1-description"' in response.content.decode()
    assert not Estimate.objects.exists()


def test_the_new_form_offers_blank_rows(plan: Plan, client: Client, users: dict[str, Any]) -> None:
    client.force_login(users["hoi.silolau"])
    html = client.get(reverse("estimates:create")).content.decode()
    assert 'name="lines-0-description"' in html and 'name="lines-1-description"' in html


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"quantity": "0"}, "quantity"),
        ({"quantity": "-3"}, "quantity"),
        ({"unit_price": "0"}, "unit_price"),
        ({"unit_price": "-1.000"}, "unit_price"),
        ({"unit_price": "1,5 triệu"}, "unit_price"),
        ({"unit_price": "abc"}, "unit_price"),
        ({"quantity": "nhiều"}, "quantity"),
        ({"unit_price": "10.000.000.000.000.001"}, "unit_price"),
        ({"source": "elsewhere"}, "source"),
        ({"norm": "999999"}, "norm"),
    ],
)
def test_bad_line_input_is_refused_at_its_field(
    plan: Plan, client: Client, users: dict[str, Any], change: dict[str, str], field: str
) -> None:
    data = estimate_form_data(plan, commune("si-lo-lau"), lines=[{**LINE, **change}])
    response = create(client, users["hoi.silolau"], data)
    assert response.status_code == 400
    assert response.context["formset"].forms[0].errors[field]
    assert not Estimate.objects.exists()
    assert not AuditEntry.objects.exists()


def test_a_line_over_ten_to_the_fifteen_is_refused_by_the_service(
    plan: Plan, client: Client, users: dict[str, Any]
) -> None:
    huge = {**LINE, "quantity": "1000000", "unit_price": "1.000.000.000.000", "times": "10"}
    response = create(
        client, users["hoi.silolau"], estimate_form_data(plan, commune("si-lo-lau"), lines=[huge])
    )
    assert response.status_code == 400
    errors = response.context["formset"].forms[0].non_field_errors()
    assert any("too large" in e or "10^15" in e for e in errors)
    assert not Estimate.objects.exists()


def test_a_total_over_ten_to_the_fifteen_is_refused(
    plan: Plan, client: Client, users: dict[str, Any]
) -> None:
    big = {
        **LINE,
        "quantity": "1000",
        "unit_price": "1.000.000.000.000",
        "times": "1",
    }  # 10^15 each
    response = create(
        client,
        users["hoi.silolau"],
        estimate_form_data(plan, commune("si-lo-lau"), lines=[big, big]),
    )
    assert response.status_code == 400
    assert "10^15" in response.content.decode()
    assert not Estimate.objects.exists()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"activity": "999999"}, "activity"),
        ({"title": "  "}, "title"),
        ({"start_date": "2024-13-45"}, "start_date"),
        ({"start_date": "31/06/2024"}, "start_date"),
        ({"end_date": "01/05/2024"}, "end_date"),  # before the start
        ({"start_date": "01/01/2023", "end_date": "02/01/2023"}, "start_date"),  # outside the plan
        ({"participants_women": "-1"}, "participants_women"),
    ],
)
def test_bad_header_input_is_refused_at_its_field(
    plan: Plan, client: Client, users: dict[str, Any], change: dict[str, str], field: str
) -> None:
    data = estimate_form_data(plan, commune("si-lo-lau"), **change)
    response = create(client, users["hoi.silolau"], data)
    assert response.status_code == 400
    assert response.context["form"].errors[field]
    assert not Estimate.objects.exists()


def test_villages_of_another_commune_are_refused(
    plan: Plan, client: Client, users: dict[str, Any]
) -> None:
    other = [v.pk for v in villages_of(commune("nam-xe"))[:1]]
    data = estimate_form_data(plan, commune("si-lo-lau"), villages=other)
    response = create(client, users["hoi.silolau"], data)
    assert response.status_code == 400
    assert response.context["form"].errors["villages"]
    assert not Estimate.objects.exists()


def test_a_commune_officer_cannot_draft_for_another_commune(
    plan: Plan, client: Client, users: dict[str, Any]
) -> None:
    nam_xe = commune("nam-xe")
    data = estimate_form_data(plan, nam_xe)
    data["villages"] = []
    response = create(client, users["hoi.silolau"], data)
    assert response.status_code == 400
    assert response.context["form"].errors["unit"]
    assert not Estimate.objects.exists()


def test_an_activity_not_run_at_commune_level_is_refused_by_the_service(
    plan: Plan, client: Client, users: dict[str, Any]
) -> None:
    from estimates.models import Activity

    activity = Activity.objects.filter(content__plan=plan).first()
    assert activity is not None
    activity.levels = "district"
    activity.save(update_fields=["levels"])
    data = estimate_form_data(plan, commune("si-lo-lau"), activity=activity.pk)
    response = create(client, users["hoi.silolau"], data)
    assert response.status_code == 400
    assert "not run at this level" in response.context["form"].errors["activity"][0]


def test_extra_fields_posted_to_create_change_nothing(
    plan: Plan, client: Client, users: dict[str, Any]
) -> None:
    data = estimate_form_data(
        plan,
        commune("si-lo-lau"),
        status="approved",
        approved_amount="999",
        appraised_amount="999",
        created_by=str(users["tckh"].pk),
        number="DT-FORGED",
        version="7",
        **{"lines-0-amount": "1", "lines-0-approved_amount": "1"},
    )
    assert create(client, users["hoi.silolau"], data).status_code == 302
    estimate = Estimate.objects.get()
    assert estimate.status == "draft"
    assert estimate.approved_amount is None and estimate.appraised_amount is None
    assert estimate.created_by == users["hoi.silolau"]
    assert estimate.number != "DT-FORGED" and estimate.version == 0
    line = estimate.lines.get()
    assert line.amount == 3_000_000 and line.approved_amount is None


def test_edit_keeps_line_ids_changes_and_deletes_lines(
    plan: Plan, client: Client, users: dict[str, Any], draft: Estimate
) -> None:
    rows = line_form_rows(draft)
    kept, dropped = rows
    kept["unit_price"] = "1.000.000"
    dropped["DELETE"] = "on"
    data = estimate_form_data(plan, draft.unit, lines=[kept, dropped, LINE], initial_lines=2)
    client.force_login(users["hoi.silolau"])
    response = client.post(reverse("estimates:edit", args=[draft.pk]), data)
    assert response.status_code == 302
    lines = list(draft.lines.order_by("position"))
    assert lines[0].pk == int(kept["line_id"]) and lines[0].amount == 2_000_000
    assert len(lines) == 2 and lines[1].description == "Nước uống"
    draft.refresh_from_db()
    assert draft.total_amount == 2_000_000 + 2_000_000


def test_edit_ignores_a_posted_unit_and_status(
    plan: Plan, client: Client, users: dict[str, Any], draft: Estimate
) -> None:
    data = estimate_form_data(
        plan, draft.unit, lines=line_form_rows(draft), initial_lines=2, status="approved"
    )
    data["unit"] = str(commune("nam-xe").pk)
    client.force_login(users["hoi.silolau"])
    assert client.post(reverse("estimates:edit", args=[draft.pk]), data).status_code == 302
    draft.refresh_from_db()
    assert draft.unit == commune("si-lo-lau") and draft.status == "draft"


def test_edit_refuses_a_line_of_another_estimate(
    plan: Plan, client: Client, users: dict[str, Any], draft: Estimate, nam_xe: Estimate
) -> None:
    foreign = nam_xe.lines.first()
    assert foreign is not None
    rows = line_form_rows(draft)
    rows[0]["line_id"] = str(foreign.pk)
    data = estimate_form_data(plan, draft.unit, lines=rows, initial_lines=2)
    client.force_login(users["hoi.silolau"])
    response = client.post(reverse("estimates:edit", args=[draft.pk]), data)
    assert response.status_code == 400
    assert "does not belong" in response.content.decode()
    foreign.refresh_from_db()
    assert foreign.estimate_id == nam_xe.pk


def test_the_edit_form_shows_the_dates_as_dd_mm_yyyy(
    client: Client, users: dict[str, Any], draft: Estimate
) -> None:
    client.force_login(users["hoi.silolau"])
    html = client.get(reverse("estimates:edit", args=[draft.pk])).content.decode()
    assert 'value="01/06/2024"' in html
    assert 'value="1.500.000"' in html


@pytest.mark.parametrize(
    ("typed", "value"),
    [("1.500.000", 1_500_000), ("1500000", 1_500_000), ("1.500.000 ₫", 1_500_000), (" 0 ", 0)],
)
def test_vnd_field_reads_what_people_type(typed: str, value: int) -> None:
    assert VndField().clean(typed) == value


@pytest.mark.parametrize("typed", ["1,5", "-5", "1.5", "abc", "10.000.000.000.000.001"])
def test_vnd_field_refuses_the_rest(typed: str) -> None:
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        VndField().clean(typed)


def test_vnd_field_minimum() -> None:
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        VndField(min_value=1).clean("0")


def test_a_user_drafting_for_two_communes_cannot_mix_their_villages(
    plan: Plan, client: Client, users: dict[str, Any]
) -> None:
    from organization.models import Membership, Role, Unit
    from organization.permissions import access_sync

    officer = users["hoi.silolau"]
    Membership.objects.create(
        user=officer, unit=Unit.objects.get(code="nam-xe.hlhpn"), role=Role.COMMUNE_WU_OFFICER
    )
    access_sync()
    client.force_login(officer)
    form = client.get(reverse("estimates:create")).context["form"]
    assert {u.code for u in form.fields["unit"].queryset} == {"si-lo-lau", "nam-xe"}
    assert "Nậm Xe · " in client.get(reverse("estimates:create")).content.decode()
    mixed = [villages_of(commune("si-lo-lau"))[0].pk, villages_of(commune("nam-xe"))[0].pk]
    response = create(
        client, officer, estimate_form_data(plan, commune("si-lo-lau"), villages=mixed)
    )
    assert response.status_code == 400
    assert response.context["form"].errors["villages"] == ["Choose villages of Sì Lở Lầu only."]
    assert not Estimate.objects.exists()
    good = estimate_form_data(plan, commune("nam-xe"))
    assert create(client, officer, good).status_code == 302
    assert Estimate.objects.get().unit.code == "nam-xe"


# ---------------------------------------------------------------------------------------
# Text: the limit of the model field, counted after NFC (tests/api/test_write.py holds the
# same limits for the API)


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
    plan: Plan, client: Client, users: dict[str, Any], name: str, model: Any
) -> None:
    limit = field_limit(model, name)
    unit = commune("si-lo-lau")

    def data(text: str) -> dict[str, Any]:
        if model is Estimate:
            return estimate_form_data(plan, unit, lines=[LINE], **{name: text})
        return estimate_form_data(plan, unit, lines=[{**LINE, name: text}])

    response = create(client, users["hoi.silolau"], data(decomposed(limit + 1)))
    assert response.status_code == 400
    form = response.context["form"] if model is Estimate else response.context["formset"].forms[0]
    assert f"At most {limit} characters" in " ".join(form.errors[name])
    assert not Estimate.objects.exists()
    assert not AuditEntry.objects.exists()
    response = create(client, users["hoi.silolau"], data(decomposed(limit)))
    assert response.status_code == 302
    stored = model.objects.get()
    assert getattr(stored, name) == composed(limit)


@pytest.mark.parametrize("char", ["\u200b", "\u202e", "\u2067", "\ufeff", "\x1b"])
def test_a_title_with_an_invisible_or_control_character_is_refused(
    plan: Plan, client: Client, users: dict[str, Any], char: str
) -> None:
    data = estimate_form_data(plan, commune("si-lo-lau"), title=f"Tập{char} huấn")
    response = create(client, users["hoi.silolau"], data)
    assert response.status_code == 400
    assert f"U+{ord(char):04X} at position 4" in response.context["form"].errors["title"][0]
    assert not Estimate.objects.exists()


def test_a_one_line_title_has_no_line_break(
    plan: Plan, client: Client, users: dict[str, Any]
) -> None:
    data = estimate_form_data(plan, commune("si-lo-lau"), title="Tập\nhuấn")
    response = create(client, users["hoi.silolau"], data)
    assert response.status_code == 400
    assert "single line" in response.context["form"].errors["title"][0]
    assert not Estimate.objects.exists()
