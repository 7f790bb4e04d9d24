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


def _chose(choice: str) -> Any:
    """A gateway's condition: the choice the last task's person made (kept on the
    process, as a viewflow task form saves it)."""
    return lambda activation: activation.process.data.get("choice") == choice


class RoutedFlow(flow.Flow):
    """Bare chain with the product's routes: where a stage may go two (or three) ways (a
    commune or a district estimate after drafting; forward or return after review, approve
    or return after appraisal and approval, close or return after verification), a
    gateway reads the choice the person made, kept on the process."""

    lock_impl = lock.select_for_update_lock

    start = flow.StartHandle().Next(this.draft)
    draft = flow.View(_task_page).Next(this.after_draft)
    after_draft = flow.If(_chose("district")).Then(this.appraise).Else(this.review)
    review = flow.View(_task_page).Next(this.after_review)
    after_review = flow.If(_chose("return")).Then(this.draft).Else(this.appraise)
    appraise = flow.View(_task_page).Next(this.after_appraise)
    after_appraise = (
        flow.Switch()
        .Case(this.draft, _chose("return"))
        .Case(this.review, _chose("return-review"))
        .Default(this.approve)
    )
    approve = flow.View(_task_page).Next(this.after_approve)
    after_approve = flow.If(_chose("return")).Then(this.appraise).Else(this.execute)
    execute = flow.View(_task_page).Next(this.verify)
    verify = flow.View(_task_page).Next(this.after_verify)
    after_verify = flow.If(_chose("return")).Then(this.execute).Else(this.end)
    end = flow.End()
