"""The flow's lock is the estimate's row.

The approvals services lock the estimate (``select_for_update``) before they touch its
flow, in the same transaction; while they do, the flow needs no lock of its own and no
query to re-read what the service holds: ``holding(estimate, process_pk)`` says so for the
length of the flow call. Any other path into the flow (viewflow's own pages assigning or
unassigning a task) takes the same row lock first, so the lock order is always estimate,
then process, then task.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.db import DatabaseError, transaction

from estimates.models import Estimate

#: The estimate a service has locked, while it moves the estimate's flow.
_held: ContextVar[Estimate | None] = ContextVar("estimate_flow_lock", default=None)


@contextmanager
def holding(estimate: Estimate) -> Iterator[None]:
    """The caller holds ``estimate``'s row lock in the current transaction."""
    token = _held.set(estimate)
    try:
        yield
    finally:
        _held.reset(token)


def held_estimate(process: Any) -> Estimate | None:
    """The locked estimate of ``process``, when a service holds it."""
    held = _held.get()
    if held is not None and str(process.artifact_object_id) == str(held.pk):
        return held
    return None


class EstimateRowLock:
    """viewflow's ``lock_impl``: lock the estimate's row (no query when the service holds
    it already)."""

    @contextmanager
    def __call__(self, flow_class: Any, process_pk: Any) -> Iterator[None]:
        if _held.get() is not None and transaction.get_connection().in_atomic_block:
            yield
            return
        from viewflow.workflow.exceptions import FlowLockFailed

        with transaction.atomic():
            artifact = flow_class.process_class._default_manager.filter(pk=process_pk).values(
                "artifact_object_id"
            )[:1]
            try:
                list(Estimate.objects.select_for_update().filter(pk__in=artifact).values("pk"))
            except DatabaseError as exc:
                raise FlowLockFailed(f"Lock failed for {flow_class}") from exc
            yield


estimate_row_lock = EstimateRowLock()
