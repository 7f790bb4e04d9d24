"""Which transitions a user's roles allow on an estimate in its current status: a hint for
clients (the tasks list, the ``actions`` of an estimate). It reads the same object
permissions as the services; the services decide, and also check segregation of duties."""

from __future__ import annotations

from typing import Any

from approvals.access import unit_ids_with
from estimates.models import Estimate
from estimates.models import EstimateStatus as S
from organization import permissions as perms

#: status -> [(permission on estimate.unit, actions it opens)], in the order of the chain.
ACTIONS: dict[str, list[tuple[str, tuple[str, ...]]]] = {
    S.DRAFT: [(perms.DRAFT, ("update", "submit", "withdraw"))],
    S.RETURNED: [(perms.DRAFT, ("update", "submit", "withdraw"))],
    S.REVIEW: [(perms.REVIEW, ("forward", "return")), (perms.DRAFT, ("withdraw",))],
    S.APPRAISAL: [(perms.APPRAISE, ("appraise", "return")), (perms.DRAFT, ("withdraw",))],
    S.APPROVAL: [(perms.APPROVE, ("approve", "return")), (perms.DRAFT, ("withdraw",))],
    S.APPROVED: [(perms.DISBURSE, ("disburse",)), (perms.DRAFT, ("settle",))],
    S.SETTLEMENT: [(perms.VERIFY, ("verify-settlement",))],
}

ACTION_NAMES = [
    "update",
    "submit",
    "forward",
    "return",
    "appraise",
    "approve",
    "withdraw",
    "disburse",
    "settle",
    "verify-settlement",
]


def actions_for(user: Any, estimate: Estimate) -> list[str]:
    """The actions ``user``'s roles open on ``estimate`` now (no query per estimate: the
    permission sets are cached on the user for the request)."""
    found: list[str] = []
    for codename, names in ACTIONS.get(estimate.status, []):
        if estimate.unit_id in unit_ids_with(user, codename):
            found.extend(name for name in names if name not in found)
    return found
