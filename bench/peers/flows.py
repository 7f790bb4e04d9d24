"""The bare viewflow flow the chain benchmark compares the product with: the same stages
as the estimate's flow (a start, six human tasks, an end), nothing else. viewflow's own
``Process`` and ``Task`` tables, its ``select_for_update`` lock on the process row (the
lock viewflow recommends on PostgreSQL). Lives in ``bench/``: never in the product's apps
or migrations."""

from __future__ import annotations

from typing import Any

from viewflow import this
from viewflow.workflow import flow, lock


def _task_page(request: Any, **kwargs: Any) -> None:  # pragma: no cover - never served
    """The task's page (the benchmark completes tasks without one)."""


class BareFlow(flow.Flow):
    """Bare chain"""

    lock_impl = lock.select_for_update_lock

    start = flow.StartHandle().Next(this.draft)
    draft = flow.View(_task_page).Next(this.review)
    review = flow.View(_task_page).Next(this.appraise)
    appraise = flow.View(_task_page).Next(this.approve)
    approve = flow.View(_task_page).Next(this.execute)
    execute = flow.View(_task_page).Next(this.verify)
    verify = flow.View(_task_page).Next(this.end)
    end = flow.End()
