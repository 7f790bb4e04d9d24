import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from estimates.models import Plan


def test_json_summary_reproduces_the_plan(plan: Plan, capsys: pytest.CaptureFixture[str]) -> None:
    call_command("plan_summary", "--json")
    data = json.loads(capsys.readouterr().out)
    assert data["plan"]["number"] == "117/KH-UBND"
    assert data["area"]["commune_count"] == 15
    assert data["area"]["village_count"] == 118
    cells = {(c["level"], c["source"]): c for c in data["envelope"]["cells"]}
    assert cells["district", "carried"]["allocated"] == 1_959_460_000
    assert cells["commune", "current"]["free"] == 2_559_000_000
    total = data["envelope"]["total"]
    assert total["allocated"] == 7_588_630_000
    assert isinstance(total["allocated"], int)
    assert total["committed"] == total["disbursed"] == total["settled"] == 0
    assert total["free"] == 7_588_630_000


def test_table_summary_formats_amounts(plan: Plan, capsys: pytest.CaptureFixture[str]) -> None:
    call_command("plan_summary")
    out = capsys.readouterr().out
    assert "7.588.630.000 ₫" in out
    assert "1.959.460.000 ₫" in out
    assert "Nậm Xe" in out


def test_summary_without_a_plan_says_what_to_do(empty_db: None) -> None:
    with pytest.raises(CommandError, match="load_plan"):
        call_command("plan_summary")
