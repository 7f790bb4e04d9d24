"""Loading the register's reference data (``data/register.yaml``): the ethnic groups, the
plan's priority groups and the activities that keep a beneficiary list. Idempotent: rows
are matched by code, and a name an administrator changed is kept."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from django.db import transaction

from estimates.models import Activity

from .models import Ethnicity, PriorityGroup, RegisterActivity

DEFAULT_FILE = Path(__file__).resolve().parent / "data" / "register.yaml"


def _priority_groups(data: dict[str, Any]) -> int:
    made_count = 0
    for order, row in enumerate(data.get("priority_groups") or [], start=1):
        _group, made = PriorityGroup.objects.get_or_create(
            code=row["code"],
            defaults={
                "name": row["name"],
                "counts_minority": bool(row.get("counts_minority", False)),
                "safe_birth_eligible": bool(row.get("safe_birth_eligible", False)),
                "sort_order": order,
            },
        )
        made_count += made
    return made_count


@transaction.atomic
def priority_groups_load(path: Path = DEFAULT_FILE) -> int:
    """Only the plan's priority groups (what the progress reports count by); returns how
    many were created."""
    data: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return _priority_groups(data)


@transaction.atomic
def register_data_load(path: Path = DEFAULT_FILE) -> dict[str, int]:
    """Create what is missing; returns how many rows were created. An activity of a plan
    that is not loaded is skipped."""
    data: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    created = {"ethnicities": 0, "priority_groups": 0, "register_activities": 0}
    for order, row in enumerate(data.get("ethnicities") or [], start=1):
        _obj, made = Ethnicity.objects.get_or_create(
            code=row["code"],
            defaults={
                "name": row["name"],
                "is_minority": bool(row.get("minority", True)),
                "sort_order": order,
            },
        )
        created["ethnicities"] += made
    created["priority_groups"] = _priority_groups(data)
    for row in data.get("register_activities") or []:
        activity = Activity.objects.filter(
            content__plan__number=row["plan"], code=str(row["activity"])
        ).first()
        if activity is None:
            continue
        _register, made = RegisterActivity.objects.get_or_create(
            activity=activity, defaults={"min_age": int(row.get("min_age", 18))}
        )
        created["register_activities"] += made
    return created
