"""Races on PostgreSQL with real threads and a barrier: the ledger never overspends.

Each thread opens its own connection and transaction, locks the estimate as the approvals
services will (``select_for_update``), calls the ledger, and closes its connection.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connections, transaction

from core.errors import RuleViolation
from estimates.models import Estimate, Plan
from ledger.models import Disbursement, EstimateAccount
from ledger.selectors import cell_balances, ledger_reconcile
from ledger.services import disbursement_record, ledger_release, ledger_reserve
from tests.factories import estimate_in_status, lines_of

pytestmark = pytest.mark.django_db(transaction=True)


def race(jobs: list[Callable[[], None]]) -> Counter[str]:
    """Run the jobs in threads released together by a barrier; count the outcomes."""
    barrier = threading.Barrier(len(jobs))
    outcomes: list[str] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def run(job: Callable[[], None]) -> None:
        try:
            Estimate.objects.exists()  # open this thread's connection before the start
            barrier.wait(timeout=30)
            job()
            outcome = "ok"
        except RuleViolation:
            outcome = "refused"
        except BaseException as exc:  # reported to the test below
            outcome = "error"
            with lock:
                errors.append(exc)
        finally:
            connections.close_all()
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=run, args=(job,)) for job in jobs]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors, errors
    return Counter(outcomes)


def disburse_job(
    estimate_pk: int, actor: Any, amount: int, *, lock_estimate: bool
) -> Callable[[], None]:
    def job() -> None:
        with transaction.atomic():
            if lock_estimate:
                estimate = Estimate.objects.select_for_update().get(pk=estimate_pk)
            else:
                estimate = Estimate.objects.get(pk=estimate_pk)
            disbursement_record(
                estimate=estimate,
                actor=actor,
                kind="payment",
                paid_on=dt.date(2024, 6, 1),
                amount=amount,
                source="current",
                document_type="withdrawal_order",
                document_number="KB",
                payee="Xã",
            )

    return job


@pytest.mark.parametrize(("lock_estimate", "rounds"), [(True, 20), (False, 5)])
def test_twenty_disbursements_of_a_tenth_each(
    users: dict[str, Any], plan: Plan, lock_estimate: bool, rounds: int
) -> None:
    """20 requests of 1/10 each, 20 rounds: exactly 10 go through and they add up to the
    approved amount. Without the caller's estimate lock the ledger's own locks still hold."""
    actor = users["ketoan"]
    approved = 123_456_780  # 20 rounds fit in the commune current-year cell
    for _round in range(rounds):
        estimate = estimate_in_status("approved", lines=lines_of(("current", approved)))
        jobs = [
            disburse_job(estimate.pk, actor, approved // 10, lock_estimate=lock_estimate)
            for _ in range(20)
        ]
        outcomes = race(jobs)
        assert outcomes == Counter({"ok": 10, "refused": 10})
        paid = Disbursement.objects.filter(estimate=estimate).values_list("amount", flat=True)
        assert sum(paid) == approved
        assert EstimateAccount.objects.get(estimate=estimate).disbursed == sum(paid)
    assert ledger_reconcile(plan) == []


def test_two_reservations_with_room_for_one(users: dict[str, Any], plan: Plan) -> None:
    """The commune carried-over cell holds 1.770.170.000: of two estimates of a billion
    forwarded at once, exactly one is reserved."""
    actor = users["tckh"]
    for _round in range(10):
        pair = [
            estimate_in_status("appraisal", lines=lines_of(("carried", 1_000_000_000)))
            for _ in range(2)
        ]

        def reserve_job(pk: int) -> Callable[[], None]:
            def job() -> None:
                with transaction.atomic():
                    estimate = Estimate.objects.select_for_update().get(pk=pk)
                    ledger_reserve(estimate=estimate, actor=actor)

            return job

        assert race([reserve_job(e.pk) for e in pair]) == Counter({"ok": 1, "refused": 1})
        carried = {(c.level, c.source): c for c in cell_balances(plan)}["commune", "carried"]
        assert carried.reserved == 1_000_000_000
        for estimate in pair:
            ledger_release(estimate=estimate, actor=actor)
    assert ledger_reconcile(plan) == []
