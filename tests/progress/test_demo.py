"""The demo shows reports at every stage, a consolidated district report submitted
upward, and monitoring notes open, answered and closed; a second seed adds nothing."""

from django.core.management import call_command

from approvals.audit import audit_verify
from monitoring.models import MonitoringNote
from progress.models import ProgressReport


def test_demo_has_reports_at_every_stage_and_a_district_report(plan) -> None:
    call_command("load_norms")
    call_command("seed_demo")
    communes = ProgressReport.objects.filter(level="commune")
    assert set(communes.values_list("status", flat=True)) == {
        "draft",
        "submitted",
        "returned",
        "accepted",
    }
    assert communes.filter(version=2, previous__isnull=False).exists()
    upward = ProgressReport.objects.get(level="district", status="submitted")
    totals = upward.snapshot["totals"]
    assert len(upward.snapshot["communes_accepted"]) == 2
    # The demo approves and pays today, after plan 117's period: its reports of 2024's
    # quarters read no payments from the ledger, and say so (the same figure both ways).
    assert totals["spent_reported"] == totals["paid_communes"]
    assert set(MonitoringNote.objects.values_list("status", flat=True)) == {
        "open",
        "answered",
        "closed",
    }
    assert audit_verify() is None
    count = ProgressReport.objects.count(), MonitoringNote.objects.count()
    call_command("seed_demo")
    assert (ProgressReport.objects.count(), MonitoringNote.objects.count()) == count
