"""Ledger tests: estimates are put in their status through the approval services
(``tests.factories.estimate_in_status``, which reserves at appraisal and commits at
approval through the ledger), then the ledger functions under test are called directly."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from ledger.services import disbursement_record


@pytest.fixture
def actor(users: dict[str, Any]) -> Any:
    """Who the ledger records as moving the money in direct calls: Finance-Planning."""
    return users["tckh"]


def pay(estimate: Any, actor: Any, amount: int, **kw: Any) -> Any:
    """A disbursement recorded by the ledger itself (what ``estimate_disburse`` calls)."""
    args = {
        "kind": "payment",
        "paid_on": dt.date(2024, 6, 10),
        "source": "current",
        "document_type": "withdrawal_order",
        "document_number": "KB-001",
        "payee": "Hội LHPN xã",
    } | kw
    return disbursement_record(estimate=estimate, actor=actor, amount=amount, **args)
