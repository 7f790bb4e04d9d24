"""Celery tasks of the approvals app: each loads what it needs and calls a function; safe
to run twice."""

from __future__ import annotations

from celery import shared_task

from .audit import audit_anchor as _audit_anchor


@shared_task(name="approvals.audit_anchor", acks_late=True, time_limit=60, soft_time_limit=50)
def audit_anchor() -> int | None:
    """Anchor the audit chain's head outside the database (beat, every
    ``AUDIT_ANCHOR_INTERVAL`` seconds). Running it twice writes the same head twice."""
    anchor = _audit_anchor()
    return anchor.seq if anchor is not None else None
