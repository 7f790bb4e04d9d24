"""The estimate's route through the offices. The flow routes and assigns only: every rule
(state, rights, segregation of duties, money) is in ``approvals.services``, which sets the
estimate's status and then completes the stage's task here, in the same transaction and
after locking the estimate (so the lock order is always estimate, then process)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from viewflow import this
from viewflow.workflow import flow

from estimates.models import Estimate, EstimateStatus
from organization.permissions import VIEW, unit_ids_with

from .locking import estimate_row_lock, held_estimate
from .models import EstimateProcess
from .views import TaskRedirectView


def _status(activation: Any) -> str:
    """The estimate's status after the service saved it: the one the service holds, or
    read fresh."""
    held = held_estimate(activation.process)
    if held is not None:
        return held.status
    status: str = (
        Estimate.objects.filter(pk=activation.process.artifact_object_id)
        .values_list("status", flat=True)
        .get()
    )
    return status


def _is(*statuses: str) -> Any:
    return lambda activation: _status(activation) in statuses


def _unit(process: Any) -> Any:
    held = held_estimate(process)
    return held.unit if held is not None else process.artifact.unit


class EstimateFlow(flow.Flow):
    """Estimate approval"""

    process_class = EstimateProcess
    lock_impl = estimate_row_lock

    start = flow.StartHandle(this.start_process).Next(this.draft)

    draft = (
        flow.View(TaskRedirectView.as_view())
        .Annotation(title=_("Draft and submit"))
        .Permission("organization.draft_unit_estimates", obj=_unit)
        .Next(this.after_draft)
    )
    after_draft = (
        flow.Switch().Case(this.appraise, _is(EstimateStatus.APPRAISAL)).Default(this.review)
    )
    review = (
        flow.View(TaskRedirectView.as_view())
        .Annotation(title=_("Review"))
        .Permission("organization.review_unit_estimates", obj=_unit)
        .Next(this.after_review)
    )
    after_review = (
        flow.Switch().Case(this.appraise, _is(EstimateStatus.APPRAISAL)).Default(this.draft)
    )
    appraise = (
        flow.View(TaskRedirectView.as_view())
        .Annotation(title=_("Appraise"))
        .Permission("organization.appraise_unit_estimates", obj=_unit)
        .Next(this.after_appraise)
    )
    after_appraise = (
        flow.Switch()
        .Case(this.approve, _is(EstimateStatus.APPROVAL))
        .Case(this.review, _is(EstimateStatus.REVIEW))
        .Default(this.draft)
    )
    approve = (
        flow.View(TaskRedirectView.as_view())
        .Annotation(title=_("Approve"))
        .Permission("organization.approve_unit_estimates", obj=_unit)
        .Next(this.after_approve)
    )
    after_approve = (
        flow.Switch().Case(this.execute, _is(EstimateStatus.APPROVED)).Default(this.appraise)
    )
    # Approved: the money is paid out (disbursements are recorded meanwhile) and the
    # spending unit carries out the activity, then submits its settlement.
    execute = (
        flow.View(TaskRedirectView.as_view())
        .Annotation(title=_("Carry out and settle"))
        .Permission("organization.draft_unit_estimates", obj=_unit)
        .Next(this.verify)
    )
    verify = (
        flow.View(TaskRedirectView.as_view())
        .Annotation(title=_("Verify the settlement"))
        .Permission("organization.verify_unit_settlements", obj=_unit)
        .Next(this.after_verify)
    )
    after_verify = flow.Switch().Case(this.end, _is(EstimateStatus.CLOSED)).Default(this.execute)
    end = flow.End()

    def start_process(self, activation: Any, estimate: Estimate) -> Any:
        activation.process.artifact = estimate
        return activation.process

    def has_view_permission(self, user: Any, obj: Any = None) -> bool:
        """The flow UI: role holders only; a process only if its estimate is visible."""
        if not super().has_view_permission(user, obj):
            return False
        if obj is None:
            return True
        return Estimate.objects.filter(
            pk=obj.artifact_object_id, unit_id__in=unit_ids_with(user, VIEW)
        ).exists()
