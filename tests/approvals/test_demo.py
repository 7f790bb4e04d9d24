"""The embedded demo shows the product alive: estimates at every stage, and work waiting in
every acting role's inbox — all made through the real services."""

from django.contrib.auth import get_user_model
from django.core.management import call_command

from approvals.access import estimate_inbox_for_user, estimate_list_for_user
from approvals.audit import audit_verify
from approvals.models import Decision
from estimates.models import Estimate, EstimateStatus, Plan

#: The statuses whose estimates were approved, so hold a decision.
DECIDED = (EstimateStatus.APPROVED, EstimateStatus.SETTLEMENT, EstimateStatus.CLOSED)


def test_demo_has_every_stage_and_work_for_every_role(plan: Plan) -> None:
    call_command("load_norms")
    call_command("seed_demo")
    assert set(Estimate.objects.values_list("status", flat=True)) == set(EstimateStatus.values)
    users = {u.username: u for u in get_user_model().objects.all()}
    for acting in ("hoi.silolau", "hoi.namxe", "hoi.huyen", "tckh", "pho.chutich", "ketoan"):
        assert estimate_inbox_for_user(users[acting]).exists(), acting
    for reader in ("ubnd.silolau", "quansat", "kiemtoan"):
        assert estimate_list_for_user(users[reader]).exists(), reader
    assert not estimate_list_for_user(users["admin"]).exists()
    assert audit_verify() is None
    decided = Estimate.objects.filter(status__in=DECIDED)
    assert decided.exists()
    assert set(Decision.objects.values_list("estimate", flat=True)) == set(
        decided.values_list("pk", flat=True)
    )
    call_command("seed_demo")  # a second run adds nothing
    assert Estimate.objects.count() == len(EstimateStatus.values)
