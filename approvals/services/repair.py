"""Repairing an estimate's flow by hand: the audited way to cancel, undo or revive one of
viewflow's tasks when the flow and the estimate no longer agree (a task cancelled from
outside, a stray task left active, a task completed while the estimate stayed).

viewflow's own cancel, undo and revive stay refused to everybody on its pages
(``workflows.nodes``, ``EstimateFlow.has_manage_permission``); this service is the one way
to them. It:

1. lets only an active staff member who holds ``workflows.repair_estimateprocess``
   through a group or a direct grant (being a superuser gives nothing here) repair, and the
   page asks the second factor again first (``web.views.repair``);
2. locks the estimate's row (the flow's lock), then re-reads the task under it;
3. allows only a repair that brings the flow back in line with the estimate's status
   (:func:`repairs_possible`): never one that would move the estimate, which only
   ``approvals.services`` do;
4. writes the audit entry ``flow.task_repaired`` (the reason, the task, its status before
   and after) in the same transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import Permission
from django.db.models import Q
from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from viewflow.workflow import PROCESS, STATUS
from viewflow.workflow.models import Task

from core.errors import Conflict, Forbidden, RuleViolation
from core.text import field_limit, text_clean
from core.transactions import unit_of_work
from estimates.models import Estimate
from workflows.engine import STATUS_NODES
from workflows.flows import EstimateFlow
from workflows.locking import holding

from ..audit import audit_record
from ..models import AuditEntry

#: The repairs, with what each does to the task.
REPAIRS = {
    "cancel": gettext_lazy("Cancel a stray task (one the estimate does not wait on)"),
    "undo": gettext_lazy("Undo a task completed while the estimate stayed in its status"),
    "revive": gettext_lazy("Revive the cancelled task the estimate waits on"),
}
REPAIR_CODENAME = "repair_estimateprocess"
ACTIVE = (STATUS.NEW, STATUS.ASSIGNED)


def repair_allowed(user: Any) -> bool:
    """An active staff member granted ``workflows.repair_estimateprocess`` (in a group or
    directly: a superuser's implied permissions do not count)."""
    if not (getattr(user, "is_authenticated", False) and user.is_active and user.is_staff):
        return False
    return Permission.objects.filter(
        Q(user=user) | Q(group__user=user),
        codename=REPAIR_CODENAME,
        content_type__app_label="workflows",
    ).exists()


@dataclass(frozen=True)
class TaskState:
    """A task of an estimate's flow, what the estimate waits on, and the repairs allowed."""

    task: Task
    estimate: Estimate
    expected: Any  # the node the estimate's status waits on, None once nobody acts
    repairs: list[str]


def repairs_possible(estimate: Estimate, task: Task, others_active: list[Task]) -> list[str]:
    """The repairs that bring the flow back in line with the estimate's status:

    - cancel: an active task of another node than the one the estimate waits on, or a
      second active task of that node;
    - undo: a completed task of the node the estimate waits on, when no task is active
      there (viewflow also wants the tasks it led to cancelled first);
    - revive: a cancelled (or failed) task of that node when none is active there, in a
      process still running.
    """
    expected = STATUS_NODES.get(estimate.status)
    waiting_elsewhere = any(t.flow_task == expected for t in others_active)
    repairs = []
    if task.status in ACTIVE and (task.flow_task != expected or waiting_elsewhere):
        repairs.append("cancel")
    if task.flow_task == expected and not waiting_elsewhere:
        if task.status == STATUS.DONE:
            repairs.append("undo")
        if task.status in (STATUS.CANCELED, STATUS.ERROR) and task.process.status == PROCESS.NEW:
            repairs.append("revive")
    return repairs


def _state(task_id: int, *, lock: bool) -> TaskState:
    task = (
        Task.objects.select_related("process")
        .filter(pk=task_id, process__flow_class=EstimateFlow)
        .first()
    )
    if task is None:
        raise Http404(_("No such task."))
    estimates = Estimate.objects.select_related("unit")
    if lock:
        estimates = estimates.select_for_update(of=("self",))
    estimate = estimates.get(pk=task.process.artifact_object_id)
    if lock:  # re-read under the estimate's lock: the flow's lock
        task = Task.objects.select_related("process").get(pk=task.pk)
    others = list(
        Task.objects.filter(process_id=task.process_id, status__in=ACTIVE).exclude(pk=task.pk)
    )
    return TaskState(
        task, estimate, STATUS_NODES.get(estimate.status), repairs_possible(estimate, task, others)
    )


def task_state(actor: Any, task_id: int) -> TaskState:
    """What the repair page shows (no lock): refused to whoever may not repair."""
    if not repair_allowed(actor):
        raise Forbidden(_("Only an administrator granted the repair of tasks may do this."))
    return _state(task_id, lock=False)


def flow_task_repair(*, actor: Any, task_id: int, action: str, reason: str) -> Task:
    """Cancel, undo or revive one task of an estimate's flow, with the reason, audited.
    Returns the task (for a revive, the new task)."""
    if not repair_allowed(actor):
        raise Forbidden(_("Only an administrator granted the repair of tasks may do this."))
    if action not in REPAIRS:
        raise RuleViolation(_("Choose cancel, undo or revive."), field="action")
    reason = text_clean(
        reason,
        field="reason",
        max_length=field_limit(AuditEntry, "comment"),
        multiline=True,
        required=True,
        required_message=_("Give the reason for the repair."),
    )
    with unit_of_work():
        state = _state(task_id, lock=True)
        task, estimate = state.task, state.estimate
        if action not in state.repairs:
            raise Conflict(
                _(
                    "This repair does not fit the task now (task “%(task)s” is %(status)s, "
                    "the estimate is “%(estimate_status)s”)."
                )
                % {
                    "task": task.flow_task.name,
                    "status": task.status,
                    "estimate_status": estimate.get_status_display(),
                }
            )
        before = task.status
        result = task
        with holding(estimate), EstimateFlow.lock(task.process_id):
            activation = task.flow_task.activation_class(task)
            if action == "cancel":
                activation.cancel()
            elif action == "undo":
                activation.undo()
            else:
                result = activation.revive()
        audit_record(
            action="flow.task_repaired",
            actor=actor,
            estimate=estimate,
            from_status=estimate.status,
            to_status=estimate.status,
            comment=reason,
            data={
                "repair": action,
                "task": task.pk,
                "node": task.flow_task.name,
                "task_status": [before, task.status],
                **({"new_task": result.pk} if result is not task else {}),
            },
        )
    return result
