"""Notifications: commit-to-delivery latency via a real worker and Redis; lost, duplicated.

Each event is a real transition (an estimate submitted for review, in its own transaction)
told to two reviewers on two channels (in-app and e-mail). Latency is measured from the
moment the transaction commits to the moment the worker records the delivery as sent.
E-mails are written one file each (``DirectoryBackend``) and counted from the files, so a duplicate
send is seen even if the database recorded one delivery.

Two runs: a steady one, and one where the worker is killed with SIGKILL in the middle and
started again (latency there includes the restart; what matters is lost and duplicated).

Environment: ``BENCH_EVENTS`` (default 250), ``BENCH_RATE`` events per second (default 25),
``CELERY_BROKER_URL`` (the Redis to use), ``DATABASE_URL`` (the server; a database
``bench_notifications`` is created on it and dropped).
"""

from __future__ import annotations

import email
import os
import tempfile
import threading
import time
from collections import Counter
from functools import partial
from pathlib import Path
from statistics import median
from typing import TYPE_CHECKING, Any

from bench._support import Worker, django_database, percentile

if TYPE_CHECKING:
    from django.contrib.auth.models import User

RECIPIENTS = 2


def _setup_people() -> tuple[User, list[int]]:
    from django.conf import settings
    from django.contrib.auth.models import User

    from estimates.plan_loader import plan_load_file
    from organization.models import Membership, Role, Unit
    from organization.permissions import access_sync

    plan = plan_load_file(settings.DEFAULT_PLAN_FILE).plan
    drafter = User.objects.create_user("drafter", email="drafter@example.org")
    Membership.objects.create(
        user=drafter, unit=Unit.objects.get(code="si-lo-lau.hlhpn"), role=Role.COMMUNE_WU_OFFICER
    )
    for n in range(RECIPIENTS):
        reviewer = User.objects.create_user(f"reviewer{n}", email=f"reviewer{n}@example.org")
        Membership.objects.create(
            user=reviewer, unit=Unit.objects.get(code="phong-tho.hlhpn"), role=Role.DISTRICT_WU
        )
    access_sync()
    return drafter, [plan.pk]


def _estimates(count: int, drafter: User, prefix: str) -> list[int]:
    """Drafts made through the approval service (each with its flow process)."""
    import datetime

    from approvals.services import EstimateInput, LineInput, estimate_create
    from estimates.models import Plan
    from organization.models import Unit

    plan = Plan.objects.get()
    activity = plan.contents.order_by("sort_order")[0].activities.order_by("sort_order")[0]
    unit = Unit.objects.get(code="si-lo-lau")
    return [
        estimate_create(
            actor=drafter,
            plan=plan,
            unit=unit,
            data=EstimateInput(
                activity_id=activity.pk,
                title=f"{prefix} {i}",
                start_date=datetime.date(2024, 5, 1),
                end_date=datetime.date(2024, 6, 30),
                lines=[LineInput("Bench", "người", 1, 100_000)],
            ),
        ).pk
        for i in range(count)
    ]


def _stamp(committed: dict[int, float], pk: int) -> None:
    committed[pk] = time.time()


def _emit(
    estimate_ids: list[int], drafter: User, rate: float, on_half: Any = None
) -> dict[int, float]:
    """Submit each draft for review through the real service; stamp the commit time."""
    from django.db import transaction

    from approvals.services import estimate_submit

    committed: dict[int, float] = {}
    for i, pk in enumerate(estimate_ids):
        if on_half is not None and i == len(estimate_ids) // 2:
            on_half()
        with transaction.atomic():
            transaction.on_commit(partial(_stamp, committed, pk))
            estimate_submit(actor=drafter, estimate_id=pk)
        time.sleep(1 / rate)
    return committed


def _wait_done(estimate_ids: list[int], timeout: float) -> None:
    from notifications.models import OutboxEvent

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not OutboxEvent.objects.filter(
            estimate_id__in=estimate_ids, processed_at__isnull=True
        ).exists():
            return
        time.sleep(0.2)


def _mailbox(directory: Path) -> Counter[str]:
    """Delivery ids of the e-mails written to the mailbox folder."""
    seen: Counter[str] = Counter()
    for path in directory.glob("*.eml"):
        message = email.message_from_bytes(path.read_bytes())
        seen[str(message["X-Project8-Delivery"])] += 1
    return seen


def _report(
    title: str, estimate_ids: list[int], committed: dict[int, float], mailbox: Path
) -> None:
    from notifications.models import Delivery, DeliveryStatus

    rows = list(
        Delivery.objects.filter(event__estimate_id__in=estimate_ids).values(
            "pk", "event__estimate_id", "recipient_id", "channel", "status", "sent_at"
        )
    )
    keys = {(r["event__estimate_id"], r["recipient_id"], r["channel"]) for r in rows}
    duplicated_rows = len(rows) - len(keys)
    expected = len(estimate_ids) * RECIPIENTS * 2
    sent = [r for r in rows if r["status"] == DeliveryStatus.SENT]
    emails = _mailbox(mailbox)
    email_rows = {str(r["pk"]) for r in sent if r["channel"] == "email"}
    duplicated_emails = sum(n - 1 for n in emails.values() if n > 1)
    lost_emails = len(email_rows - set(emails))
    print(f"-- {title}")
    print(f"   events: {len(estimate_ids)}  deliveries expected: {expected}  sent: {len(sent)}")
    print(
        f"   lost deliveries: {expected - len(sent)}  "
        f"(e-mails recorded sent but not written: {lost_emails})"
    )
    print(
        f"   duplicated deliveries: {duplicated_rows} in the database, "
        f"{duplicated_emails} e-mails written twice"
    )
    for channel in ("in_app", "email"):
        lat = [
            (r["sent_at"].timestamp() - committed[r["event__estimate_id"]]) * 1000
            for r in sent
            if r["channel"] == channel
            and r["sent_at"] is not None
            and r["event__estimate_id"] in committed
        ]
        if lat:
            print(
                f"   {channel:6} commit→delivery ms: median {median(lat):7.1f}  "
                f"p95 {percentile(lat, 95):7.1f}  max {max(lat):7.1f}  (n={len(lat)})"
            )


def run() -> None:
    events = int(os.environ.get("BENCH_EVENTS", "250"))
    rate = float(os.environ.get("BENCH_RATE", "25"))
    with django_database("notifications"), tempfile.TemporaryDirectory() as tmp:
        from django.conf import settings

        print(f"   broker {settings.CELERY_BROKER_URL}, {events} events at {rate:g}/s per run")
        drafter, _ = _setup_people()
        for title, chaos in (("steady", False), ("worker killed (SIGKILL) halfway", True)):
            workdir = Path(tmp) / ("chaos" if chaos else "steady")
            mailbox = workdir / "mailbox"
            mailbox.mkdir(parents=True)
            extra = {
                "EMAIL_BACKEND": "notifications.mail_backends.DirectoryBackend",
                "EMAIL_FILE_PATH": str(mailbox),
            }
            if chaos:
                extra["NOTIFICATIONS_REPUBLISH_AFTER"] = "5"
            worker = Worker(
                database=str(settings.DATABASES["default"]["NAME"]),
                workdir=workdir,
                extra_env=extra,
            )
            worker.start()
            ids = _estimates(events, drafter, "C" if chaos else "S")

            restarting: list[threading.Thread] = []

            def restart(
                worker: Worker = worker, restarting: list[threading.Thread] = restarting
            ) -> None:
                # Killed mid-stream; commits go on while it comes back.
                worker.kill()
                restarting.append(threading.Thread(target=worker.start))
                restarting[0].start()

            try:
                committed = _emit(ids, drafter, rate, on_half=restart if chaos else None)
                for thread in restarting:
                    thread.join()
                _wait_done(ids, timeout=120)
            finally:
                worker.stop()
            _report(title, ids, committed, mailbox)
