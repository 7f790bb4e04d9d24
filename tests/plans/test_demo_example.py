"""The demo (``seed_demo``, run by ``make setup`` and ``make run``) loads the example
two-tier plan beside plan 117, with its issuers and demo users for its roles, so the
two-tier plan can be tried; plan 117 and its demo stay as they were. The example
reorganisation is not applied by the demo (it would move the 2024 work in flight), but the
README's commands apply it to the seeded demo."""

from __future__ import annotations

from io import StringIO
from pathlib import Path

from django.conf import settings
from django.core.management import call_command

from approvals import services
from approvals.audit import audit_verify
from approvals.models import DecisionIssuer
from estimates.models import EnvelopeCell, Estimate, EstimateStatus, Plan
from estimates.selectors import plan_default_for
from ledger.selectors import ledger_reconcile
from organization import permissions as perms
from organization.demo import EXAMPLE_DEMO_USERS
from organization.models import Membership, Unit
from tests.factories import demo_user
from tests.plans.conftest import example_draft

S = EstimateStatus
EXAMPLE = "VD-01/KH-UBND-2025"
REORGANISATION = Path(settings.BASE_DIR) / "reorganisations" / "data" / "lai-chau-2025.example.yaml"


def _cells(plan: Plan) -> list[tuple[str, str, int]]:
    return sorted(EnvelopeCell.objects.filter(plan=plan).values_list("level", "source", "amount"))


def _seed() -> str:
    call_command("load_norms")
    out = StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


def test_the_demo_loads_the_example_plan_beside_plan_117(plan: Plan) -> None:
    cells_117, total_117 = _cells(plan), plan.total_amount
    out = _seed()

    assert set(Plan.objects.values_list("number", flat=True)) == {plan.number, EXAMPLE}
    plan.refresh_from_db()
    assert (_cells(plan), plan.total_amount) == (cells_117, total_117)
    # plan 117's demo as before: one estimate at every status, all of plan 117
    assert set(Estimate.objects.values_list("plan__number", flat=True)) == {plan.number}
    example = Plan.objects.get(number=EXAMPLE)
    # The demo's 2024 settlements carried nothing over: the example's carried cells hold
    # what was carried (nothing), the rest as in the file.
    assert example.total_amount == 1_000_000_000
    assert ("commune", "carried", 0) in _cells(example)
    assert ("commune", "current", 600_000_000) in _cells(example)
    assert set(
        DecisionIssuer.objects.filter(unit__code__in=["lai-chau", "vd-xa-mot"]).values_list(
            "unit__code", flat=True
        )
    ) == {"lai-chau", "vd-xa-mot"}
    for demo in EXAMPLE_DEMO_USERS:
        assert demo.username in out
    assert EXAMPLE in out
    # Each drafter starts in their own plan.
    assert plan_default_for(demo_user("hoi.silolau"), perms.DRAFT) == plan
    assert plan_default_for(demo_user("hoi.xamot"), perms.DRAFT) == example

    # The example plan can be tried: a commune's estimate goes to the province's review.
    drafter = demo_user("hoi.xamot")
    estimate = example_draft(example)
    services.estimate_submit(actor=drafter, estimate_id=estimate.pk)
    services.estimate_forward(actor=demo_user("hoi.tinh"), estimate_id=estimate.pk)
    services.estimate_appraise(actor=demo_user("kinhte.xamot"), estimate_id=estimate.pk)
    assert Estimate.objects.get(pk=estimate.pk).status == S.APPROVAL
    assert ledger_reconcile(example) == []

    memberships = Membership.objects.count()
    _seed()  # a second run changes nothing
    assert Membership.objects.count() == memberships
    assert Plan.objects.count() == 2


def test_the_example_reorganisation_applies_to_the_seeded_demo(plan: Plan) -> None:
    _seed()
    in_flight = set(
        Estimate.objects.filter(unit__code__in=["si-lo-lau", "nam-xe", "phong-tho"])
        .exclude(status__in=[S.CLOSED, S.WITHDRAWN])
        .values_list("pk", flat=True)
    )
    assert in_flight
    units = list(Unit.objects.order_by("pk").values_list("pk", "parent_id", "is_active"))

    out = StringIO()
    call_command("apply_reorganisation", str(REORGANISATION), "--dry-run", stdout=out)
    assert "Dry run: nothing was written." in out.getvalue()
    assert list(Unit.objects.order_by("pk").values_list("pk", "parent_id", "is_active")) == units

    out = StringIO()
    call_command("apply_reorganisation", str(REORGANISATION), "--actor", "admin", stdout=out)
    assert "Applied:" in out.getvalue()
    moved = Estimate.objects.filter(pk__in=in_flight)
    assert not moved.filter(unit__code__in=["si-lo-lau", "nam-xe", "phong-tho"]).exists()
    for example_or_117 in Plan.objects.all():
        assert ledger_reconcile(example_or_117) == []
    assert audit_verify() is None
    assert DecisionIssuer.objects.filter(unit__code="xa-si-lo-lau").exists()
