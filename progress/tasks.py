"""Celery tasks of the progress reports: they load and call a service, safe to run twice."""

from __future__ import annotations

from celery import shared_task

from . import services


@shared_task(
    name="progress.remind_missing_reports", acks_late=True, time_limit=300, soft_time_limit=280
)
def remind_missing_reports() -> int:
    """Daily: remind the communes whose report for a period is due and missing (once a
    day per commune and period, whoever else reminded them)."""
    return services.reminders_due_run()
