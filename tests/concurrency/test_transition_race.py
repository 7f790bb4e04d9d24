"""Eight people completing the same task at the same instant, on PostgreSQL with real
threads: exactly one transition, one audit entry, one notification event and one next
task, every time."""

from __future__ import annotations

import threading
from collections import Counter

import pytest
from django.contrib.auth import get_user_model
from django.db import connection

from approvals import services
from approvals.audit import audit_verify
from approvals.models import AuditEntry
from core.errors import Conflict
from estimates.models import Plan
from notifications.models import OutboxEvent
from organization.models import Membership, Role, Unit
from organization.permissions import access_sync
from tests.factories import club_input
from workflows.engine import process_for

THREADS = 8
ROUNDS = 50


@pytest.mark.django_db(transaction=True)
def test_eight_threads_forward_the_same_estimate(plan: Plan) -> None:
    user_model = get_user_model()
    wu = Unit.objects.get(code="phong-tho.hlhpn")
    reviewers = [user_model.objects.get(username="hoi.huyen")]
    for n in range(THREADS - 1):
        extra = user_model.objects.create_user(f"reviewer{n}", password="x")
        Membership.objects.create(user=extra, unit=wu, role=Role.DISTRICT_WU)
        reviewers.append(extra)
    access_sync()
    drafter = user_model.objects.get(username="hoi.silolau")
    unit = Unit.objects.get(code="si-lo-lau")

    for _round in range(ROUNDS):
        est = services.estimate_create(actor=drafter, plan=plan, unit=unit, data=club_input(plan))
        services.estimate_submit(actor=drafter, estimate_id=est.pk)
        barrier = threading.Barrier(THREADS)
        outcomes: list[str] = []

        def forward(
            user: object,
            est_id: int = est.pk,
            gate: threading.Barrier = barrier,
            out: list[str] = outcomes,
        ) -> None:
            try:
                gate.wait(timeout=30)
                services.estimate_forward(actor=user, estimate_id=est_id)
                result = "ok"
            except Conflict:
                result = "conflict"
            except Exception as exc:  # recorded, and fails the assertion below
                result = f"error: {type(exc).__name__}: {exc}"
            finally:
                connection.close()
            out.append(result)

        threads = [threading.Thread(target=forward, args=(u,)) for u in reviewers]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
        assert Counter(outcomes) == {"ok": 1, "conflict": THREADS - 1}, outcomes
        est.refresh_from_db()
        assert est.status == "appraisal"
        assert AuditEntry.objects.filter(estimate=est, action="estimate.forwarded").count() == 1
        assert OutboxEvent.objects.filter(estimate=est, kind="estimate.forwarded").count() == 1
        tasks = Counter(t.flow_task.name for t in process_for(est).task_set.all())
        assert tasks["appraise"] == 1
        assert tasks["review"] == 1

    assert audit_verify() is None
