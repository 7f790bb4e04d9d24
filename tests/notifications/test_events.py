"""Events, recipients and deliveries, in-process (Celery eager, e-mail in memory)."""

from __future__ import annotations

import smtplib
import time

import pytest
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend
from django.db import transaction
from django.test import override_settings

from estimates.models import Estimate, EstimateStatus
from notifications import services
from notifications.models import (
    Channel,
    ChannelPreference,
    Delivery,
    DeliveryStatus,
    EventKind,
    Notification,
    OutboxEvent,
    UserPreference,
)
from tests.notifications.helpers import People, transition

pytestmark = pytest.mark.django_db


def recipients(event: OutboxEvent) -> set[str]:
    return set(
        Delivery.objects.filter(event=event, channel=Channel.IN_APP).values_list(
            "recipient__username", flat=True
        )
    )


def test_submit_tells_the_reviewers_once_per_channel(
    estimate: Estimate, people: People, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        event = transition(
            estimate,
            status=EstimateStatus.REVIEW,
            kind=EventKind.SUBMITTED,
            actor=people.drafter,
        )
    assert recipients(event) == {"reviewer", "reviewer2"}
    assert Delivery.objects.filter(event=event).count() == 4
    assert set(Delivery.objects.filter(event=event).values_list("status", flat=True)) == {"sent"}
    assert sorted(m.to[0] for m in mail.outbox) == ["reviewer2@example.org", "reviewer@example.org"]
    event.refresh_from_db()
    assert event.processed_at is not None and event.publish_count == 1
    # The bell of a reviewer shows it, with a link to the estimate.
    note = Notification.objects.get(recipient=people.reviewer)
    assert note.url == f"/estimates/{estimate.pk}/"
    assert estimate.number in note.title


def test_handling_an_event_again_delivers_nothing_more(
    estimate: Estimate, people: People, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        event = transition(
            estimate, status=EstimateStatus.REVIEW, kind=EventKind.SUBMITTED, actor=people.drafter
        )
    OutboxEvent.objects.filter(pk=event.pk).update(processed_at=None)
    services.event_handle(event_id=event.pk)
    services.event_handle(event_id=event.pk)
    assert Delivery.objects.filter(event=event).count() == 4
    assert Notification.objects.filter(event=event).count() == 2
    assert len(mail.outbox) == 2


@pytest.mark.parametrize(
    ("status", "kind", "expected"),
    [
        (EstimateStatus.APPRAISAL, EventKind.FORWARDED, {"appraiser"}),
        (EstimateStatus.APPROVAL, EventKind.APPRAISED, {"approver", "approver2"}),
        (EstimateStatus.APPROVED, EventKind.APPROVED, {"accountant", "drafter"}),
        (EstimateStatus.RETURNED, EventKind.RETURNED, {"drafter"}),
        (EstimateStatus.REVIEW, EventKind.RETURNED, {"reviewer", "reviewer2", "drafter"}),
        (EstimateStatus.APPROVED, EventKind.DISBURSED, {"drafter"}),
        (EstimateStatus.SETTLEMENT, EventKind.SETTLEMENT_SUBMITTED, {"appraiser"}),
        (EstimateStatus.APPROVED, EventKind.SETTLEMENT_RETURNED, {"drafter"}),
        (EstimateStatus.CLOSED, EventKind.CLOSED, {"drafter"}),
        (EstimateStatus.WITHDRAWN, EventKind.WITHDRAWN, {"drafter"}),
    ],
)
def test_who_is_told(
    estimate: Estimate,
    people: People,
    django_capture_on_commit_callbacks,
    status: str,
    kind: str,
    expected: set[str],
) -> None:
    # The actor is someone outside the chain so that nobody is left out for being the actor.
    with django_capture_on_commit_callbacks(execute=True):
        event = transition(estimate, status=status, kind=kind, actor=people.observer)
    assert recipients(event) == expected


def test_the_actor_and_superusers_are_not_told(
    estimate: Estimate, people: People, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        event = transition(
            estimate,
            status=EstimateStatus.APPROVAL,
            kind=EventKind.APPRAISED,
            actor=people.approver,
        )
    assert recipients(event) == {"approver2"}
    assert not Delivery.objects.filter(recipient=people.admin).exists()


def test_a_return_tells_the_drafter_the_reason(
    estimate: Estimate, people: People, django_capture_on_commit_callbacks, settings
) -> None:
    settings.SITE_URL = "http://testserver.example"
    with django_capture_on_commit_callbacks(execute=True):
        transition(
            estimate,
            status=EstimateStatus.RETURNED,
            kind=EventKind.RETURNED,
            actor=people.reviewer,
            comment="Thiếu danh sách người tham gia",
        )
    note = Notification.objects.get(recipient=people.drafter)
    assert "Thiếu danh sách người tham gia" in note.body
    (message,) = mail.outbox
    assert "Thiếu danh sách người tham gia" in message.body
    assert f"http://testserver.example/estimates/{estimate.pk}/" in message.body


def test_nothing_is_written_when_the_transition_rolls_back(
    estimate: Estimate, people: People
) -> None:
    class Boom(Exception):
        pass

    with pytest.raises(Boom), transaction.atomic():
        services.event_emit(kind=EventKind.SUBMITTED, estimate=estimate, actor=people.drafter)
        raise Boom
    assert not OutboxEvent.objects.exists()


def test_an_unknown_kind_is_refused(estimate: Estimate, people: People) -> None:
    with pytest.raises(ValueError, match="Unknown event kind"):
        services.event_emit(kind="estimate.exploded", estimate=estimate, actor=people.drafter)


def test_email_is_in_the_recipients_language(
    estimate: Estimate, people: People, django_capture_on_commit_callbacks
) -> None:
    UserPreference.objects.create(user=people.reviewer2, language="en")
    with django_capture_on_commit_callbacks(execute=True):
        transition(
            estimate, status=EstimateStatus.REVIEW, kind=EventKind.SUBMITTED, actor=people.drafter
        )
    languages = {m.to[0]: m.extra_headers["Content-Language"] for m in mail.outbox}
    assert languages == {"reviewer@example.org": "vi", "reviewer2@example.org": "en"}
    english = next(m for m in mail.outbox if m.to[0] == "reviewer2@example.org")
    assert "is waiting for you" in english.subject


def test_email_switched_off_for_a_kind_still_lands_in_the_bell(
    estimate: Estimate, people: People, django_capture_on_commit_callbacks
) -> None:
    ChannelPreference.objects.create(
        user=people.reviewer, kind=EventKind.SUBMITTED, channel=Channel.EMAIL, enabled=False
    )
    with django_capture_on_commit_callbacks(execute=True):
        event = transition(
            estimate, status=EstimateStatus.REVIEW, kind=EventKind.SUBMITTED, actor=people.drafter
        )
    assert [m.to[0] for m in mail.outbox] == ["reviewer2@example.org"]
    assert Notification.objects.filter(event=event, recipient=people.reviewer).exists()
    assert not Delivery.objects.filter(
        event=event, recipient=people.reviewer, channel=Channel.EMAIL
    ).exists()


def test_a_recipient_without_email_gets_the_bell_and_a_recorded_failure(
    estimate: Estimate, people: People, django_capture_on_commit_callbacks
) -> None:
    people.reviewer2.email = ""
    people.reviewer2.save()
    with django_capture_on_commit_callbacks(execute=True):
        event = transition(
            estimate, status=EstimateStatus.REVIEW, kind=EventKind.SUBMITTED, actor=people.drafter
        )
    failed = Delivery.objects.get(event=event, recipient=people.reviewer2, channel=Channel.EMAIL)
    assert failed.status == DeliveryStatus.FAILED
    assert "no e-mail address" in failed.error
    assert Notification.objects.filter(event=event, recipient=people.reviewer2).exists()
    event.refresh_from_db()
    assert event.processed_at is not None  # not retried


class BouncingBackend(EmailBackend):
    """Refuses addresses containing "bounce"; fails transiently for "flaky"."""

    def send_messages(self, messages):  # type: ignore[no-untyped-def]
        for message in messages:
            if "bounce" in message.to[0]:
                raise smtplib.SMTPRecipientsRefused({message.to[0]: (550, b"No such user")})
            if "flaky" in message.to[0]:
                raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")
        return super().send_messages(messages)


@override_settings(EMAIL_BACKEND="tests.notifications.test_events.BouncingBackend")
def test_a_bounced_address_fails_once_and_is_not_retried(
    estimate: Estimate, people: People, django_capture_on_commit_callbacks
) -> None:
    people.reviewer2.email = "bounce@example.org"
    people.reviewer2.save()
    with django_capture_on_commit_callbacks(execute=True):
        event = transition(
            estimate, status=EstimateStatus.REVIEW, kind=EventKind.SUBMITTED, actor=people.drafter
        )
    failed = Delivery.objects.get(event=event, recipient=people.reviewer2, channel=Channel.EMAIL)
    assert (failed.status, failed.attempts) == (DeliveryStatus.FAILED, 1)
    assert "SMTPRecipientsRefused" in failed.error
    services.event_handle(event_id=event.pk)
    failed.refresh_from_db()
    assert failed.attempts == 1
    assert Notification.objects.filter(event=event, recipient=people.reviewer2).exists()


@override_settings(
    EMAIL_BACKEND="tests.notifications.test_events.BouncingBackend",
    NOTIFICATIONS_MAX_ATTEMPTS=3,
    NOTIFICATIONS_REPUBLISH_AFTER=0,
)
def test_a_transient_failure_is_retried_a_bounded_number_of_times(
    estimate: Estimate, people: People, django_capture_on_commit_callbacks
) -> None:
    people.reviewer2.email = "flaky@example.org"
    people.reviewer2.save()
    with django_capture_on_commit_callbacks(execute=True):
        event = transition(
            estimate, status=EstimateStatus.REVIEW, kind=EventKind.SUBMITTED, actor=people.drafter
        )
    delivery = Delivery.objects.get(event=event, recipient=people.reviewer2, channel="email")
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.PENDING, 1)
    from notifications.tasks import relay_outbox

    for _ in range(5):  # what the beat's relay does: publish again what is not finished
        relay_outbox()
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.FAILED, 3)
    event.refresh_from_db()
    assert event.processed_at is not None
    assert event.publish_count == 3
    assert len(mail.outbox) == 1  # the other reviewer got theirs once


def test_a_stuck_event_stops_being_published(estimate: Estimate, people: People, settings) -> None:
    settings.NOTIFICATIONS_REPUBLISH_AFTER = 0
    settings.NOTIFICATIONS_MAX_PUBLISH = 2
    event = services.event_emit(kind=EventKind.SUBMITTED, estimate=estimate, actor=people.drafter)
    published: list[int] = []
    for _ in range(4):
        services.outbox_relay(publish=published.append)
    assert published == [event.pk, event.pk]


@pytest.mark.django_db(transaction=True)
def test_two_relays_never_publish_the_same_row(
    estimate: Estimate, people: People, monkeypatch: pytest.MonkeyPatch
) -> None:
    import threading

    from django.db import connection

    monkeypatch.setattr(services, "relay_now", lambda event_ids: None)  # leave them pending

    events = [
        services.event_emit(kind=EventKind.SUBMITTED, estimate=estimate, actor=people.drafter)
        for _ in range(3)
    ]
    first_is_publishing = threading.Event()
    release = threading.Event()
    published: list[tuple[str, int]] = []

    def slow_publish(pk: int) -> None:
        published.append(("first", pk))
        first_is_publishing.set()
        release.wait(timeout=10)

    def first_relay() -> None:
        try:
            services.outbox_relay(publish=slow_publish, batch=2)
        finally:
            connection.close()

    thread = threading.Thread(target=first_relay)
    thread.start()
    assert first_is_publishing.wait(timeout=10)
    # The first relay holds its two rows; the second skips them (without waiting) and
    # takes only what is left.
    started = time.monotonic()
    services.outbox_relay(publish=lambda pk: published.append(("second", pk)))
    assert time.monotonic() - started < 5
    release.set()
    thread.join(timeout=10)
    assert sorted(published) == [
        ("first", events[0].pk),
        ("first", events[1].pk),
        ("second", events[2].pk),
    ]
    assert list(OutboxEvent.objects.order_by("pk").values_list("publish_count", flat=True)) == [
        1,
        1,
        1,
    ]


def test_an_administrator_can_retry_failed_emails_once_fixed(
    estimate: Estimate, people: People, django_capture_on_commit_callbacks
) -> None:
    people.reviewer2.email = ""
    people.reviewer2.save()
    with django_capture_on_commit_callbacks(execute=True):
        event = transition(
            estimate, status=EstimateStatus.REVIEW, kind=EventKind.SUBMITTED, actor=people.drafter
        )
    failed = Delivery.objects.get(event=event, recipient=people.reviewer2, channel=Channel.EMAIL)
    assert failed.status == DeliveryStatus.FAILED
    people.reviewer2.email = "reviewer2@example.org"
    people.reviewer2.save()
    with django_capture_on_commit_callbacks(execute=True):
        assert services.deliveries_retry(delivery_ids=[failed.pk]) == 1
    failed.refresh_from_db()
    assert (failed.status, failed.address) == (DeliveryStatus.SENT, "reviewer2@example.org")
    assert sorted(m.to[0] for m in mail.outbox) == ["reviewer2@example.org", "reviewer@example.org"]
    assert Notification.objects.filter(event=event).count() == 2  # the bell is not repeated


def test_creation_is_recorded_and_nobody_is_told(
    estimate: Estimate, people: People, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        event = services.event_emit(kind=EventKind.CREATED, estimate=estimate, actor=people.drafter)
    event.refresh_from_db()
    assert event.recipients == [] and event.processed_at is not None
    assert not Delivery.objects.exists()
