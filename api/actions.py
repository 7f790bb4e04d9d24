"""The actions a user may take on an estimate now (``actions`` of an estimate, the tasks
list): the access gate's answer (``approvals.access.actions_allowed``), which asks the same
permission and segregation-of-duties questions as the services. Names are the lifecycle
table's (``approvals.lifecycle``), which are also the API's action routes."""

from __future__ import annotations

from typing import Any

from approvals.access import actions_allowed
from approvals.lifecycle import ACTION_NAMES
from estimates.models import Estimate

__all__ = ["ACTION_NAMES", "actions_for", "actions_for_many"]


def actions_for(user: Any, estimate: Estimate) -> list[str]:
    return actions_allowed(user, [estimate])[estimate.pk]


def actions_for_many(user: Any, estimates: list[Estimate]) -> dict[int, list[str]]:
    return actions_allowed(user, estimates)
