"""Celery tasks of the reports: each takes an id, loads, calls a function of the app, and
is safe to run twice."""

from __future__ import annotations

from celery import shared_task

from .exports import export_run


@shared_task(name="reports.export_build", acks_late=True, time_limit=600, soft_time_limit=580)
def export_build(export_id: int) -> None:
    """Produce the workbook of a long export (``reports.exports.export_run``)."""
    export_run(export_id)
