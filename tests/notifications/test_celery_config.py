"""The Celery guardrails the notifications rely on, held by a test rather than by memory."""

from __future__ import annotations

from django.conf import settings

from config.celery import app


def test_guardrails() -> None:
    conf = app.conf
    assert conf.task_serializer == "json"
    assert conf.accept_content == ["json"]
    assert conf.task_acks_late is True
    assert conf.worker_prefetch_multiplier == 1
    assert conf.broker_transport_options["visibility_timeout"] > conf.task_time_limit


def test_every_notifications_task_has_time_limits_below_the_visibility_timeout() -> None:
    app.loader.import_default_modules()
    tasks = {name: t for name, t in app.tasks.items() if name.startswith("notifications.")}
    assert set(tasks) == {
        "notifications.relay_outbox",
        "notifications.event_deliver",
        "notifications.reminders_run",
        "notifications.digests_run",
    }
    visibility = settings.CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"]
    for name, task in tasks.items():
        assert task.acks_late, name
        assert task.soft_time_limit and task.time_limit, name
        assert task.soft_time_limit < task.time_limit < visibility, name


def test_beat_runs_the_relay_every_few_seconds_and_nothing_piles_up() -> None:
    schedule = settings.CELERY_BEAT_SCHEDULE
    assert schedule["notifications-relay"]["schedule"] <= 10
    for entry in schedule.values():
        assert entry["options"]["expires"], entry
