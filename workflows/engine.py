"""What the approvals services ask of the flow: start it, complete a stage's task, cancel
it. Always called inside the service's transaction, after the estimate row is locked."""

from __future__ import annotations

from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db.models import QuerySet
from viewflow.fsm import TransitionNotAllowed
from viewflow.workflow import PROCESS, STATUS
from viewflow.workflow.models import Task

from approvals.lifecycle import STATUS_NODES as STATUS_NODE_NAMES
from core.db import CompiledQueries
from estimates.models import Estimate

from .flows import EstimateFlow
from .locking import holding
from .models import EstimateProcess
from .nodes import NoRoute

#: The flow node that waits while an estimate is in each status (the lifecycle table's).
STATUS_NODES = {status: getattr(EstimateFlow, name) for status, name in STATUS_NODE_NAMES.items()}


class StaleTask(Exception):
    """The stage's task was completed by someone else first."""


def process_for(estimate: Estimate) -> EstimateProcess:
    return EstimateProcess.objects.get(
        flow_class=EstimateFlow,
        artifact_content_type=ContentType.objects.get_for_model(Estimate),
        artifact_object_id=estimate.pk,
    )


def flow_start(estimate: Estimate) -> EstimateProcess:
    with holding(estimate):
        process: EstimateProcess = EstimateFlow.start.run(estimate=estimate)
    return process


#: The waiting task's read, compiled once per connection and status (``core.db``).
_TASKS = CompiledQueries()


def flow_complete(estimate: Estimate, from_status: str, user: Any) -> None:
    """Complete the task that waited while the estimate was in ``from_status``; the
    flow's gateways then route on the estimate's new status. The caller holds the
    estimate's row lock (``workflows.locking``): the task is read once, with its process,
    and completed by the actor, who becomes its owner."""
    node = STATUS_NODES[from_status]

    def build(estimate_id: int, content_type_id: int) -> QuerySet[Task]:
        return Task.objects.select_related("process").filter(
            process__flow_class=EstimateFlow,
            process__artifact_content_type=content_type_id,
            process__artifact_object_id=estimate_id,
            flow_task=node,
            status__in=[STATUS.NEW, STATUS.ASSIGNED],
        )[:1]

    artifact_type = ContentType.objects.get_for_model(Estimate).pk
    found = _TASKS.fetch(("waiting", from_status), build, [estimate.pk, artifact_type])
    task = found[0] if found else None
    if task is None:
        raise StaleTask(from_status)
    try:
        with holding(estimate), EstimateFlow.lock(task.process_id):
            activation = task.flow_task.activation_class(task)
            # The service has checked the actor's right; the task is theirs.
            task.owner = user
            task.status = STATUS.ASSIGNED
            activation.start(None)
            activation.execute()
    except (TransitionNotAllowed, NoRoute) as exc:
        raise StaleTask(from_status) from exc


def flow_cancel(estimate: Estimate) -> None:
    process = process_for(estimate)
    if process.status == PROCESS.NEW:
        with holding(estimate):
            EstimateFlow.instance.cancel(process)


def active_task(estimate: Estimate) -> Any:
    return (
        process_for(estimate)
        .task_set.filter(status__in=[STATUS.NEW, STATUS.ASSIGNED], flow_task_type="HUMAN")
        .first()
    )


def task_release(estimate: Estimate) -> bool:
    """Give back the waiting task someone took on ``estimate`` (viewflow's own unassign),
    e.g. when a reorganisation moved the estimate to a successor unit: its task waits in
    the successor's inbox again. The caller holds the estimate's row lock. Returns whether
    a task was given back."""
    task = (
        Task.objects.select_related("process")
        .filter(
            process__flow_class=EstimateFlow,
            process__artifact_content_type=ContentType.objects.get_for_model(Estimate),
            process__artifact_object_id=estimate.pk,
            status=STATUS.ASSIGNED,
        )
        .first()
    )
    if task is None:
        return False
    with holding(estimate), EstimateFlow.lock(task.process_id):
        task.flow_task.activation_class(task).unassign()
    return True
