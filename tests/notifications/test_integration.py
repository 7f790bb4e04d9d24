"""With a real Celery worker process (and its beat) and real Redis: every notice is delivered
exactly once — through duplicates, a worker killed with SIGKILL, and Redis being down."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.db import connection
from django.test import Client

from approvals import services as approvals
from estimates.models import Estimate, EstimateStatus
from notifications.models import Channel, Delivery, DeliveryStatus, EventKind, OutboxEvent
from notifications.tasks import event_deliver
from organization.models import Role
from tests.factories import member_make
from tests.notifications.helpers import People, event_of
from tests.notifications.infra import (
    REDIS_URL,
    RedisServer,
    Worker,
    free_port,
    publishing_to,
    wait_for,
)

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def worker(tmp_path: Path) -> Iterator[Worker]:
    w = Worker(database=connection.settings_dict["NAME"], broker=REDIS_URL, workdir=tmp_path)
    w.start()
    try:
        with publishing_to(REDIS_URL):
            yield w
    finally:
        w.stop()


def processed(event: OutboxEvent, timeout: float = 30) -> None:
    wait_for(
        lambda: OutboxEvent.objects.filter(pk=event.pk, processed_at__isnull=False).exists(),
        timeout=timeout,
        what=f"event {event.pk} to be delivered",
    )


def emails_by_address(worker: Worker, event: OutboxEvent) -> Counter[str]:
    """The e-mails the worker sent for ``event``, by address (its beat also sends the daily
    digest when a run crosses the digest's hour: those are not this event's)."""
    tag = f".event-{event.pk}@"
    return Counter(str(m["To"]) for m in worker.emails() if tag in str(m["Message-ID"]))


def submit(estimate: Estimate, people: People) -> OutboxEvent:
    """The drafter submits through the service (which commits: these tests are
    transactional); its commit wakes the worker's listening relay."""
    approvals.estimate_submit(actor=people.drafter, estimate_id=estimate.pk)
    return event_of(estimate, EventKind.SUBMITTED)


def assert_delivered_once(event: OutboxEvent, worker: Worker, usernames: set[str]) -> None:
    rows = list(
        Delivery.objects.filter(event=event).values_list("recipient__username", "channel", "status")
    )
    assert sorted(rows) == sorted(
        (name, channel, DeliveryStatus.SENT)
        for name in usernames
        for channel in (Channel.EMAIL, Channel.IN_APP)
    )
    assert emails_by_address(worker, event) == Counter(
        {f"{name}@example.org": 1 for name in usernames}
    )


def test_a_transition_delivers_once_per_recipient_and_channel(
    worker: Worker, estimate: Estimate, people: People
) -> None:
    event = submit(estimate, people)
    processed(event)
    time.sleep(2)  # the relay runs every second: give it the chance to send something twice
    assert_delivered_once(event, worker, people.names("reviewer", "reviewer2"))
    event.refresh_from_db()
    assert event.publish_count == 1


def test_the_workers_listener_delivers_without_waiting_for_the_beat(
    tmp_path: Path, estimate: Estimate, people: People
) -> None:
    """With the beat's relay an hour apart, only the worker's listener, woken by the
    commit, can have published the event."""
    hourly = Worker(
        database=connection.settings_dict["NAME"],
        broker=REDIS_URL,
        workdir=tmp_path,
        env={"NOTIFICATIONS_RELAY_INTERVAL": "3600"},
    )
    hourly.start()
    try:
        with publishing_to(REDIS_URL):
            event = submit(estimate, people)
        processed(event, timeout=20)
        wait_for(
            lambda: len(emails_by_address(hourly, event)) == 2,
            timeout=20,
            what="both e-mails to be written",
        )
        assert_delivered_once(event, hourly, people.names("reviewer", "reviewer2"))
    finally:
        hourly.stop()


def test_a_message_delivered_twice_delivers_once(
    worker: Worker, estimate: Estimate, people: People
) -> None:
    event = submit(estimate, people)
    for _ in range(2):  # copies racing the relay's own message on two pool processes
        event_deliver.apply_async(args=(event.pk,))
    processed(event)
    wait_for(
        lambda: OutboxEvent.objects.get(pk=event.pk).handled_count >= 3,
        timeout=20,
        what="every copy to be handled",
    )
    # And again after it was finished, as if the broker redelivered an old message.
    OutboxEvent.objects.filter(pk=event.pk).update(processed_at=None)
    for _ in range(2):
        event_deliver.apply_async(args=(event.pk,))
    wait_for(
        lambda: OutboxEvent.objects.get(pk=event.pk).handled_count >= 5,
        timeout=20,
        what="the late copies to be handled",
    )
    assert_delivered_once(event, worker, people.names("reviewer", "reviewer2"))


def test_a_worker_killed_in_the_middle_of_a_delivery_delivers_once_after_restart(
    worker: Worker, estimate: Estimate, people: People
) -> None:
    member_make("slow", "phong-tho.hlhpn", Role.DISTRICT_WU)  # the e-mail backend stalls on it
    event = submit(estimate, people)
    wait_for(
        lambda: (worker.mailbox / "sending-slow@example.org").exists(),
        timeout=20,
        what="the worker to be sending the e-mail",
    )
    worker.kill()  # SIGKILL to the worker, its pool and its beat
    assert "slow@example.org" not in emails_by_address(worker, event)
    pending = Delivery.objects.get(event=event, recipient__username="slow", channel=Channel.EMAIL)
    assert pending.status == DeliveryStatus.PENDING  # the killed transaction rolled back
    worker.start()
    processed(event, timeout=40)
    assert_delivered_once(event, worker, people.names("reviewer", "reviewer2") | {"slow"})


def test_redis_down_during_a_transition(
    tmp_path: Path, estimate: Estimate, people: People, client: Client
) -> None:
    redis = RedisServer(free_port())
    redis.start()
    worker = Worker(database=connection.settings_dict["NAME"], broker=redis.url, workdir=tmp_path)
    worker.start()
    try:
        with publishing_to(redis.url):
            redis.stop()
            client.force_login(people.drafter)
            started = time.monotonic()
            response = client.post(f"/estimates/{estimate.pk}/submit/")
            # the user sees success (back to the estimate), not a 500
            assert response.status_code == 302
            assert response["Location"] == f"/estimates/{estimate.pk}/"
            assert time.monotonic() - started < 10
            estimate.refresh_from_db()
            assert estimate.status == EstimateStatus.REVIEW
            event = OutboxEvent.objects.get(estimate=estimate)
            assert event.published_at is None
            time.sleep(1)
            assert not Delivery.objects.filter(event=event).exists()
            redis.start()  # the same port, empty: only the outbox remembers the event
            processed(event, timeout=60)
            assert_delivered_once(event, worker, people.names("reviewer", "reviewer2"))
    finally:
        worker.stop()
        redis.stop()
