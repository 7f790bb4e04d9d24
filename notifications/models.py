"""Who is told what, and whether it reached them.

An ``OutboxEvent`` is written in the same transaction as the state change it reports; the
relay publishes it after commit, and the consumer turns it into one ``Delivery`` per
recipient and channel (unique in the database, so a message handled twice delivers once).
``Reminder`` and ``Digest`` rows make periodic notices exactly-once the same way.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from approvals import lifecycle
from estimates.models import EstimateStatus


class EventKind(models.TextChoices):
    """What happened. The estimate codes are the audit actions (docs/ARCHITECTURE.md)."""

    CREATED = "estimate.created", _("Estimate created")
    SUBMITTED = "estimate.submitted", _("Estimate submitted")
    FORWARDED = "estimate.forwarded", _("Estimate forwarded to appraisal")
    RETURNED = "estimate.returned", _("Estimate returned")
    APPRAISED = "estimate.appraised", _("Estimate appraised")
    APPROVED = "estimate.approved", _("Estimate approved")
    WITHDRAWN = "estimate.withdrawn", _("Estimate withdrawn")
    DISBURSED = "estimate.disbursed", _("Estimate disbursed")
    SETTLEMENT_SUBMITTED = "estimate.settlement_submitted", _("Settlement submitted")
    SETTLEMENT_RETURNED = "estimate.settlement_returned", _("Settlement returned")
    CLOSED = "estimate.closed", _("Estimate closed")
    TRANSFERRED = "estimate.transferred", _("Estimate moved to a successor unit")
    AMENDMENT_PROPOSED = "amendment.proposed", _("Amendment proposed")
    AMENDMENT_FORWARDED = "amendment.forwarded", _("Amendment forwarded to appraisal")
    AMENDMENT_APPRAISED = "amendment.appraised", _("Amendment appraised")
    AMENDMENT_APPROVED = "amendment.approved", _("Amendment approved")
    AMENDMENT_RETURNED = "amendment.returned", _("Amendment returned")
    REMINDER = "estimate.reminder", _("Deadline reminder")
    ESCALATED = "estimate.escalated", _("Overdue escalation")
    DIGEST = "digest.daily", _("Daily digest")
    REPORT_SUBMITTED = "report.submitted", _("Progress report submitted")
    REPORT_ACCEPTED = "report.accepted", _("Progress report accepted")
    REPORT_RETURNED = "report.returned", _("Progress report returned")
    REPORT_SUBMITTED_UPWARD = "report.submitted_upward", _("District report submitted upward")
    REPORT_REMINDER = "report.reminder", _("Progress report reminder")
    MONITORING_RECORDED = "monitoring.recorded", _("Monitoring note recorded")
    MONITORING_ANSWERED = "monitoring.answered", _("Monitoring note answered")
    MONITORING_CLOSED = "monitoring.closed", _("Monitoring recommendations closed")


#: The kinds a transition may emit (``event_emit``): the lifecycle table's, and creation
#: (recorded, nobody told); the others are written by periodic jobs.
TRANSITION_KINDS = lifecycle.EVENT_KINDS | lifecycle.AMENDMENT_EVENT_KINDS | {EventKind.CREATED}

#: The kinds about something other than an estimate (a progress report, a monitoring
#: note), written by ``notice_emit``: the app that owns the thing names the recipients and
#: renders the message (``notifications.render.notice_renderer_register``).
NOTICE_KINDS = frozenset(
    kind for kind in EventKind.values if kind.split(".")[0] in {"report", "monitoring"}
)


class Channel(models.TextChoices):
    IN_APP = "in_app", _("In the application")
    EMAIL = "email", _("E-mail")


class OutboxEvent(models.Model):
    """One thing that happened, to be told to its recipients; written in the transaction
    that made it happen. ``recipients`` are fixed when the event is written."""

    kind = models.CharField(_("kind"), max_length=40, choices=EventKind.choices)
    estimate = models.ForeignKey(
        "estimates.Estimate",
        verbose_name=_("estimate"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="outbox_events",
    )
    status = models.CharField(_("estimate status after the event"), max_length=20, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("actor"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    acting_for = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("acting for"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    comment = models.TextField(_("comment"), blank=True)
    data = models.JSONField(_("data"), default=dict, blank=True)
    recipients = models.JSONField(_("recipient ids"), default=list, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    published_at = models.DateTimeField(_("last published"), null=True, blank=True)
    publish_count = models.PositiveIntegerField(_("times published"), default=0)
    handled_count = models.PositiveIntegerField(_("times handled"), default=0)
    processed_at = models.DateTimeField(_("fully handled"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)

    class Meta:
        verbose_name = _("outbox event")
        verbose_name_plural = _("outbox events")
        ordering = ["-pk"]
        indexes = [
            models.Index(
                fields=["published_at"],
                name="outbox_unprocessed",
                condition=Q(processed_at__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.kind}"


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")


class Delivery(models.Model):
    """An event told to one recipient on one channel: at most one, whatever the retries."""

    event = models.ForeignKey(OutboxEvent, on_delete=models.CASCADE, related_name="deliveries")
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recipient"),
        on_delete=models.CASCADE,
        related_name="notification_deliveries",
    )
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    status = models.CharField(
        _("status"), max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    address = models.CharField(_("address"), max_length=254, blank=True)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    error = models.TextField(_("error"), blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)

    class Meta:
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        ordering = ["-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["event", "recipient", "channel"], name="delivery_once_per_channel"
            ),
        ]
        indexes = [models.Index(fields=["status", "channel"])]

    def __str__(self) -> str:
        return f"{self.event} → {self.recipient} ({self.channel}: {self.status})"


class Notification(models.Model):
    """What the bell shows: in the recipient's language, marked read when opened."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recipient"),
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    event = models.ForeignKey(OutboxEvent, on_delete=models.CASCADE, related_name="notifications")
    title = models.CharField(_("title"), max_length=300)
    body = models.TextField(_("body"), blank=True)
    url = models.CharField(_("link"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    read_at = models.DateTimeField(_("read"), null=True, blank=True)
    overtaken_at = models.DateTimeField(
        _("overtaken"),
        null=True,
        blank=True,
        help_text=_(
            "When the estimate moved on (the work was done, by the recipient or someone "
            "else): the notice no longer waits in the bell."
        ),
    )

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["event", "recipient"], name="notification_once"),
        ]
        indexes = [
            models.Index(fields=["recipient", "-created_at"], name="notification_inbox"),
            models.Index(
                fields=["recipient"],
                name="notification_waiting",
                condition=Q(read_at__isnull=True, overtaken_at__isnull=True),
            ),
            models.Index(
                fields=["event"],
                name="notification_open_by_event",
                condition=Q(overtaken_at__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return self.title


class UserPreference(models.Model):
    """A user's language for e-mails (Vietnamese unless they choose otherwise)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preference"
    )
    language = models.CharField(
        _("language"), max_length=10, choices=settings.LANGUAGES, default="vi"
    )

    class Meta:
        verbose_name = _("notification preference")
        verbose_name_plural = _("notification preferences")

    def __str__(self) -> str:
        return f"{self.user} · {self.language}"


class ChannelPreference(models.Model):
    """A channel switched on or off for one kind of notice; no row means on.
    In-app notices are always on: only e-mail is stored here."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="channel_preferences"
    )
    kind = models.CharField(_("kind"), max_length=40, choices=EventKind.choices)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    enabled = models.BooleanField(_("enabled"), default=True)

    class Meta:
        verbose_name = _("channel preference")
        verbose_name_plural = _("channel preferences")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "kind", "channel"], name="channel_preference_unique"
            ),
            models.CheckConstraint(
                name="channel_preference_in_app_always_on",
                condition=~Q(channel="in_app") | Q(enabled=True),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.kind} · {self.channel}: {self.enabled}"


class StageDeadline(models.Model):
    """How many working days a stage may take; an administrator edits these."""

    status = models.CharField(
        _("stage"),
        max_length=20,
        unique=True,
        choices=[
            (s.value, s.label)
            for s in (EstimateStatus.REVIEW, EstimateStatus.APPRAISAL, EstimateStatus.APPROVAL)
        ],
    )
    working_days = models.PositiveSmallIntegerField(_("working days"))
    escalate_after = models.PositiveSmallIntegerField(
        _("escalate after (working days past the deadline)"), default=2
    )

    class Meta:
        verbose_name = _("stage deadline")
        verbose_name_plural = _("stage deadlines")
        ordering = ["status"]
        constraints = [
            models.CheckConstraint(name="stage_deadline_positive", condition=Q(working_days__gt=0)),
            models.CheckConstraint(
                name="stage_escalation_positive", condition=Q(escalate_after__gt=0)
            ),
        ]

    def __str__(self) -> str:
        return f"{self.status}: {self.working_days}"


class Holiday(models.Model):
    """A public holiday or a day off: not a working day."""

    date = models.DateField(_("date"), unique=True)
    name = models.CharField(_("name"), max_length=200)

    class Meta:
        verbose_name = _("holiday")
        verbose_name_plural = _("holidays")
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date:%d/%m/%Y} {self.name}"


class ReminderKind(models.TextChoices):
    BEFORE = "before", _("Deadline tomorrow")
    DUE = "due", _("Deadline today")
    OVERDUE = "overdue", _("Deadline passed")
    ESCALATION = "escalation", _("Escalated to the head of unit")


class Reminder(models.Model):
    """A reminder or escalation sent once per visit of an estimate to a stage.

    The visit is identified by the stage and the time the estimate entered it; the unique
    constraint is what makes two reminder jobs running at once send each notice once."""

    estimate = models.ForeignKey(
        "estimates.Estimate", on_delete=models.CASCADE, related_name="reminders"
    )
    stage = models.CharField(_("stage"), max_length=20)
    stage_entered_at = models.DateTimeField(_("stage entered"))
    kind = models.CharField(_("kind"), max_length=20, choices=ReminderKind.choices)
    threshold = models.SmallIntegerField(_("working days from the deadline"))
    deadline = models.DateField(_("deadline"))
    event = models.OneToOneField(OutboxEvent, on_delete=models.PROTECT, related_name="reminder")
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("reminder")
        verbose_name_plural = _("reminders")
        ordering = ["-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["estimate", "stage", "stage_entered_at", "kind", "threshold"],
                name="reminder_once_per_threshold",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.estimate_id} {self.stage} {self.kind} {self.threshold:+d}"


class Digest(models.Model):
    """The daily digest of one user for one day: at most one."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_digests"
    )
    date = models.DateField(_("date"))
    event = models.OneToOneField(OutboxEvent, on_delete=models.PROTECT, related_name="digest")
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("daily digest")
        verbose_name_plural = _("daily digests")
        ordering = ["-date"]
        constraints = [
            models.UniqueConstraint(fields=["user", "date"], name="digest_once_per_day"),
        ]

    def __str__(self) -> str:
        return f"{self.user} {self.date}"
