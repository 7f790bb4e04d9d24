"""Small factories for tests. Kept minimal: people with roles, and estimates."""

from __future__ import annotations

import datetime
import itertools

from django.contrib.auth.models import User
from django.utils import timezone

from estimates.models import Estimate, EstimateStatus, Level, Plan
from organization.models import Membership, Unit
from organization.permissions import access_sync

_numbers = itertools.count(1)


def user_make(username: str, *, email: str | None = None, **extra: object) -> User:
    if email is None:
        email = f"{username}@example.org"
    return User.objects.create_user(username, email=email, password="x", **extra)  # type: ignore[arg-type]


def member_make(
    username: str,
    unit_code: str,
    role: str,
    *,
    is_head: bool = False,
    email: str | None = None,
    sync: bool = True,
    **extra: object,
) -> User:
    """A user holding ``role`` in the unit ``unit_code``; access synced unless ``sync=False``."""
    user = user_make(username, email=email, first_name=username.title(), **extra)
    Membership.objects.create(
        user=user, unit=Unit.objects.get(code=unit_code), role=role, is_head=is_head
    )
    if sync:
        access_sync()
    return user


def estimate_make(
    plan: Plan,
    *,
    created_by: User,
    unit_code: str = "si-lo-lau",
    status: str = EstimateStatus.DRAFT,
    status_changed_at: datetime.datetime | None = None,
    level: str = Level.COMMUNE,
) -> Estimate:
    content = plan.contents.order_by("sort_order").first()
    assert content is not None
    activity = content.activities.order_by("sort_order").first()
    assert activity is not None
    n = next(_numbers)
    return Estimate.objects.create(
        plan=plan,
        number=f"DT-{n:04d}",
        level=level,
        unit=Unit.objects.get(code=unit_code),
        content=content,
        activity=activity,
        title=f"Estimate {n}",
        start_date=datetime.date(2024, 5, 1),
        end_date=datetime.date(2024, 6, 30),
        status=status,
        status_changed_at=status_changed_at or timezone.now(),
        created_by=created_by,
    )
