"""plan_summary after money moved: per cell and per commune, integers in đồng."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.core.management import call_command

from approvals import services
from estimates.models import Plan
from ledger.services import subenvelope_set
from organization.models import Unit
from tests.factories import ACCOUNTANT, VERIFIER, demo_user, estimate_in_status, lines_of

KEYS = {"allocated", "reserved", "committed", "disbursed", "settled", "returned", "carried", "free"}


def test_json_balances_per_cell_and_per_commune(
    plan: Plan, actor: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    nam_xe = Unit.objects.get(code="nam-xe")
    subenvelope_set(plan=plan, commune=nam_xe, source="current", amount=500_000_000, actor=actor)
    # Nậm Xe: approved 300, disbursed 200, settled 150 spent + 30 returned + 20 carried
    settled = estimate_in_status(
        "approved", lines=lines_of(("current", 300_000_000)), unit_code="nam-xe"
    )
    services.estimate_disburse(
        actor=demo_user(ACCOUNTANT),
        estimate_id=settled.pk,
        kind="payment",
        paid_on=dt.date(2024, 6, 10),
        amount=200_000_000,
        source="current",
        document_type="withdrawal_order",
        document_number="KB-001",
        payee="Hội LHPN xã",
    )
    line = settled.lines.get()
    services.estimate_settle(
        actor=demo_user("hoi.namxe"),
        estimate_id=settled.pk,
        lines=[{"line_id": line.pk, "spent": 150_000_000, "note": ""}],
        returned=30_000_000,
        return_document="GNT-7",
        carried=20_000_000,
        carried_use_by=dt.date(2025, 12, 31),
    )
    services.estimate_verify_settlement(actor=demo_user(VERIFIER), estimate_id=settled.pk)
    # Nậm Xe: 40 reserved; the district: 100 reserved
    estimate_in_status("approval", lines=lines_of(("current", 40_000_000)), unit_code="nam-xe")
    estimate_in_status("approval", lines=lines_of(("carried", 100_000_000)), level="district")

    call_command("plan_summary", "--json")
    data = json.loads(capsys.readouterr().out)
    cells = {(c["level"], c["source"]): c for c in data["envelope"]["cells"]}
    assert set(cells["commune", "current"]) >= KEYS
    assert {k: cells["commune", "current"][k] for k in KEYS} == {
        "allocated": 2_559_000_000,
        "reserved": 40_000_000,
        "committed": 200_000_000,  # the 100 never disbursed went back at settlement
        "disbursed": 200_000_000,
        "settled": 150_000_000,
        "returned": 30_000_000,
        "carried": 20_000_000,
        "free": 2_559_000_000 - 240_000_000,
    }
    assert cells["district", "carried"]["reserved"] == 100_000_000
    assert cells["district", "carried"]["free"] == 1_859_460_000
    total = data["envelope"]["total"]
    assert total["allocated"] == 7_588_630_000
    assert total["free"] == 7_588_630_000 - 340_000_000
    assert all(isinstance(total[k], int) for k in KEYS)

    communes = {(c["code"], c["source"]): c for c in data["communes"]}
    assert len(communes) == 30
    assert {k: communes["nam-xe", "current"][k] for k in KEYS} == {
        "allocated": 500_000_000,
        "reserved": 40_000_000,
        "committed": 200_000_000,
        "disbursed": 200_000_000,
        "settled": 150_000_000,
        "returned": 30_000_000,
        "carried": 20_000_000,
        "free": 260_000_000,
    }
    no_share = communes["si-lo-lau", "current"]
    assert (no_share["allocated"], no_share["free"], no_share["committed"]) == (None, None, 0)


def test_table_shows_the_new_figures(plan: Plan, capsys: pytest.CaptureFixture[str]) -> None:
    call_command("plan_summary")
    out = capsys.readouterr().out
    assert "Sì Lở Lầu" in out
    assert out.count("2.559.000.000 ₫") >= 2  # allocated and free of the commune cell
