"""factory_boy factories: the one place tests build users, estimates and their lines.

The estimate factories need a loaded plan (the ``plan`` fixture): by default an estimate is
drawn on the newest plan, at commune level in its first commune, under its first activity.
"""

from __future__ import annotations

import datetime
import datetime as dt
import itertools
from typing import Any

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.utils import timezone

from estimates.models import Activity, Estimate, EstimateLine, EstimateStatus, Level, Plan, Source
from organization.models import Membership, Unit
from organization.permissions import access_sync


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.django.Password("x")


def _default_plan() -> Plan:
    plan = Plan.objects.order_by("-year", "-issued_on").first()
    if plan is None:
        raise RuntimeError("Load a plan first (use the `plan` fixture).")
    return plan


def _unit_for(obj: Any) -> Unit:
    if obj.level == Level.DISTRICT:
        return obj.plan.area
    return obj.plan.communes.order_by("sort_order").first().commune


def _activity_for(obj: Any) -> Activity:
    return (
        Activity.objects.filter(content__plan=obj.plan)
        .order_by("content__sort_order", "sort_order")
        .first()
    )


class EstimateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Estimate

    plan = factory.LazyFunction(_default_plan)
    number = factory.Sequence(lambda n: f"DT-{n:05d}")
    level = Level.COMMUNE
    unit = factory.LazyAttribute(_unit_for)
    activity = factory.LazyAttribute(_activity_for)
    content = factory.LazyAttribute(lambda o: o.activity.content)
    title = factory.Sequence(lambda n: f"Hoạt động {n}")
    start_date = dt.date(2024, 5, 1)
    end_date = dt.date(2024, 11, 30)
    created_by = factory.SubFactory(UserFactory)


class EstimateLineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = EstimateLine

    estimate = factory.SubFactory(EstimateFactory)
    position = factory.Sequence(lambda n: n + 1)
    description = factory.Sequence(lambda n: f"Khoản chi {n}")
    unit_of_measure = "người"
    quantity = 1
    unit_price = 1_000_000
    times = 1
    source = Source.CURRENT
    amount = factory.LazyAttribute(lambda o: o.quantity * o.unit_price * o.times)


def estimate_with_lines(
    *lines: tuple[str, int], status: str = "appraisal", **estimate_fields: Any
) -> Estimate:
    """An estimate with one line per (source, amount), appraised at its full amount, and
    its totals filled in. ``estimate_fields`` go to :class:`EstimateFactory`."""
    estimate = EstimateFactory(status=status, **estimate_fields)
    for position, (source, amount) in enumerate(lines, start=1):
        EstimateLineFactory(
            estimate=estimate,
            position=position,
            source=source,
            unit_price=amount,
            appraised_amount=amount,
        )
    total = sum(amount for _source, amount in lines)
    Estimate.objects.filter(pk=estimate.pk).update(total_amount=total, appraised_amount=total)
    estimate.refresh_from_db()
    return estimate


# People with roles and plain estimates (notifications, delegations).

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
