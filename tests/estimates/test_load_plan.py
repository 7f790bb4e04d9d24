"""Plan 117/KH-UBND loads exactly as written; bad files are refused with nothing written."""

from __future__ import annotations

import json
import unicodedata
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import IntegrityError, transaction

from estimates.models import Activity, Content, EnvelopeCell, Plan, PlanCommune
from estimates.plan_loader import PlanFileError, plan_load_file, read_plan_file
from organization.models import AgencyType, Unit, UnitKind

PLAN_VILLAGES = {
    "Sì Lở Lầu": 8,
    "Vàng Ma Chải": 7,
    "Mỏ Sì San": 4,
    "Pa Vây Sử": 6,
    "Tung Qua Lìn": 5,
    "Dào San": 9,
    "Mù Sang": 10,
    "Bản Lang": 13,
    "Hoang Thèn": 8,
    "Nậm Xe": 16,
    "Sin Suối Hồ": 10,
    "Lản Nhì Thàng": 8,
    "Huổi Luông": 9,
    "Ma Ly Pho": 1,
    "Mường So": 4,
}


def _snapshot() -> dict[str, list[tuple[object, ...]]]:
    return {
        "units": list(
            Unit.objects.order_by("code").values_list(
                "code", "name", "kind", "agency_type", "parent_id"
            )
        ),
        "plans": list(Plan.objects.values_list("number", "title", "total_amount", "issued_on")),
        "cells": list(EnvelopeCell.objects.order_by("pk").values_list("level", "source", "amount")),
        "contents": list(Content.objects.order_by("pk").values_list("code", "title")),
        "activities": list(Activity.objects.order_by("pk").values_list("code", "title", "levels")),
        "area": list(PlanCommune.objects.order_by("pk").values_list("commune_id", "village_count")),
    }


def test_area_is_15_communes_and_118_villages_as_in_section_II(plan: Plan) -> None:
    communes = Unit.objects.communes().filter(parent__code="phong-tho")
    assert communes.count() == 15
    assert Unit.objects.villages().count() == 118
    counts = {c.name: c.children.filter(kind=UnitKind.VILLAGE).count() for c in communes}
    assert counts == PLAN_VILLAGES
    assert {e.commune.name: e.village_count for e in plan.communes.all()} == PLAN_VILLAGES


def test_envelope_is_section_IV_to_the_dong(plan: Plan) -> None:
    cells = {(c.level, c.source): c.amount for c in plan.envelope.all()}
    assert cells == {
        ("district", "current"): 1_300_000_000,
        ("district", "carried"): 1_959_460_000,
        ("commune", "current"): 2_559_000_000,
        ("commune", "carried"): 1_770_170_000,
    }
    assert cells["district", "current"] + cells["district", "carried"] == 3_259_460_000
    assert cells["commune", "current"] + cells["commune", "carried"] == 4_329_170_000
    assert cells["district", "current"] + cells["commune", "current"] == 3_859_000_000
    assert cells["district", "carried"] + cells["commune", "carried"] == 3_729_630_000
    assert sum(cells.values()) == plan.total_amount == 7_588_630_000


def test_header_catalogue_and_agencies(plan: Plan) -> None:
    assert plan.number == "117/KH-UBND"
    assert plan.issued_on.isoformat() == "2024-04-01"
    assert (plan.period_start.isoformat(), plan.period_end.isoformat()) == (
        "2024-04-01",
        "2024-12-31",
    )
    assert plan.signatory_name == "Mai Thị Hồng Sim"
    assert [c.code for c in plan.contents.all()] == ["1", "2", "3", "4", "GS"]
    assert Activity.objects.filter(content__plan=plan).count() >= 10
    district = Unit.objects.get(code="phong-tho")
    for agency_type in (
        AgencyType.WOMENS_UNION,
        AgencyType.FINANCE_PLANNING,
        AgencyType.PEOPLES_COMMITTEE,
        AgencyType.FATHERLAND_FRONT,
    ):
        assert district.children.filter(agency_type=agency_type).count() == 1
    assert district.children.filter(agency_type=AgencyType.LINE_DEPARTMENT).count() == 8
    for commune in Unit.objects.communes():
        assert set(commune.children.agencies().values_list("agency_type", flat=True)) == {
            AgencyType.WOMENS_UNION,
            AgencyType.PEOPLES_COMMITTEE,
        }


def test_a_second_load_changes_nothing(plan: Plan) -> None:
    before = _snapshot()
    result = plan_load_file(settings.DEFAULT_PLAN_FILE)
    assert not result.changed
    assert result.created == result.updated == 0
    assert _snapshot() == before


def test_renamed_villages_survive_a_reload(plan: Plan) -> None:
    village = Unit.objects.get(code="si-lo-lau.ban-01")
    village.name = "Bản Sì Lở Lầu"
    village.save()
    plan_load_file(settings.DEFAULT_PLAN_FILE)
    village.refresh_from_db()
    assert village.name == "Bản Sì Lở Lầu"
    assert Unit.objects.villages().count() == 118


def test_command_reports_nothing_changed_on_second_run(
    plan: Plan, capsys: pytest.CaptureFixture[str]
) -> None:
    call_command("load_plan")
    assert "117/KH-UBND" in capsys.readouterr().out


# --- bad files: each refused, naming field and line, with nothing written ---------------


def _write_variant(tmp_path: Path, old: str, new: str, name: str = "bad.yaml") -> Path:
    text = Path(settings.DEFAULT_PLAN_FILE).read_text(encoding="utf-8")
    assert old in text, old
    path = tmp_path / name
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


def _line_of(path: Path, needle: str) -> int:
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if needle in line:
            return n
    raise AssertionError(needle)


BAD_FILES = [
    pytest.param(
        "{level: district, source: current, amount: 1300000000}",
        "{level: district, source: current, amount: -1300000000}",
        "amount: -1300000000",
        "plan.envelope.cells[0].amount",
        "negative",
        id="negative amount",
    ),
    pytest.param(
        "{level: commune, source: carried, amount: 1770170000}",
        "{level: commune, source: carried, amount: 1770170001}",
        "total: 7588630000",
        "plan.envelope.total",
        "7588630001",
        id="cells do not add up",
    ),
    pytest.param(
        "issuer: phong-tho.ubnd",
        "issuer: tam-duong.ubnd",
        "issuer: tam-duong.ubnd",
        "plan.issuer",
        "tam-duong.ubnd",
        id="unknown unit",
    ),
    pytest.param(
        '{code: mo-si-san, name: "Mỏ Sì San", villages: 4}',
        '{code: si-lo-lau, name: "Mỏ Sì San", villages: 4}',
        '{code: si-lo-lau, name: "Mỏ Sì San"',
        "organization.communes[2].code",
        "si-lo-lau",
        id="duplicate commune",
    ),
    pytest.param(
        'issued_on: "2024-04-01"',
        'issued_on: "01 tháng 4"',
        'issued_on: "01 tháng 4"',
        "plan.issued_on",
        "01 tháng 4",
        id="malformed date",
    ),
    pytest.param(
        '{code: ma-ly-pho, name: "Ma Ly Pho", villages: 1}',
        '{code: ma-ly-pho, name: "Ma Ly Pho", villages: một}',
        "villages: một",
        "organization.communes[13].villages",
        "một",
        id="non-numeric village count",
    ),
    pytest.param(
        "{level: district, source: carried, amount: 1959460000}",
        "{level: district, source: carried, amount: 1959460000.5}",
        "amount: 1959460000.5",
        "plan.envelope.cells[1].amount",
        "1959460000.5",
        id="fractional amount",
    ),
    pytest.param(
        "{level: commune, source: current, amount: 2559000000}",
        "{level: province, source: current, amount: 2559000000}",
        "level: province",
        "plan.envelope.cells[2].level",
        "province",
        id="unknown level",
    ),
]


@pytest.mark.parametrize(("old", "new", "line_text", "field", "mention"), BAD_FILES)
def test_bad_file_is_refused_with_field_and_line_and_nothing_written(
    empty_db: None, tmp_path: Path, old: str, new: str, line_text: str, field: str, mention: str
) -> None:
    path = _write_variant(tmp_path, old, new)
    before = _snapshot()
    with pytest.raises(PlanFileError) as info:
        plan_load_file(path)
    assert info.value.field == field
    assert info.value.line == _line_of(path, line_text)
    assert mention in str(info.value)
    assert _snapshot() == before


@pytest.mark.django_db
def test_bad_file_on_top_of_a_loaded_plan_changes_nothing(plan: Plan, tmp_path: Path) -> None:
    path = _write_variant(
        tmp_path,
        '{code: muong-so, name: "Mường So", villages: 4}',
        '{code: muong-so, name: "Mường So Mới", villages: 4}\n'
        '    - {code: muong-so, name: "Mường So", villages: 4}',
    )
    before = _snapshot()
    with pytest.raises(PlanFileError, match="muong-so"):
        plan_load_file(path)
    assert _snapshot() == before


def test_command_exits_non_zero_and_names_the_line(empty_db: None, tmp_path: Path) -> None:
    path = _write_variant(tmp_path, "amount: 1300000000}", "amount: -5}")
    with pytest.raises(CommandError) as info:
        call_command("load_plan", str(path))
    assert f"{_line_of(path, 'amount: -5}')}" in str(info.value)
    assert Plan.objects.count() == 0
    assert Unit.objects.count() == 0


def test_json_file_loads_the_same_plan(empty_db: None, tmp_path: Path) -> None:
    data = read_plan_file(Path(settings.DEFAULT_PLAN_FILE))
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2, default=str), encoding="utf-8")
    result = plan_load_file(path)
    assert result.created > 0  # into an empty database
    assert result.plan.total_amount == 7_588_630_000
    assert Unit.objects.villages().count() == 118


@pytest.mark.django_db
def test_duplicate_key_is_refused(tmp_path: Path) -> None:
    path = _write_variant(tmp_path, "  year: 2024\n", "  year: 2024\n  year: 2025\n")
    with pytest.raises(PlanFileError, match="twice"):
        plan_load_file(path)


@pytest.mark.django_db
def test_database_refuses_a_negative_cell_even_past_the_loader(plan: Plan) -> None:
    cell = plan.envelope.first()
    assert cell is not None
    with pytest.raises(IntegrityError), transaction.atomic():
        EnvelopeCell.objects.filter(pk=cell.pk).update(amount=-1)


@pytest.mark.django_db
def test_decomposed_names_load_composed(tmp_path: Path) -> None:
    """A plan file saved on a Mac may hold decomposed Vietnamese (NFD)."""
    text = Path(settings.DEFAULT_PLAN_FILE).read_text(encoding="utf-8")
    path = tmp_path / "nfd.yaml"
    path.write_text(unicodedata.normalize("NFD", text), encoding="utf-8")
    plan_load_file(path)
    assert Unit.objects.get(code="muong-so").name == "Mường So"
    assert all(
        unicodedata.is_normalized("NFC", name)
        for name in Unit.objects.values_list("name", flat=True)
    )
    assert unicodedata.is_normalized("NFC", Plan.objects.get().title)


def test_an_invisible_character_is_refused_with_field_and_line(
    empty_db: None, tmp_path: Path
) -> None:
    path = _write_variant(
        tmp_path,
        '{code: muong-so, name: "Mường So", villages: 4}',
        '{code: muong-so, name: "Mường\u202e So", villages: 4}',
    )
    with pytest.raises(PlanFileError, match="U\\+202E") as info:
        plan_load_file(path)
    assert info.value.field.endswith(".name")
    assert info.value.line == _line_of(path, "muong-so")
    assert Plan.objects.count() == 0
