"""Periodic work of the estimates app."""

from __future__ import annotations

from celery import shared_task

from .tally import tally_compact


@shared_task(name="estimates.tally_compact", ignore_result=True)
def tally_compact_run() -> int:
    """Fold the estimates' tally (beat, every minute): the list's totals stay one row per
    unit and status to sum, however many transitions happened."""
    return tally_compact()
