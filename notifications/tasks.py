"""Celery tasks: each takes ids, loads, calls a service, and is safe to run twice.

Every task has a hard and a soft time limit below the broker's visibility timeout, is
acknowledged late, and never carries a long ETA or countdown: what must happen later is a
database row that a periodic task finds.
"""

from __future__ import annotations

from celery import shared_task

from . import services

_RETRY_POLICY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.5}


def publish_event(event_id: int) -> None:
    """Put one outbox event on the broker for a worker to deliver."""
    event_deliver.apply_async(args=(event_id,), retry=True, retry_policy=_RETRY_POLICY)


@shared_task(name="notifications.relay_outbox", acks_late=True, time_limit=60, soft_time_limit=50)
def relay_outbox() -> int:
    """Publish pending outbox events, 100 at a time, at most 20 batches a run: beat runs it
    every few seconds, each worker's listener whenever a commit wakes it
    (``notifications.relay``); in eager mode each commit relays at once
    (``services.relay_now``)."""
    total = 0
    for _ in range(20):
        sent = services.outbox_relay(publish=publish_event)
        total += sent
        if sent < 100:
            break
    return total


@shared_task(
    name="notifications.event_deliver", acks_late=True, time_limit=120, soft_time_limit=100
)
def event_deliver(event_id: int) -> None:
    """Deliver one outbox event to its recipients."""
    services.event_handle(event_id=event_id)


@shared_task(
    name="notifications.reminders_run", acks_late=True, time_limit=300, soft_time_limit=280
)
def reminders_run() -> int:
    """Create due reminders and escalations (run by beat)."""
    return services.reminders_run()


@shared_task(name="notifications.digests_run", acks_late=True, time_limit=600, soft_time_limit=580)
def digests_run() -> int:
    """Create today's digests (run by beat once a day)."""
    return services.digests_run()
