"""A human task whose next task is the one of the estimate's new status.

viewflow's way to branch after a task is a gateway node (``flow.Switch``): one more task
row, link row, savepoint and update on every move. Here the estimate's status already says
where it goes (the service saved it before completing the task), so the task itself names
its successors: ``RoutedView(...).Routes({status: node})``. It is an ordinary viewflow
``View`` node with viewflow's extension points filled in (``create_next`` of its
activation, ``_resolve`` and ``_outgoing`` of the node), so the flow chart and the graph
still show every edge; viewflow itself is used unmodified.

What a person may do with such a task on viewflow's own pages (``/workflow/``) is the
flow's ``task_allowed`` (the access gate, the same rules as the services): viewflow's
defaults fall back to global permissions that a superuser always holds. Assigning,
unassigning and opening a task need that gate; cancelling, undoing and reviving a task
are refused to everybody (an estimate's flow moves only through ``approvals.services``).

``Close`` is the flow's end: viewflow's ``End`` with an activation that finishes the
process at once. viewflow's own counts the process's other active tasks in a savepoint
(parallel branches may still run); this flow has one path at a time (no split or join
nodes: tests/approvals/test_lifecycle.py holds that), so reaching the end is the end.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

from django.utils.timezone import now
from viewflow import this
from viewflow.utils import is_owner
from viewflow.workflow import flow
from viewflow.workflow.activation import Activation
from viewflow.workflow.base import Edge
from viewflow.workflow.nodes.end import EndActivation
from viewflow.workflow.nodes.view import ViewActivation
from viewflow.workflow.signals import flow_finished, task_finished, task_started
from viewflow.workflow.status import PROCESS, STATUS


class NoRoute(Exception):
    """The estimate's status has no route from this task (it moved on meanwhile)."""


class RoutedViewActivation(ViewActivation):
    @Activation.status.transition(source=STATUS.DONE)
    def create_next(self) -> Iterator[Activation]:
        node = self.flow_task.route(self)
        yield node._create(self, self.task.token)


class RoutedView(flow.View):
    activation_class = RoutedViewActivation

    def __init__(self, view: Any, **kwargs: Any) -> None:
        super().__init__(view, **kwargs)
        self._routes: dict[str, Any] = {}
        self._route_key: Callable[[Any], str] | None = None

    def Routes(self, routes: Mapping[str, Any], *, by: Callable[[Any], str]) -> RoutedView:
        """The next node for each value of ``by(activation)`` (the estimate's status)."""
        self._routes = dict(routes)
        self._route_key = by
        return self

    def _resolve(self, instance: Any) -> None:
        super()._resolve(instance)
        self._routes = {key: this.resolve(instance, node) for key, node in self._routes.items()}

    def _outgoing(self) -> Iterator[Edge]:
        seen: list[Any] = []
        for node in self._routes.values():
            if node not in seen:
                seen.append(node)
                yield Edge(src=self, dst=node, edge_class="next")

    # What a user may do with a task on viewflow's pages: viewflow's public node checks,
    # each through the flow's gate (``EstimateFlow.task_allowed``); superusers are not
    # exempt.

    def _allowed(self, user: Any, task: Any) -> bool:
        if user is None or not user.is_authenticated or not user.is_active:
            return False
        gate = getattr(self.flow_class.instance, "task_allowed", None)
        return bool(gate is not None and gate(user, task))

    def can_assign(self, user: Any, task: Any) -> bool:
        """Take an unassigned task: whoever the gate lets complete it now."""
        return task.owner_id is None and self._allowed(user, task)

    def can_unassign(self, user: Any, task: Any) -> bool:
        """Give a task back: its owner only, while the gate still lets them act (no
        manager takes a task from a colleague here)."""
        return (
            task.owner_id is not None and is_owner(task.owner, user) and self._allowed(user, task)
        )

    def can_execute(self, user: Any, task: Any) -> bool:
        """Open an assigned task (it sends to the estimate, whose actions call the
        services): its owner, while the gate lets them act."""
        return (
            task.owner_id is not None and is_owner(task.owner, user) and self._allowed(user, task)
        )

    def can_cancel(self, user: Any, task: Any) -> bool:
        return False

    def can_undo(self, user: Any, task: Any) -> bool:
        return False

    def can_revive(self, user: Any, task: Any) -> bool:
        return False

    def route(self, activation: Any) -> Any:
        assert self._route_key is not None  # noqa: S101 - set by Routes()
        key = self._route_key(activation)
        if key not in self._routes:
            raise NoRoute(key)
        return self._routes[key]


class CloseActivation(EndActivation):
    @Activation.status.super()
    def activate(self) -> None:
        """Finish the process (one path at a time: no other task can still be active)."""
        with self.exception_guard():
            self.task.started = now()
            task_started.send(sender=self.flow_class, process=self.process, task=self.task)
            self.process.status = PROCESS.DONE
            self.process.finished = now()
            self.process.save(update_fields=["status", "finished"])
            task_finished.send(sender=self.flow_class, process=self.process, task=self.task)
            flow_finished.send(sender=self.flow_class, process=self.process, task=self.task)


class Close(flow.End):
    """The end of a flow without parallel branches."""

    activation_class = CloseActivation
