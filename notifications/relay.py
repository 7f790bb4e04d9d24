"""The listening relay: each Celery worker publishes the outbox's events as their
transactions commit, so that a transition never waits for the broker.

Every event written fires ``NOTIFY notifications_outbox`` at its commit (a trigger,
``notifications.0008_outbox_notify``). A thread of the worker's main process listens on
its own database connection and, when woken (or every ``NOTIFICATIONS_RELAY_INTERVAL``
seconds), runs the beat's relay task in its own process (``tasks.relay_outbox``: batches
claimed with ``SKIP LOCKED``, so two workers never publish one event twice, up to 2,000
a run). The beat's periodic relay stays: it publishes what was written while no worker
listened, and what a broker refused. If the database goes away the thread logs it, waits
and listens again; it never stops the worker.

``NOTIFICATIONS_LISTEN=false`` leaves a worker without the thread (the beat's relay then
publishes every few seconds): behind a transaction-pooling proxy, where LISTEN does not
work.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from celery import bootsteps
from django.conf import settings
from django.db import connection

log = logging.getLogger(__name__)

CHANNEL = "notifications_outbox"
#: How long a wait lasts before the thread looks whether it must stop.
WAKE_EVERY = 1.0
#: How long the thread waits before listening again after losing the database.
RETRY_AFTER = 2.0


class OutboxListener(threading.Thread):
    """Listen for committed outbox events and publish them (a daemon thread)."""

    def __init__(self, interval: float | None = None) -> None:
        super().__init__(name="outbox-listener", daemon=True)
        self.interval = settings.NOTIFICATIONS_RELAY_INTERVAL if interval is None else interval
        self.stopping = threading.Event()
        #: Set while the thread listens, with the server process it listens on.
        self.listening = threading.Event()
        self.backend_pid: int | None = None

    def stop(self, timeout: float = 5.0) -> None:
        self.stopping.set()
        if self.is_alive():
            self.join(timeout)

    def run(self) -> None:
        while not self.stopping.is_set():
            try:
                self._listen()
            except Exception as exc:
                log.warning(
                    "Outbox listener interrupted (%s); listening again shortly",
                    type(exc).__name__,
                )
                self.listening.clear()
                self.stopping.wait(RETRY_AFTER)
            finally:
                connection.close()

    def _listen(self) -> None:
        from .tasks import relay_outbox  # the tasks need the apps: this module loads earlier

        connection.ensure_connection()
        with connection.cursor() as cursor:
            cursor.execute(f"LISTEN {CHANNEL}")
        raw: Any = connection.connection
        self.backend_pid = raw.info.backend_pid
        self.listening.set()
        relay_outbox()  # what was written while nobody listened
        last = time.monotonic()
        while not self.stopping.is_set():
            woken = bool(list(raw.notifies(timeout=WAKE_EVERY, stop_after=1)))
            # Whatever else arrived meanwhile is published by the same run.
            for _ in raw.notifies(timeout=0):
                pass
            if woken or time.monotonic() - last >= self.interval:
                relay_outbox()
                last = time.monotonic()


class OutboxListenerStep(bootsteps.StartStopStep):
    """The worker's bootstep: starts the listener after the pool (its processes are forked
    before the thread opens its connection), stops it when the worker stops."""

    requires = ("celery.worker.components:Pool",)

    def __init__(self, parent: Any, **kwargs: Any) -> None:
        super().__init__(parent, **kwargs)
        self.listener: OutboxListener | None = None

    def include_if(self, parent: Any) -> bool:
        return bool(settings.NOTIFICATIONS_LISTEN) and connection.vendor == "postgresql"

    def start(self, parent: Any) -> None:
        self.listener = OutboxListener()
        self.listener.start()

    def stop(self, parent: Any) -> None:
        if self.listener is not None:
            self.listener.stop()
            self.listener = None
