"""Plan files: Plan 117 stays exact, the example two-tier plan loads next to it, and a bad
file (cells that do not add up, a level naming no approving unit, carrying over more than
was recorded) is refused with its line and field, nothing written."""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from estimates.models import EnvelopeCell, Plan
from estimates.plan_loader import PlanFileError, plan_load_file
from organization.models import Unit
from tests.plans.conftest import EXAMPLE_CARRIED, EXAMPLE_FILE, EXAMPLE_NUMBER, carried_over_2024


def _variant(tmp_path: Path, old: str, new: str) -> Path:
    text = EXAMPLE_FILE.read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / "plan.yaml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


def _line_of(path: Path, needle: str) -> int:
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if needle in line:
            return number
    raise LookupError(needle)


def _counts() -> tuple[int, int, int]:
    return Plan.objects.count(), Unit.objects.count(), EnvelopeCell.objects.count()


def test_plan_117_keeps_its_figures_and_levels(plan: Plan) -> None:
    out = StringIO()
    call_command("plan_summary", "--plan", "117/KH-UBND", "--json", stdout=out)
    data = json.loads(out.getvalue())
    assert data["plan"]["total_amount"] == 7_588_630_000
    assert {(c["level"], c["source"]): c["allocated"] for c in data["envelope"]["cells"]} == {
        ("district", "current"): 1_300_000_000,
        ("district", "carried"): 1_959_460_000,
        ("commune", "current"): 2_559_000_000,
        ("commune", "carried"): 1_770_170_000,
    }
    district, commune = plan.level_specs()
    assert (district.code, district.label, district.review) == ("district", "Cấp huyện", "")
    assert (commune.code, commune.label, commune.review) == ("commune", "Cấp xã", "area")
    assert {commune.appraise, commune.approve, commune.disburse, commune.verify} == {"area"}
    assert plan.carried_use_by_ground == "Nghị quyết 104/2023/QH15"


def test_the_example_file_says_it_is_illustrative() -> None:
    text = EXAMPLE_FILE.read_text(encoding="utf-8")
    assert text.startswith("# EXAMPLE ONLY - NOT AN OFFICIAL PLAN.")
    assert "illustrative" in text


def test_the_example_loads_beside_plan_117_once_2024_carried_money_over(
    plan: Plan, users: dict[str, Any]
) -> None:
    carried_over_2024(EXAMPLE_CARRIED)
    example = plan_load_file(EXAMPLE_FILE).plan
    assert example.number == EXAMPLE_NUMBER
    assert example.carried_from == plan
    assert "illustrative" in example.note
    assert [lv.code for lv in example.level_specs()] == ["province", "commune"]
    commune = example.level_spec("commune")
    assert (commune.review, commune.appraise, commune.approve, commune.disburse) == (
        "area",
        "commune",
        "commune",
        "commune",
    )
    # No district: the example's communes hang under the province.
    province = Unit.objects.get(code="lai-chau")
    assert {pc.commune.parent_id for pc in example.communes.select_related("commune")} == {
        province.pk
    }
    assert plan_load_file(EXAMPLE_FILE).changed is False  # idempotent
    assert Plan.objects.get(number="117/KH-UBND").total_amount == 7_588_630_000


def test_cells_that_do_not_add_up_are_refused_with_line_and_field(
    plan: Plan, tmp_path: Path
) -> None:
    path = _variant(
        tmp_path,
        "- {level: province, source: current, amount: 400000000}",
        "- {level: province, source: current, amount: 400000001}",
    )
    before = _counts()
    with pytest.raises(PlanFileError) as caught:
        plan_load_file(path)
    assert caught.value.field == "plan.envelope.total"
    assert caught.value.line == _line_of(path, "total: 1030000000")
    assert "1030000001" in caught.value.message
    assert _counts() == before


def test_a_level_naming_no_approving_unit_is_refused(plan: Plan, tmp_path: Path) -> None:
    path = _variant(
        tmp_path,
        "review: area, appraise: commune, approve: commune, disburse",
        "review: area, appraise: commune, disburse",
    )
    before = _counts()
    with pytest.raises(PlanFileError) as caught:
        plan_load_file(path)
    assert caught.value.field == "plan.levels[1].approve"
    assert caught.value.line == _line_of(path, "- {code: commune, label:")
    assert "names no approving unit" in caught.value.message
    assert _counts() == before


def test_an_area_without_a_peoples_committee_approves_nothing(plan: Plan, tmp_path: Path) -> None:
    text = EXAMPLE_FILE.read_text(encoding="utf-8")
    committee = (
        '    - {code: lai-chau.ubnd, name: "UBND tỉnh Lai Châu", type: peoples_committee, '
        "parent: lai-chau}\n"
    )
    assert committee in text
    text = text.replace(committee, "").replace("issuer: lai-chau.ubnd", "issuer: lai-chau.stc")
    path = tmp_path / "plan.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(PlanFileError) as caught:
        plan_load_file(path)
    assert caught.value.field == "plan.levels[0].approve"
    assert "no People's Committee" in caught.value.message


def test_a_cell_of_an_undeclared_level_is_refused(plan: Plan, tmp_path: Path) -> None:
    path = _variant(
        tmp_path,
        "- {level: province, source: carried, amount: 0}",
        "- {level: district, source: carried, amount: 0}",
    )
    with pytest.raises(PlanFileError) as caught:
        plan_load_file(path)
    assert caught.value.field == "plan.envelope.cells[1].level"
    assert caught.value.line == _line_of(path, "- {level: district, source: carried")


def test_carrying_over_more_than_was_recorded_is_refused(plan: Plan, users: dict[str, Any]) -> None:
    carried_over_2024(EXAMPLE_CARRIED - 1)
    before = _counts()
    with pytest.raises(PlanFileError) as caught:
        plan_load_file(EXAMPLE_FILE)
    assert caught.value.field == "plan.envelope.cells[3].amount"
    assert caught.value.line == _line_of(EXAMPLE_FILE, "- {level: commune, source: carried")
    assert "only 29999999 đồng was recorded" in caught.value.message
    assert _counts() == before


def test_the_command_names_the_line_and_writes_nothing(plan: Plan) -> None:
    before = _counts()
    with pytest.raises(CommandError) as caught:
        call_command("load_plan", str(EXAMPLE_FILE))
    assert "nothing was written" in str(caught.value)
    assert "plan.envelope.cells[3].amount" in str(caught.value)
    assert _counts() == before
