"""Two plans side by side: plan 117/KH-UBND (the reference data of the session) and the
example two-tier plan (a province and its communes, the commune as the spending unit),
whose carried-over cell takes money a 2024 settlement carried over."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings

from approvals import services
from approvals.services.decisions import decision_issuers_load
from estimates.models import Estimate, EstimateStatus, Plan
from estimates.plan_loader import plan_load_file
from organization.models import Role, Unit
from organization.permissions import access_sync
from tests.factories import demo_user, estimate_in_status, estimate_input, lines_of, member_make

S = EstimateStatus
EXAMPLE_FILE = Path(settings.BASE_DIR) / "estimates" / "data" / "example-two-tier-2025.yaml"
EXAMPLE_ISSUERS = Path(settings.BASE_DIR) / "approvals" / "data" / "decision_issuers_example.yaml"
EXAMPLE_NUMBER = "VD-01/KH-UBND-2025"
#: What the example plan's commune-level carried-over cell holds.
EXAMPLE_CARRIED = 30_000_000

#: The example plan's people: (username, agency, role).
EXAMPLE_PEOPLE = (
    ("hoi.xamot", "vd-xa-mot.hlhpn", Role.COMMUNE_WU_OFFICER),
    ("hoi.xahai", "vd-xa-hai.hlhpn", Role.COMMUNE_WU_OFFICER),
    ("hoi.tinh", "lai-chau.hlhpn", Role.DISTRICT_WU),
    ("kinhte.xamot", "vd-xa-mot.kinh-te", Role.FINANCE_OFFICER),
    ("chutich.xamot", "vd-xa-mot.ubnd", Role.COMMUNE_CHAIR),
    ("ketoan.xamot", "vd-xa-mot.ubnd", Role.COMMUNE_ACCOUNTANT),
    ("stc", "lai-chau.stc", Role.FINANCE_OFFICER),
    ("pct.tinh", "lai-chau.ubnd", Role.APPROVER),
    ("ketoan.tinh", "lai-chau.stc", Role.ACCOUNTANT),
)


def carried_over_2024(
    carried: int, *, spent: int = 10_000_000, unit_code: str = "si-lo-lau"
) -> Estimate:
    """A commune estimate of plan 117 approved, paid in full from the current-year source,
    settled with ``carried`` carried over into 2025, and verified: its tranche is what the
    next plan may carry in."""
    total = spent + carried
    estimate = estimate_in_status(
        S.APPROVED, unit_code=unit_code, lines=lines_of(("current", total))
    )
    services.estimate_disburse(
        actor=demo_user("ketoan"),
        estimate_id=estimate.pk,
        kind="payment",
        paid_on=dt.date(2024, 6, 5),
        amount=total,
        source="current",
        document_type="payment_order",
        document_number="UNC-01",
        payee="Hội LHPN xã",
    )
    line = estimate.lines.get()
    services.estimate_settle(
        actor=demo_user("hoi.silolau" if unit_code == "si-lo-lau" else "hoi.namxe"),
        estimate_id=estimate.pk,
        lines=[{"line_id": line.pk, "spent": spent}],
        carried=carried,
        carried_use_by=dt.date(2025, 12, 31),
    )
    services.estimate_verify_settlement(actor=demo_user("tckh"), estimate_id=estimate.pk)
    return Estimate.objects.get(pk=estimate.pk)


def example_load() -> Plan:
    """Load the example plan file, its issuers and its people (after the carry-over)."""
    plan = plan_load_file(EXAMPLE_FILE).plan
    decision_issuers_load(EXAMPLE_ISSUERS)
    for username, agency, role in EXAMPLE_PEOPLE:
        member_make(username, agency, role, sync=False)
    access_sync()
    return plan


@pytest.fixture
def two_plans(plan: Plan, users: dict[str, Any]) -> tuple[Plan, Plan]:
    """Plan 117 with one settlement carrying money over, and the example plan loaded."""
    carried_over_2024(EXAMPLE_CARRIED)
    return plan, example_load()


def example_draft(example: Plan, *lines: tuple[str, int]) -> Estimate:
    """A draft of the example plan's commune Xã Một (``vd-xa-mot``) by its Women's Union
    officer, for September 2025: one line of 2,000,000 đồng from the current year's source
    unless ``lines`` (source, amount) say otherwise."""
    unit = Unit.objects.get(code="vd-xa-mot")
    data = estimate_input(
        example,
        unit,
        start_date=dt.date(2025, 9, 1),
        end_date=dt.date(2025, 9, 2),
        lines=lines_of(*(lines or (("current", 2_000_000),))),
    )
    return services.estimate_create(
        actor=demo_user("hoi.xamot"), plan=example, unit=unit, data=data
    )
