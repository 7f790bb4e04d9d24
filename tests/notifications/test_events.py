"""Events, recipients and deliveries, in-process (Celery eager, e-mail in memory). Every
event comes from the real approval service, done by the person whose role does it."""

from __future__ import annotations

import datetime as dt
import smtplib
import time
from collections.abc import Callable

import pytest
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend
from django.db import transaction
from django.test import override_settings

from approvals import services as approvals
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
from notifications.selectors import unread_count
from organization.models import Membership, Role, Unit
from organization.permissions import access_sync
from tests.factories import member_make
from tests.notifications.helpers import People, event_of

pytestmark = pytest.mark.django_db


def recipients(event: OutboxEvent) -> set[str]:
    return set(
        Delivery.objects.filter(event=event, channel=Channel.IN_APP).values_list(
            "recipient__username", flat=True
        )
    )


def submit(estimate: Estimate, people: People) -> OutboxEvent:
    """The drafter submits the estimate: the reviewers are told."""
    approvals.estimate_submit(actor=people.drafter, estimate_id=estimate.pk)
    estimate.refresh_from_db()
    assert estimate.status == EstimateStatus.REVIEW
    return event_of(estimate, EventKind.SUBMITTED)


def test_submit_tells_the_reviewers_once_per_channel(
    estimate: Estimate, people: People, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        event = submit(estimate, people)
    assert recipients(event) == people.names("reviewer", "reviewer2")
    assert Delivery.objects.filter(event=event).count() == 4
    assert set(Delivery.objects.filter(event=event).values_list("status", flat=True)) == {"sent"}
    assert sorted(m.to[0] for m in mail.outbox) == people.emails("reviewer", "reviewer2")
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
        event = submit(estimate, people)
    OutboxEvent.objects.filter(pk=event.pk).update(processed_at=None)
    services.event_handle(event_id=event.pk)
    services.event_handle(event_id=event.pk)
    assert Delivery.objects.filter(event=event).count() == 4
    assert Notification.objects.filter(event=event).count() == 2
    assert len(mail.outbox) == 2


def disburse(people: People, estimate: Estimate) -> object:
    return approvals.estimate_disburse(
        actor=people.accountant,
        estimate_id=estimate.pk,
        kind="payment",
        paid_on=dt.date(2024, 6, 10),
        amount=1_000_000,
        source="current",
        document_type="payment_order",
        document_number="UNC-1",
        payee="Nhà văn hoá",
    )


def settle(people: People, estimate: Estimate) -> object:
    return approvals.estimate_settle(
        actor=people.drafter,
        estimate_id=estimate.pk,
        lines=[{"line_id": line.pk, "spent": 0} for line in estimate.lines.all()],
    )


def withdraw_as_a_colleague(people: People, estimate: Estimate) -> object:
    """A second officer of the drafting unit withdraws, so the drafter is not the actor."""
    colleague = member_make("hoi.silolau2", "si-lo-lau.hlhpn", Role.COMMUNE_WU_OFFICER)
    return approvals.estimate_withdraw(actor=colleague, estimate_id=estimate.pk, reason="Hoãn")


Act = Callable[[People, Estimate], object]
WHO_IS_TOLD: list[tuple[str, Act, str, str, tuple[str, ...]]] = [
    (
        "review",
        lambda p, e: approvals.estimate_forward(actor=p.reviewer, estimate_id=e.pk),
        EstimateStatus.APPRAISAL,
        EventKind.FORWARDED,
        ("appraiser",),
    ),
    (
        "appraisal",
        lambda p, e: approvals.estimate_appraise(actor=p.appraiser, estimate_id=e.pk),
        EstimateStatus.APPROVAL,
        EventKind.APPRAISED,
        ("approver", "approver2"),
    ),
    (
        "approval",
        lambda p, e: approvals.estimate_approve(actor=p.approver, estimate_id=e.pk),
        EstimateStatus.APPROVED,
        EventKind.APPROVED,
        ("accountant", "drafter"),
    ),
    (
        "review",
        lambda p, e: approvals.estimate_return(actor=p.reviewer, estimate_id=e.pk, reason="Thiếu"),
        EstimateStatus.RETURNED,
        EventKind.RETURNED,
        ("drafter",),
    ),
    (
        "appraisal",
        lambda p, e: approvals.estimate_return(
            actor=p.appraiser, estimate_id=e.pk, reason="Thiếu", to="review"
        ),
        EstimateStatus.REVIEW,
        EventKind.RETURNED,
        ("reviewer", "reviewer2", "drafter"),
    ),
    ("approved", disburse, EstimateStatus.APPROVED, EventKind.DISBURSED, ("drafter",)),
    (
        "approved",
        settle,
        EstimateStatus.SETTLEMENT,
        EventKind.SETTLEMENT_SUBMITTED,
        ("appraiser",),
    ),
    (
        "settlement",
        lambda p, e: approvals.estimate_return_settlement(
            actor=p.appraiser, estimate_id=e.pk, reason="Thiếu chứng từ"
        ),
        EstimateStatus.APPROVED,
        EventKind.SETTLEMENT_RETURNED,
        ("drafter",),
    ),
    (
        "settlement",
        lambda p, e: approvals.estimate_verify_settlement(actor=p.appraiser, estimate_id=e.pk),
        EstimateStatus.CLOSED,
        EventKind.CLOSED,
        ("drafter",),
    ),
    ("draft", withdraw_as_a_colleague, EstimateStatus.WITHDRAWN, EventKind.WITHDRAWN, ("drafter",)),
]


@pytest.mark.parametrize(
    ("before", "act", "status", "kind", "expected"),
    [pytest.param(*case, id=f"{case[3]}-to-{case[2]}") for case in WHO_IS_TOLD],
)
def test_who_is_told(
    lived: Callable[..., Estimate],
    people: People,
    django_capture_on_commit_callbacks,
    before: str,
    act: Act,
    status: str,
    kind: str,
    expected: tuple[str, ...],
) -> None:
    # Each act is done by the person whose role does it; none of them is among those
    # expected to be told, so nobody is left out for being the actor.
    estimate = lived(before)
    with django_capture_on_commit_callbacks(execute=True):
        act(people, estimate)
    estimate.refresh_from_db()
    assert estimate.status == status
    assert recipients(event_of(estimate, kind)) == people.names(*expected)


def test_the_actor_and_superusers_are_not_told(
    lived: Callable[..., Estimate], people: People, django_capture_on_commit_callbacks
) -> None:
    # The appraiser also holds the approver role: appraising tells the approvers, but not
    # the appraiser who is one of them.
    Membership.objects.create(
        user=people.appraiser, unit=Unit.objects.get(code="phong-tho.ubnd"), role=Role.APPROVER
    )
    access_sync()
    estimate = lived("appraisal")
    with django_capture_on_commit_callbacks(execute=True):
        approvals.estimate_appraise(actor=people.appraiser, estimate_id=estimate.pk)
    event = event_of(estimate, EventKind.APPRAISED)
    assert recipients(event) == people.names("approver", "approver2")
    assert not Delivery.objects.filter(recipient=people.admin).exists()


def test_a_return_tells_the_drafter_the_reason(
    lived: Callable[..., Estimate], people: People, django_capture_on_commit_callbacks, settings
) -> None:
    settings.SITE_URL = "http://testserver.example"
    estimate = lived("review")
    with django_capture_on_commit_callbacks(execute=True):
        approvals.estimate_return(
            actor=people.reviewer, estimate_id=estimate.pk, reason="Thiếu danh sách người tham gia"
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
        submit(estimate, people)
    languages = {m.to[0]: m.extra_headers["Content-Language"] for m in mail.outbox}
    assert languages == {people.reviewer.email: "vi", people.reviewer2.email: "en"}
    english = next(m for m in mail.outbox if m.to[0] == "reviewer2@example.org")
    assert "is waiting for you" in english.subject


def test_email_switched_off_for_a_kind_still_lands_in_the_bell(
    estimate: Estimate, people: People, django_capture_on_commit_callbacks
) -> None:
    ChannelPreference.objects.create(
        user=people.reviewer, kind=EventKind.SUBMITTED, channel=Channel.EMAIL, enabled=False
    )
    with django_capture_on_commit_callbacks(execute=True):
        event = submit(estimate, people)
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
        event = submit(estimate, people)
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
        event = submit(estimate, people)
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
        event = submit(estimate, people)
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
        event = submit(estimate, people)
    failed = Delivery.objects.get(event=event, recipient=people.reviewer2, channel=Channel.EMAIL)
    assert failed.status == DeliveryStatus.FAILED
    people.reviewer2.email = "reviewer2@example.org"
    people.reviewer2.save()
    with django_capture_on_commit_callbacks(execute=True):
        assert services.deliveries_retry(delivery_ids=[failed.pk]) == 1
    failed.refresh_from_db()
    assert (failed.status, failed.address) == (DeliveryStatus.SENT, "reviewer2@example.org")
    assert sorted(m.to[0] for m in mail.outbox) == people.emails("reviewer", "reviewer2")
    assert Notification.objects.filter(event=event).count() == 2  # the bell is not repeated


def test_creation_is_recorded_and_nobody_is_told(
    estimate: Estimate, people: People, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        event = services.event_emit(kind=EventKind.CREATED, estimate=estimate, actor=people.drafter)
    event.refresh_from_db()
    assert event.recipients == [] and event.processed_at is not None
    assert not Delivery.objects.exists()


def test_the_bell_stops_counting_a_notice_once_the_work_is_done(
    estimate: Estimate, people: People, django_capture_on_commit_callbacks
) -> None:
    """Both reviewers are told of the submission; one forwards it: neither has it waiting
    any more, read or not, and the list still shows it, marked as dealt with."""
    with django_capture_on_commit_callbacks(execute=True):
        submit(estimate, people)
    assert unread_count(people.reviewer) == 1 and unread_count(people.reviewer2) == 1
    with django_capture_on_commit_callbacks(execute=True):
        approvals.estimate_forward(actor=people.reviewer2, estimate_id=estimate.pk)
    assert unread_count(people.reviewer) == 0 and unread_count(people.reviewer2) == 0
    note = Notification.objects.get(recipient=people.reviewer)
    assert note.read_at is None and note.overtaken_at is not None
    # The appraisers' notice of the forwarded estimate is the one that waits now.
    assert unread_count(people.appraiser) == 1


def test_a_notice_handled_after_a_later_event_is_overtaken_at_once(
    estimate: Estimate, people: People
) -> None:
    """The worker may handle events out of order: a submission's notices written after the
    forward was handled do not wait."""
    submitted = submit(estimate, people)  # not handled (no commit callbacks run)
    approvals.estimate_forward(actor=people.reviewer, estimate_id=estimate.pk)
    forwarded = event_of(estimate, EventKind.FORWARDED)
    services.event_handle(event_id=forwarded.pk)
    services.event_handle(event_id=submitted.pk)
    assert Notification.objects.filter(event=submitted).count() == 2
    assert unread_count(people.reviewer2) == 0
    assert unread_count(people.appraiser) == 1


def test_with_a_broker_the_commit_leaves_its_event_to_the_relay(
    estimate: Estimate,
    people: People,
    with_broker: list[int],
    django_capture_on_commit_callbacks,
) -> None:
    """The transition never waits for the broker: nothing is published by the committing
    process, the event waits in the outbox for the relay (a worker's listener, woken by the
    commit: tests/notifications/test_relay.py, or the beat's)."""
    with django_capture_on_commit_callbacks() as callbacks:
        event = submit(estimate, people)
    assert callbacks == [] and with_broker == []
    event.refresh_from_db()
    assert (event.published_at, event.publish_count) == (None, 0)
    assert services.outbox_relay(publish=with_broker.append) == 1
    assert with_broker == [event.pk]
    event.refresh_from_db()
    assert event.published_at is not None and event.publish_count == 1
    # Published once: the next run leaves it alone.
    assert services.outbox_relay(publish=with_broker.append) == 0


def test_with_the_broker_down_the_event_waits_for_the_next_relay(
    estimate: Estimate, people: People, with_broker: list[int]
) -> None:
    def refused(pk: int) -> None:
        raise ConnectionError("broker down")

    event = submit(estimate, people)
    assert services.outbox_relay(publish=refused) == 0
    event.refresh_from_db()
    assert (event.published_at, event.publish_count) == (None, 0)
    assert "broker down" in event.last_error
    # The next run publishes it once the broker is back.
    published: list[int] = []
    assert services.outbox_relay(publish=published.append) == 1
    assert published == [event.pk]
