"""The Celery application. Tasks are discovered in each app's tasks.py."""

import os

from celery import Celery

from core.logs import celery_connect

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

app = Celery("project8")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
# The request id of the request that queued a task reaches the task's log lines.
celery_connect()
