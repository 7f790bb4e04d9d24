"""Helpers that stand in for the lead's ``approvals.services`` in ledger tests.

Status changes belong to ``approvals.services``; until it lands, these helpers set the
lines' approved amounts and the estimate's status with a queryset update, in the order the
contract describes (ledger function first, then the status).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import transaction

from estimates.models import Estimate, EstimateLine, EstimateStatus
from ledger.services import disbursement_record, ledger_commit, ledger_reserve
from tests.factories import UserFactory


@pytest.fixture
def actor(db: None) -> Any:
    return UserFactory(username="tckh-test")


def set_status(estimate: Estimate, status: str) -> Estimate:
    Estimate.objects.filter(pk=estimate.pk).update(status=status)
    estimate.refresh_from_db()
    return estimate


def forward(estimate: Estimate, actor: Any) -> Estimate:
    """Appraisal → approval: reserve, then move the status."""
    with transaction.atomic():
        locked = Estimate.objects.select_for_update().get(pk=estimate.pk)
        ledger_reserve(estimate=locked, actor=actor)
    return set_status(estimate, EstimateStatus.APPROVAL)


def approve(estimate: Estimate, actor: Any) -> Estimate:
    """Approval → approved, at the appraised amounts: commit, then move the status."""
    with transaction.atomic():
        locked = Estimate.objects.select_for_update().get(pk=estimate.pk)
        lines = EstimateLine.objects.filter(estimate=locked)
        for line in lines:
            line.approved_amount = line.appraised_amount
            line.save(update_fields=["approved_amount"])
        locked.approved_amount = sum(line.approved_amount or 0 for line in lines)
        locked.save(update_fields=["approved_amount"])
        ledger_commit(estimate=locked, actor=actor)
    return set_status(estimate, EstimateStatus.APPROVED)


def pay(estimate: Estimate, actor: Any, amount: int, **kw: Any) -> Any:
    args = {
        "kind": "payment",
        "paid_on": dt.date(2024, 6, 10),
        "source": "current",
        "document_type": "withdrawal_order",
        "document_number": "KB-001",
        "payee": "Hội LHPN xã",
    } | kw
    return disbursement_record(estimate=estimate, actor=actor, amount=amount, **args)
