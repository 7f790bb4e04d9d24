"""The Celery application. Tasks are discovered in each app's tasks.py."""

import os

from celery import Celery

from core.logs import celery_connect
from notifications.relay import OutboxListenerStep

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

app = Celery("project8")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
# Each worker publishes the outbox's events as they commit (notifications.relay).
app.steps["worker"].add(OutboxListenerStep)
# The request id of the request that queued a task reaches the task's log lines.
celery_connect()
