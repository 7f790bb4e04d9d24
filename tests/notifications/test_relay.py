"""The workers' listening relay (``notifications.relay``): the commit of a transition wakes
it through PostgreSQL's NOTIFY, so events reach the broker without the committing process
publishing them and without waiting for the beat. Its interval here is an hour: only the
commit's notification can wake it within the tests' waits."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.db import connection
from django.test import override_settings

from approvals import services as approvals
from estimates.models import Estimate
from notifications.models import EventKind, OutboxEvent
from notifications.relay import OutboxListener, OutboxListenerStep
from tests.notifications.helpers import People, event_of
from tests.notifications.infra import wait_for

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def listener() -> Iterator[OutboxListener]:
    thread = OutboxListener(interval=3600)
    yield thread
    thread.stop()
    assert not thread.is_alive()


def submitted(estimate: Estimate, people: People) -> OutboxEvent:
    approvals.estimate_submit(actor=people.drafter, estimate_id=estimate.pk)
    return event_of(estimate, EventKind.SUBMITTED)


def test_the_commit_wakes_the_listener_which_publishes_the_event_once(
    estimate: Estimate, people: People, with_broker: list[int], listener: OutboxListener
) -> None:
    listener.start()
    assert listener.listening.wait(10)
    event = submitted(estimate, people)
    wait_for(lambda: event.pk in with_broker, timeout=10, what="the listener to publish")
    # Marked published when the relay's transaction commits, just after the broker took it.
    wait_for(
        lambda: (
            OutboxEvent.objects.filter(pk=event.pk, publish_count=1)
            .exclude(published_at=None)
            .exists()
        ),
        timeout=10,
        what="the event to be marked published",
    )
    approvals.estimate_forward(actor=people.reviewer, estimate_id=estimate.pk)
    forwarded = event_of(estimate, EventKind.FORWARDED)
    wait_for(lambda: forwarded.pk in with_broker, timeout=10, what="the second event")
    assert with_broker == [event.pk, forwarded.pk]


def test_what_was_written_while_nobody_listened_is_published_when_it_starts(
    estimate: Estimate, people: People, with_broker: list[int], listener: OutboxListener
) -> None:
    event = submitted(estimate, people)
    assert with_broker == []  # the commit itself publishes nothing
    listener.start()
    wait_for(lambda: event.pk in with_broker, timeout=10, what="the listener to publish")
    assert with_broker == [event.pk]


def test_a_listener_that_loses_its_connection_listens_again(
    estimate: Estimate, people: People, with_broker: list[int], listener: OutboxListener
) -> None:
    listener.start()
    assert listener.listening.wait(10)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(%s)", [listener.backend_pid])
        assert cursor.fetchall() == [(True,)]
    wait_for(lambda: not listener.listening.is_set(), timeout=10, what="the loss to be seen")
    event = submitted(estimate, people)
    wait_for(lambda: event.pk in with_broker, timeout=15, what="the listener to come back")
    assert listener.is_alive()


def test_a_worker_listens_unless_told_not_to() -> None:
    step = OutboxListenerStep.__new__(OutboxListenerStep)
    assert step.include_if(None)
    with override_settings(NOTIFICATIONS_LISTEN=False):
        assert not step.include_if(None)
