"""Fixtures: the people of the approval chain, an estimate of Sì Lở Lầu, and estimates
with a past."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.core import mail

from estimates.models import Estimate, Plan
from tests.factories import estimate_in_status
from tests.notifications.helpers import People, people_make


@pytest.fixture
def people(plan: Plan) -> People:
    return people_make()


@pytest.fixture
def estimate(plan: Plan, people: People) -> Estimate:
    """A draft of Sì Lở Lầu (no event recorded yet)."""
    return estimate_in_status(plan=plan, drafter=people.drafter)


@pytest.fixture
def lived(
    plan: Plan, people: People, django_capture_on_commit_callbacks: Any
) -> Callable[..., Estimate]:
    """``lived(status, **kw)``: an estimate of Sì Lở Lầu driven to ``status`` through the
    services (``estimate_in_status``), each step's notices delivered as after a real commit;
    then the test mailbox is emptied, so a test reads only the mail its own act sends."""

    def make(status: str, **kw: Any) -> Estimate:
        kw.setdefault("drafter", people.drafter)
        with django_capture_on_commit_callbacks(execute=True):
            estimate = estimate_in_status(status, plan=plan, **kw)
        mail.outbox.clear()
        return estimate

    return make


@pytest.fixture
def with_broker(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[int]]:
    """A broker, not eager mode: what the relay publishes is collected here instead of
    reaching Redis."""
    from config.celery import app
    from notifications import tasks

    published: list[int] = []
    monkeypatch.setattr(tasks, "publish_event", published.append)
    eager = app.conf.task_always_eager
    app.conf.task_always_eager = False
    try:
        yield published
    finally:
        app.conf.task_always_eager = eager
