"""Notifications: commit-to-delivery latency via a real worker and Redis; lost, duplicated.

Each event is a real transition (an estimate submitted for review, in its own transaction)
told to two reviewers on two channels (in-app and e-mail). Latency is measured from the
moment the transaction commits to the moment the worker records the delivery as sent.
E-mails are written one file each (``DirectoryBackend``) and counted from the files, so a duplicate
send is seen even if the database recorded one delivery.

Three runs, each with a worker of its own: a steady one; one where Redis is stopped halfway
and started again two seconds later, empty (commits go on meanwhile); one where the worker
is killed with SIGKILL halfway and started again. Latency in the last two includes the
outage; what matters there is lost and duplicated (0 and 0). The Redis is a
``redis-server`` the benchmark starts on a free port, so restarting it disturbs nobody.

Environment: ``BENCH_EVENTS`` (default 500; quick 20), ``BENCH_RATE`` events per second
(default 25), ``DATABASE_URL`` (the server; a database ``bench_notifications`` is created on
it and dropped).
"""

from __future__ import annotations

import contextlib
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

from bench import _scale
from bench._support import RedisServer, Worker, django_database, percentile, publishing_to

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

    plan = Plan.objects.get(number=_scale.PLAN)  # the demo loads the example plan too
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
) -> dict[str, Any]:
    """Lost and duplicated deliveries, and commit-to-delivery times, of one run."""
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
    latency: dict[str, list[float]] = {}
    for channel in ("in_app", "email"):
        latency[channel] = [
            (r["sent_at"].timestamp() - committed[r["event__estimate_id"]]) * 1000
            for r in sent
            if r["channel"] == channel
            and r["sent_at"] is not None
            and r["event__estimate_id"] in committed
        ]
    return {
        "run": title,
        "events": len(estimate_ids),
        "expected": expected,
        "sent": len(sent),
        "lost": expected - len(sent) + lost_emails,
        "duplicated": duplicated_rows + duplicated_emails,
        "latency_ms": latency,
    }


def _row(result: dict[str, Any]) -> list[Any]:
    row: list[Any] = [result["run"], result["events"], result["expected"], result["sent"]]
    for channel in ("in_app", "email"):
        lat = result["latency_ms"][channel]
        row.append(f"{median(lat):.0f} / {percentile(lat, 95):.0f}" if lat else "-")
    return [*row, result["lost"], result["duplicated"], result.get("worker_exits", 0)]


COLUMNS = [
    "run",
    "events",
    "deliveries expected",
    "sent",
    "in-app ms median / p95",
    "e-mail ms median / p95",
    "lost",
    "duplicated",
    "worker exited on its own",
]
SCENARIOS = (
    ("steady", None),
    ("Redis restarted halfway", "redis"),
    ("worker killed (SIGKILL) halfway and restarted", "worker"),
)


def _scenario(
    title: str,
    chaos: str | None,
    *,
    events: int,
    rate: float,
    drafter: User,
    redis: RedisServer,
    workdir: Path,
) -> dict[str, Any]:
    from django.db import connection

    mailbox = workdir / "mailbox"
    mailbox.mkdir(parents=True)
    extra = {
        "EMAIL_BACKEND": "notifications.mail_backends.DirectoryBackend",
        "EMAIL_FILE_PATH": str(mailbox),
        "CELERY_BROKER_URL": redis.url,
        # What was published and then lost (a restarted Redis keeps nothing; a killed
        # worker's unacknowledged messages) is published again after this many seconds.
        "NOTIFICATIONS_REPUBLISH_AFTER": "5",
    }
    worker = Worker(
        database=str(connection.settings_dict["NAME"]), workdir=workdir, extra_env=extra
    )
    worker.start()
    ids = _estimates(events, drafter, title[:1].upper())
    background: list[threading.Thread] = []

    def worker_restart() -> None:
        # Killed mid-stream; commits go on while it comes back.
        worker.kill()
        background.append(threading.Thread(target=worker.start))
        background[-1].start()

    def redis_restart() -> None:
        # Down for about two seconds while commits go on; back empty, on the same port.
        redis.stop()

        def back() -> None:
            time.sleep(2)
            redis.start()

        background.append(threading.Thread(target=back))
        background[-1].start()

    on_half = {"worker": worker_restart, "redis": redis_restart}.get(chaos or "")
    # A worker that exits is started again, as the deployment's restart policy does
    # (docker/compose.yaml: ``restart: unless-stopped``).
    supervising = threading.Event()
    restarts: list[float] = []

    def supervise() -> None:
        while not supervising.wait(0.5):
            if worker.exited() and not any(t.is_alive() for t in background):
                restarts.append(time.time())
                with contextlib.suppress(RuntimeError):
                    worker.start()

    supervisor = threading.Thread(target=supervise)
    supervisor.start()
    try:
        committed = _emit(ids, drafter, rate, on_half=on_half)
        for thread in background:
            thread.join()
        _wait_done(ids, timeout=float(os.environ.get("BENCH_WAIT", "180")))
    finally:
        supervising.set()
        supervisor.join()
        worker.stop()
    result = _report(title, ids, committed, mailbox)
    result["worker_exits"] = len(restarts)
    return result


def table_print(result: dict[str, Any]) -> None:
    print(f"   {result['title']}")
    header = result["columns"]
    widths = [
        max(len(str(c)), *(len(str(r[i])) for r in result["rows"])) for i, c in enumerate(header)
    ]
    print("   " + "  ".join(str(c).rjust(w) for c, w in zip(header, widths, strict=True)))
    for row in result["rows"]:
        print("   " + "  ".join(str(c).rjust(w) for c, w in zip(row, widths, strict=True)))
    for note in result["notes"]:
        print(f"   {note}")


def run(quick: bool = False, *, events: int | None = None) -> dict[str, Any]:
    """Three runs (steady, Redis restarted halfway, the worker killed halfway) of
    ``events`` events each (default 500; 20 when ``quick``), on a database and a Redis of
    the benchmark's own; prints the table and returns it."""
    n = events or int(os.environ.get("BENCH_EVENTS", "20" if quick else "500"))
    rate = float(os.environ.get("BENCH_RATE", "25"))
    redis = RedisServer()
    redis.start()
    results = []
    try:
        with (
            django_database("notifications"),
            tempfile.TemporaryDirectory() as tmp,
            publishing_to(redis.url),
        ):
            drafter, _ = _setup_people()
            for k, (title, chaos) in enumerate(SCENARIOS):
                results.append(
                    _scenario(
                        title,
                        chaos,
                        events=n,
                        rate=rate,
                        drafter=drafter,
                        redis=redis,
                        workdir=Path(tmp) / f"run{k}",
                    )
                )
    finally:
        redis.stop()
    notes = [
        f"{n} events a run at {rate:g} a second, each a real transition (submitted for "
        f"review) told to {RECIPIENTS} reviewers in-app and by e-mail; a real Celery worker "
        "(2 processes, its beat relaying every second) and a redis-server of the benchmark's "
        "own; commit to delivery recorded as sent.",
        "lost: deliveries expected but not sent, plus e-mails recorded sent but not written; "
        "duplicated: delivery rows twice for one (event, recipient, channel), plus e-mails "
        "written twice (counted from the files).",
        "worker exited on its own: times the worker process ended without being killed "
        "(and was started again, as the deployment's restart policy does).",
        f"this machine: {os.cpu_count()} CPUs shared with whatever else runs on it.",
    ]
    result = {
        "name": "notifications",
        "title": "Notifications: commit to delivery through a real worker and Redis",
        "columns": COLUMNS,
        "rows": [_row(r) for r in results],
        "notes": notes,
        "figures": {"events": n, "rate": rate, "runs": results},
    }
    table_print(result)
    return result
