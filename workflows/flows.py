"""The estimate's route through the offices. The flow routes and assigns only: every rule
(state, rights, segregation of duties, money) is in ``approvals.services``, which sets the
estimate's status and then completes the stage's task here, in the same transaction and
after locking the estimate (so the lock order is always estimate, then process)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.utils.translation import gettext_lazy as _
from viewflow import this
from viewflow.workflow import flow

from approvals.lifecycle import STATUS_NODES, TRANSITIONS
from estimates.models import Estimate
from organization.permissions import (
    APPRAISE,
    APPROVE,
    DRAFT,
    REVIEW,
    VERIFY,
    VIEW,
    unit_ids_with,
)

from .locking import estimate_row_lock, held_estimate
from .models import EstimateProcess
from .nodes import Close, RoutedView
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


def _unit(process: Any) -> Any:
    held = held_estimate(process)
    return held.unit if held is not None else process.artifact.unit


def _routes(node: str) -> dict[str, Any]:
    """From the lifecycle table: for each status a task of ``node`` may end in, the next
    task (``end`` once nobody acts any more)."""
    routes: dict[str, Any] = {}
    for row in TRANSITIONS:
        if row.flow_node == node:
            for status in sorted(row.ends_in):
                routes[status] = getattr(this, STATUS_NODES.get(status, "end"))
    return routes


#: Whether a user may take, hold or open a task on viewflow's pages: the access gate
#: (``approvals.access.flow_task_allowed``), which the approvals app sets when it is ready
#: (the flow sits below it and cannot import it). Until then nobody may.
def _nobody(user: Any, task: Any) -> bool:
    return False


_task_gate: Callable[[Any, Any], bool] = _nobody

#: A page that lists processes read through the visible estimates records on each the
#: users it was read for, so viewflow's per-card view check does not ask again.
VISIBLE_TO = "_visible_to"
#: Where a user object keeps its answer to the flow's view permission (no object), for
#: the processes a page read for it (as Django's backends keep the permissions they read).
FLOW_VIEW = "_flow_view_allowed"


def task_gate_set(gate: Callable[[Any, Any], bool]) -> None:
    """Install the gate that ``EstimateFlow.task_allowed`` asks."""
    global _task_gate
    _task_gate = gate


def _task(node: str, title: Any, permission: str) -> RoutedView:
    return (
        RoutedView(TaskRedirectView.as_view())
        .Annotation(title=title)
        .Permission(f"organization.{permission}", obj=_unit)
        .Routes(_routes(node), by=_status)
    )


class EstimateFlow(flow.Flow):
    """Estimate approval"""

    process_class = EstimateProcess
    #: The flow's name on viewflow's pages (its menu, its board), in the user's language.
    process_title = _("Estimate approval")
    lock_impl = estimate_row_lock

    start = flow.StartHandle(this.start_process).Next(this.draft)
    draft = _task("draft", _("Draft and submit"), DRAFT)
    review = _task("review", _("Review"), REVIEW)
    appraise = _task("appraise", _("Appraise"), APPRAISE)
    approve = _task("approve", _("Approve"), APPROVE)
    # Approved: the money is paid out (disbursements are recorded meanwhile) and the
    # spending unit carries out the activity, then submits its settlement.
    execute = _task("execute", _("Carry out and settle"), DRAFT)
    verify = _task("verify", _("Verify the settlement"), VERIFY)
    end = Close()

    def start_process(self, activation: Any, estimate: Estimate) -> Any:
        activation.process.artifact = estimate
        return activation.process

    def has_manage_permission(self, user: Any, obj: Any = None) -> bool:
        """Nobody manages the flow by hand on viewflow's pages: cancelling, undoing or
        reviving a task and cancelling a process (viewflow offers them to holders of a
        global permission, which a superuser always holds) would move or freeze the
        estimate's flow without its service, its checks or its audit entry. The services
        move the flow; a repair is a service of its own. Calls from code are not
        permission-checked by viewflow, so the services are not affected."""
        return False

    def task_allowed(self, user: Any, task: Any) -> bool:
        """Whether ``user`` may take, hold or open ``task`` on viewflow's pages (the
        access gate: a role that may complete the task now, segregation of duties)."""
        return _task_gate(user, task)

    def has_view_permission(self, user: Any, obj: Any = None) -> bool:
        """The flow UI: role holders only; a process only if its estimate is visible."""
        if obj is not None and getattr(user, "pk", None) in getattr(obj, VISIBLE_TO, ()):
            # Read from the visible estimates by the page that lists it: the role is
            # asked once for the user (the backends, per card, were most of a board's).
            allowed = getattr(user, FLOW_VIEW, None)
            if allowed is None:
                allowed = bool(super().has_view_permission(user, None))
                setattr(user, FLOW_VIEW, allowed)
            return allowed
        if not super().has_view_permission(user, obj):
            return False
        if obj is None:
            return True
        return Estimate.objects.filter(
            pk=obj.artifact_object_id, unit_id__any=unit_ids_with(user, VIEW)
        ).exists()
