"""Two proposals of an amendment to the same approved estimate at the same instant, on
PostgreSQL with real threads: one amendment opens, the other proposal is told one is
already open (409); one audit entry, one version, the ledger untouched."""

from __future__ import annotations

import threading
from collections import Counter

import pytest
from django.contrib.auth import get_user_model
from django.db import connection

from approvals import services
from approvals.models import AuditEntry
from core.errors import Conflict
from estimates.models import Amendment, EstimateVersion, Plan
from ledger.selectors import ledger_reconcile
from tests.factories import estimate_in_status, lines_of

THREADS = 4


@pytest.mark.django_db(transaction=True)
def test_two_amendments_at_once_open_one(plan: Plan) -> None:
    drafter = get_user_model().objects.get(username="hoi.silolau")
    estimate = estimate_in_status("approved", plan=plan, lines=lines_of(("current", 10_000_000)))
    line = estimate.lines.get()
    versions = EstimateVersion.objects.filter(estimate=estimate).count()
    barrier = threading.Barrier(THREADS)
    outcomes: list[str] = []

    def propose(price: int) -> None:
        try:
            barrier.wait(timeout=30)
            services.amendment_propose(
                actor=drafter,
                estimate_id=estimate.pk,
                lines=[services.AmendmentLineInput(line.pk, 1, price, 1)],
                start_date=estimate.start_date,
                end_date=estimate.end_date,
                reason="Điều chỉnh",
            )
            result = "ok"
        except Conflict:
            result = "conflict"
        except Exception as exc:  # recorded, and fails the assertion below
            result = f"error: {type(exc).__name__}: {exc}"
        finally:
            connection.close()
        outcomes.append(result)

    threads = [threading.Thread(target=propose, args=(11_000_000 + n,)) for n in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert Counter(outcomes) == {"ok": 1, "conflict": THREADS - 1}, outcomes
    assert Amendment.objects.filter(estimate=estimate).count() == 1
    assert AuditEntry.objects.filter(estimate=estimate, action="amendment.proposed").count() == 1
    assert EstimateVersion.objects.filter(estimate=estimate).count() == versions + 1
    assert ledger_reconcile(plan) == []
