"""Every write of the notifications app: outbox, relay, deliveries, reminders, digests.

The path of a notice::

    transition (approvals.services)          ── one transaction ──
      └─ event_emit()  → OutboxEvent row; its commit sends NOTIFY notifications_outbox
    relay: each worker's listener, woken by that commit (notifications.relay), and the beat
      every few seconds for what nobody listened to (in eager mode: after every commit,
      relay_now)
      └─ outbox_relay() → SELECT … FOR UPDATE SKIP LOCKED, publish to Redis, mark published
    worker
      └─ event_handle() → Delivery unique on (event, recipient, channel): in-app, e-mail

A message handled twice, or by two workers at once, delivers once: in-app deliveries are
inserted under the unique constraint, and an e-mail is sent only by the worker that holds
the delivery row locked while it is pending. A worker killed in the middle rolls its
transaction back; the event is published again after ``NOTIFICATIONS_REPUBLISH_AFTER``.
"""

from __future__ import annotations

import datetime
import logging
import smtplib
from collections.abc import Callable, Iterable
from functools import partial

from django.conf import settings
from django.contrib.auth.models import User
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.db.models import F, OuterRef, Q, Subquery
from django.http import Http404
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from approvals import lifecycle
from core.errors import RuleViolation
from estimates.models import Estimate

from .deadlines import (
    DEADLINE_STAGES,
    REMINDER_THRESHOLDS,
    add_working_days,
    holiday_window,
    stage_clock,
    stage_rules,
)
from .models import (
    NOTICE_KINDS,
    TRANSITION_KINDS,
    Channel,
    ChannelPreference,
    Delivery,
    DeliveryStatus,
    Digest,
    EventKind,
    Notification,
    OutboxEvent,
    Reminder,
    ReminderKind,
    UserPreference,
)
from .recipients import actor_ids_for, actors_for, heads_for, recipients_for_event
from .render import Message, absolute_url, message_for

log = logging.getLogger(__name__)

#: E-mail errors that will not get better by trying again (a refused or invalid address).
PERMANENT_EMAIL_ERRORS: tuple[type[Exception], ...] = (
    smtplib.SMTPRecipientsRefused,
    smtplib.SMTPSenderRefused,
    UnicodeError,
)


NO_ADDRESS = "The recipient has no e-mail address."


# --- writing events -----------------------------------------------------------------------


def relay_now(event_ids: list[int]) -> None:
    """Publish these just-committed events now, from the committing process (the "kick").
    Never raises: if the broker is down the beat's relay publishes them when it is back."""
    from .tasks import event_deliver, publish_event

    # Without a broker (eager mode, the embedded default) there is no beat to pick up what
    # failed earlier: every commit then relays everything still pending.
    only = None if event_deliver.app.conf.task_always_eager else event_ids
    try:
        outbox_relay(publish=publish_event, only=only)
    except Exception:
        log.warning(
            "Could not publish events %s now; the periodic relay will", event_ids, exc_info=True
        )


def _outbox_write(
    *,
    kind: str,
    estimate: Estimate | None,
    recipients: Iterable[int],
    actor: User | None = None,
    acting_for: User | None = None,
    comment: str = "",
    data: dict | None = None,
) -> OutboxEvent:
    from .tasks import event_deliver

    event = OutboxEvent.objects.create(
        kind=kind,
        estimate=estimate,
        status=estimate.status if estimate is not None else "",
        actor_id=actor.pk if actor is not None else None,
        acting_for_id=acting_for.pk if acting_for is not None else None,
        comment=comment,
        data=data or {},
        recipients=list(recipients),
    )
    # With a broker, the committing process leaves the event to the workers' listening
    # relay (woken by the commit itself: ``notifications.relay``) and never waits for the
    # broker. Without one (eager mode, the embedded default) the commit relays it.
    if event_deliver.app.conf.task_always_eager:
        transaction.on_commit(partial(relay_now, [event.pk]))
    return event


def event_emit(
    *,
    kind: str,
    estimate: Estimate,
    actor: User | None,
    acting_for: User | None = None,
    comment: str = "",
    data: dict | None = None,
    status: str | None = None,
) -> OutboxEvent:
    """Record that ``kind`` happened to ``estimate`` (already in its new status), to be told
    to the people who must act next and to the drafter. ``status``: the new status of what
    the event is about when it is not the estimate's (an amendment's).

    Call it inside the transaction of the state change: it writes rows only and publishes
    after commit; it never talks to the broker and never fails because the broker is down.
    """
    if kind not in TRANSITION_KINDS:
        raise ValueError(f"Unknown event kind {kind!r}")
    recipients = recipients_for_event(
        kind=kind, estimate=estimate, actor=actor, acting_for=acting_for, status=status
    )
    return _outbox_write(
        kind=kind,
        estimate=estimate,
        recipients=recipients,
        actor=actor,
        acting_for=acting_for,
        comment=comment,
        data=data,
    )


def transfer_emit(
    *, estimate: Estimate, actor: User | None, data: dict | None = None
) -> OutboxEvent:
    """Record that a reorganisation moved ``estimate`` (in flight) to its successor unit
    (``estimate.unit`` already saved, the grants already re-synced): the successor's
    officers who act on it in its status are told the work they inherit. Rows only; the
    relay publishes after commit."""
    permission = lifecycle.STATUS_PERMISSIONS.get(estimate.status)
    recipients = actor_ids_for(permission, estimate.unit) if permission else []
    return _outbox_write(
        kind=EventKind.TRANSFERRED,
        estimate=estimate,
        recipients=[pk for pk in recipients if actor is None or pk != actor.pk],
        actor=actor,
        data=data,
    )


def notice_emit(
    *,
    kind: str,
    recipients: Iterable[int],
    actor: User | None,
    comment: str = "",
    data: dict | None = None,
) -> OutboxEvent:
    """Record a notice about something other than an estimate (a progress report, a
    monitoring note) for ``recipients``, chosen by the app that owns it. Same contract as
    :func:`event_emit`: inside the transaction of the change, rows only, published after
    commit. The actor is never told of their own act."""
    if kind not in NOTICE_KINDS:
        raise ValueError(f"Unknown notice kind {kind!r}")
    actor_id = actor.pk if actor is not None else None
    told = sorted({int(pk) for pk in recipients if pk != actor_id})
    return _outbox_write(
        kind=kind, estimate=None, recipients=told, actor=actor, comment=comment, data=data
    )


# --- the relay ----------------------------------------------------------------------------


def outbox_relay(
    *, publish: Callable[[int], object], batch: int = 100, only: list[int] | None = None
) -> int:
    """Publish one batch of pending events; returns how many were published.

    Rows are claimed with ``FOR UPDATE SKIP LOCKED``: two relays running at once never
    publish the same row. An event published but not fully handled after
    ``NOTIFICATIONS_REPUBLISH_AFTER`` seconds is published again, at most
    ``NOTIFICATIONS_MAX_PUBLISH`` times. If publishing fails (broker down) the batch stops
    and the rows stay pending for the next run. ``only`` restricts the run to some events
    (the kick after a commit publishes just the events of that transaction).
    """
    now = timezone.now()
    stale = now - datetime.timedelta(seconds=settings.NOTIFICATIONS_REPUBLISH_AFTER)
    published: list[int] = []
    with transaction.atomic():
        rows = list(
            OutboxEvent.objects.select_for_update(skip_locked=True)
            .filter(processed_at__isnull=True, publish_count__lt=settings.NOTIFICATIONS_MAX_PUBLISH)
            .filter(Q(published_at__isnull=True) | Q(published_at__lt=stale))
            .filter(Q(pk__in=only) if only is not None else Q())
            .order_by("pk")
            .only("pk")[:batch]
        )
        for row in rows:
            try:
                publish(row.pk)
            except Exception as exc:
                log.warning("Outbox relay: could not publish event %s: %s", row.pk, exc)
                OutboxEvent.objects.filter(pk=row.pk).update(last_error=str(exc)[:2000])
                break
            published.append(row.pk)
        if published:
            OutboxEvent.objects.filter(pk__in=published).update(
                published_at=now, publish_count=F("publish_count") + 1
            )
    return len(published)


# --- the consumer -------------------------------------------------------------------------


def _languages(user_ids: Iterable[int]) -> dict[int, str]:
    return dict(
        UserPreference.objects.filter(user_id__in=list(user_ids)).values_list("user_id", "language")
    )


def _email_off(user_ids: Iterable[int], kind: str) -> set[int]:
    return set(
        ChannelPreference.objects.filter(
            user_id__in=list(user_ids), kind=kind, channel=Channel.EMAIL, enabled=False
        ).values_list("user_id", flat=True)
    )


def _email_body(message: Message, language: str) -> str:
    with translation.override(language):
        return render_to_string(
            "notifications/email/message.txt",
            {
                "message": message,
                "preferences_link": absolute_url(reverse("notification_preferences")),
            },
        ).strip()


def _message_id(delivery: Delivery) -> str:
    """The same Message-ID for every attempt of one delivery: should a crash between sending
    and recording make us send twice, mail clients still show one message."""
    domain = str(settings.DEFAULT_FROM_EMAIL).rpartition("@")[2] or "localhost"
    return f"<delivery-{delivery.pk}.event-{delivery.event_id}@{domain}>"


def _email_send(delivery_id: int, message: Message, language: str) -> None:
    """Send one pending e-mail delivery, unless another worker holds it or it is done."""
    with transaction.atomic():
        # Whoever holds the pending row sends it; a second worker on the same message skips.
        # If this process dies while sending, the lock goes with it and the row stays pending.
        locked = (
            Delivery.objects.select_for_update(skip_locked=True)
            .filter(pk=delivery_id, status=DeliveryStatus.PENDING)
            .first()
        )
        if locked is None:
            return
        locked.attempts += 1
        if not locked.address:
            locked.status = DeliveryStatus.FAILED
            locked.error = NO_ADDRESS
            locked.save(update_fields=["status", "error", "attempts"])
            return
        email = EmailMessage(
            subject=f"[{settings.NOTIFICATIONS_EMAIL_SUBJECT_PREFIX}] {message.title}",
            body=_email_body(message, language),
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[locked.address],
            headers={
                "Message-ID": _message_id(locked),
                "Content-Language": language,
                "Auto-Submitted": "auto-generated",
                "X-Project8-Delivery": str(locked.pk),
            },
        )
        try:
            email.send(fail_silently=False)
        except PERMANENT_EMAIL_ERRORS as exc:
            locked.status = DeliveryStatus.FAILED
            locked.error = f"{type(exc).__name__}: {exc}"[:2000]
        except Exception as exc:
            locked.error = f"{type(exc).__name__}: {exc}"[:2000]
            if locked.attempts >= settings.NOTIFICATIONS_MAX_ATTEMPTS:
                locked.status = DeliveryStatus.FAILED
            log.warning(
                "E-mail delivery %s failed (attempt %s): %s", locked.pk, locked.attempts, exc
            )
        else:
            locked.status = DeliveryStatus.SENT
            locked.sent_at = timezone.now()
            locked.error = ""
        locked.save(update_fields=["status", "error", "attempts", "sent_at"])


def _channels(kind: str) -> tuple[str, ...]:
    # The digest is an e-mail; everything else also lands in the bell.
    if kind == EventKind.DIGEST:
        return (Channel.EMAIL,)
    return (Channel.IN_APP, Channel.EMAIL)


def _notices_overtaken(event: OutboxEvent, now: datetime.datetime) -> None:
    """The bell reflects the work: once an estimate has moved to another status, the
    notices of its earlier statuses no longer wait (whoever did the work). Events may be
    handled out of order: the notices of an event already overtaken by a later one are
    marked at once."""
    if event.estimate_id is None or not event.status:
        return
    Notification.objects.filter(
        event__estimate_id=event.estimate_id, event_id__lt=event.pk, overtaken_at__isnull=True
    ).exclude(event__status=event.status).update(overtaken_at=now)
    later = (
        OutboxEvent.objects.filter(estimate_id=event.estimate_id, pk__gt=event.pk)
        .exclude(status=event.status)
        .exclude(status="")
    )
    if later.exists():
        Notification.objects.filter(event=event, overtaken_at__isnull=True).update(overtaken_at=now)


def event_handle(*, event_id: int) -> None:
    """Deliver one event to each of its recipients on each of their channels. Safe to run
    any number of times, concurrently: each (event, recipient, channel) is delivered once.

    One transaction records every in-app notice and every e-mail to send (inserts that skip
    rows already there, so a concurrent run adds nothing); then each e-mail is sent in a
    transaction of its own holding its row; then the event is marked done if nothing is
    left pending (a failed e-mail is retried when the relay publishes the event again).
    """
    event = (
        OutboxEvent.objects.select_related("estimate__unit", "actor", "acting_for")
        .filter(pk=event_id)
        .first()
    )
    if event is None:
        log.info("Outbox event %s no longer exists", event_id)
        return
    if event.processed_at is not None:
        OutboxEvent.objects.filter(pk=event_id).update(handled_count=F("handled_count") + 1)
        return
    users = list(User.objects.filter(pk__in=event.recipients, is_active=True).order_by("pk"))
    languages = _languages(u.pk for u in users)
    email_off = _email_off((u.pk for u in users), event.kind)
    channels = _channels(event.kind)
    messages: dict[int, tuple[Message, str]] = {}
    for user in users:
        language = languages.get(user.pk, settings.NOTIFICATIONS_DEFAULT_LANGUAGE)
        messages[user.pk] = (message_for(event, user, language), language)
    now = timezone.now()
    email_to = [u for u in users if Channel.EMAIL in channels and u.pk not in email_off]
    with transaction.atomic():
        OutboxEvent.objects.filter(pk=event_id).update(handled_count=F("handled_count") + 1)
        if Channel.IN_APP in channels:
            Delivery.objects.bulk_create(
                [
                    Delivery(
                        event=event,
                        recipient=u,
                        channel=Channel.IN_APP,
                        status=DeliveryStatus.SENT,
                        attempts=1,
                        sent_at=now,
                    )
                    for u in users
                ],
                ignore_conflicts=True,
            )
            Notification.objects.bulk_create(
                [
                    Notification(
                        recipient=u,
                        event=event,
                        title=messages[u.pk][0].title[:300],
                        body=messages[u.pk][0].body,
                        url=messages[u.pk][0].url,
                    )
                    for u in users
                ],
                ignore_conflicts=True,
            )
            _notices_overtaken(event, now)
        Delivery.objects.bulk_create(
            [
                Delivery(
                    event=event,
                    recipient=u,
                    channel=Channel.EMAIL,
                    address=u.email,
                    status=DeliveryStatus.PENDING if u.email else DeliveryStatus.FAILED,
                    attempts=0 if u.email else 1,
                    error="" if u.email else NO_ADDRESS,
                )
                for u in email_to
            ],
            ignore_conflicts=True,
        )
    pending = Delivery.objects.filter(
        event=event, channel=Channel.EMAIL, status=DeliveryStatus.PENDING
    ).values_list("pk", "recipient_id")
    for delivery_id, recipient_id in pending:
        if recipient_id not in messages:  # deactivated since: nobody to write to
            Delivery.objects.filter(pk=delivery_id, status=DeliveryStatus.PENDING).update(
                status=DeliveryStatus.FAILED, error="The recipient is no longer active."
            )
            continue
        message, language = messages[recipient_id]
        _email_send(delivery_id, message, language)
    OutboxEvent.objects.filter(pk=event_id, processed_at__isnull=True).exclude(
        deliveries__status=DeliveryStatus.PENDING
    ).update(processed_at=timezone.now())


def deliveries_retry(*, delivery_ids: Iterable[int]) -> int:
    """An administrator asks for failed e-mails to be tried again (after fixing an address,
    say): they become pending with a fresh attempt count, and their events are published
    again by the relay. Returns how many deliveries were reset."""
    with transaction.atomic():
        failed = Delivery.objects.select_for_update().filter(
            pk__in=list(delivery_ids), channel=Channel.EMAIL, status=DeliveryStatus.FAILED
        )
        event_ids = set(failed.values_list("event_id", flat=True))
        current_address = User.objects.filter(pk=OuterRef("recipient_id")).values("email")[:1]
        count = failed.update(
            status=DeliveryStatus.PENDING, attempts=0, address=Subquery(current_address)
        )
        OutboxEvent.objects.filter(pk__in=event_ids).update(
            processed_at=None, published_at=None, publish_count=0
        )
        for event_id in event_ids:
            transaction.on_commit(partial(relay_now, [event_id]))
    return count


# --- reminders and escalation -------------------------------------------------------------


def reminders_run(*, now: datetime.datetime | None = None) -> int:
    """Create the reminders and escalations that are due and not yet sent; returns how many.

    For each estimate waiting in a stage with a deadline: the latest reminder threshold
    reached (tomorrow, today, passed) and the escalation once reached. Each is a
    ``Reminder`` row unique per stage visit, kind and threshold, written with its outbox
    event in one transaction: a second run, or two runs at once, add nothing.
    """
    now = now or timezone.now()
    today = timezone.localtime(now).date()
    rules = stage_rules()
    holidays = holiday_window(today)
    created = 0
    waiting = Estimate.objects.filter(
        status__in=DEADLINE_STAGES, status_changed_at__isnull=False
    ).select_related("unit", "created_by")
    for estimate in waiting:
        assert estimate.status_changed_at is not None  # noqa: S101 - filtered above
        clock = stage_clock(
            stage=estimate.status,
            entered_at=estimate.status_changed_at,
            today=today,
            rules=rules,
            holidays=holidays,
        )
        if clock is None:
            continue
        due: list[tuple[str, int]] = []
        reached = [
            (kind, t)
            for kind, t in REMINDER_THRESHOLDS
            if add_working_days(clock.deadline, t, holidays) <= today
        ]
        if reached:
            due.append(max(reached, key=lambda pair: pair[1]))
        if add_working_days(clock.deadline, clock.escalate_after, holidays) <= today:
            due.append((ReminderKind.ESCALATION, clock.escalate_after))
        for kind, threshold in due:
            key = {
                "estimate": estimate,
                "stage": estimate.status,
                "stage_entered_at": estimate.status_changed_at,
                "kind": kind,
                "threshold": threshold,
            }
            if Reminder.objects.filter(**key).exists():
                continue
            perm = lifecycle.STATUS_PERMISSIONS[estimate.status]
            if kind == ReminderKind.ESCALATION:
                recipients = heads_for(perm, estimate.unit)
                event_kind = EventKind.ESCALATED
            else:
                recipients = actors_for(perm, estimate.unit)
                event_kind = EventKind.REMINDER
            try:
                with transaction.atomic():
                    event = _outbox_write(
                        kind=event_kind,
                        estimate=estimate,
                        recipients=[u.pk for u in recipients],
                        data={
                            "reminder": str(kind),
                            "threshold": threshold,
                            "deadline": clock.deadline.isoformat(),
                            "days_late": clock.days_late,
                        },
                    )
                    Reminder.objects.create(**key, deadline=clock.deadline, event=event)
            except IntegrityError:
                continue  # another run sent it first
            created += 1
    return created


# --- the daily digest ---------------------------------------------------------------------


def digests_run(*, now: datetime.datetime | None = None) -> int:
    """One digest e-mail per user with work waiting today, none for the others; a second
    run on the same day adds nothing. Returns how many were created."""
    from .selectors import work_waiting_by_user

    now = now or timezone.now()
    today = timezone.localtime(now).date()
    created = 0
    for user_id, estimate_ids in work_waiting_by_user().items():
        if Digest.objects.filter(user_id=user_id, date=today).exists():
            continue
        try:
            with transaction.atomic():
                event = _outbox_write(
                    kind=EventKind.DIGEST,
                    estimate=None,
                    recipients=[user_id],
                    data={"estimates": estimate_ids, "date": today.isoformat()},
                )
                Digest.objects.create(user_id=user_id, date=today, event=event)
        except IntegrityError:
            continue
        created += 1
    return created


# --- what a user does ---------------------------------------------------------------------


def notification_open(*, user: User, notification_id: int) -> Notification:
    """The user opens one of their notifications: it is marked read (once)."""
    notification = Notification.objects.filter(pk=notification_id, recipient_id=user.pk).first()
    if notification is None:
        raise Http404
    if notification.read_at is None:
        now = timezone.now()
        Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(read_at=now)
        notification.read_at = now
    return notification


def notifications_mark_all_read(*, user: User) -> int:
    return Notification.objects.filter(recipient_id=user.pk, read_at__isnull=True).update(
        read_at=timezone.now()
    )


#: The kinds a user may switch e-mail on or off for (all that anyone is told about).
PREFERENCE_KINDS: tuple[str, ...] = tuple(k for k in EventKind.values if k != EventKind.CREATED)


def preferences_update(*, user: User, language: str, email_enabled: Iterable[str]) -> None:
    """Set the user's e-mail language and, per kind of notice, whether they get an e-mail.
    In-app notices are always on."""
    if language not in dict(settings.LANGUAGES):
        raise RuleViolation("Unknown language", field="language")
    wanted = set(email_enabled)
    unknown = wanted - set(PREFERENCE_KINDS)
    if unknown:
        raise RuleViolation("Unknown kind of notice", field="email")
    with transaction.atomic():
        UserPreference.objects.update_or_create(user_id=user.pk, defaults={"language": language})
        current = {
            p.kind: p
            for p in ChannelPreference.objects.filter(user_id=user.pk, channel=Channel.EMAIL)
        }
        for kind in PREFERENCE_KINDS:
            enabled = kind in wanted
            row = current.get(kind)
            if row is None and enabled:
                continue  # no row means on
            if row is None:
                ChannelPreference.objects.create(
                    user_id=user.pk, kind=kind, channel=Channel.EMAIL, enabled=False
                )
            elif row.enabled != enabled:
                row.enabled = enabled
                row.save(update_fields=["enabled"])


def preferences_for(user: User) -> tuple[str, set[str]]:
    """The user's language and the kinds they get e-mail for."""
    language = (
        UserPreference.objects.filter(user_id=user.pk).values_list("language", flat=True).first()
        or settings.NOTIFICATIONS_DEFAULT_LANGUAGE
    )
    off = set(
        ChannelPreference.objects.filter(
            user_id=user.pk, channel=Channel.EMAIL, enabled=False
        ).values_list("kind", flat=True)
    )
    return language, {k for k in PREFERENCE_KINDS if k not in off}


def language_remember(*, user: User, language: str) -> None:
    """Keep the user's choice of language, for their pages and their e-mails."""
    if language not in dict(settings.LANGUAGES):
        raise RuleViolation("Unknown language", field="language")
    UserPreference.objects.update_or_create(user_id=user.pk, defaults={"language": language})


def language_chosen(user: User) -> str | None:
    """The language the user chose, if they ever chose one."""
    return UserPreference.objects.filter(user_id=user.pk).values_list("language", flat=True).first()
