"""Reusable builders for tests: people holding roles, and estimates made through the
services (never by writing a status directly), so every estimate has its audit trail and
its viewflow process like a real one.

    users = role_users()                    # the demo people, one per role
    est = estimate_drive(plan, users["hoi.silolau"], status="review")
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django.contrib.auth import get_user_model

from approvals import services
from approvals.services import EstimateInput, LineInput
from estimates.models import Activity, Estimate, EstimateStatus, Plan, Source
from organization.demo import demo_users_create
from organization.models import Unit, UnitKind

S = EstimateStatus

#: Who drives each step in ``estimate_drive`` (usernames of organization.demo).
REVIEWER = "hoi.huyen"
APPRAISER = "tckh"
APPROVER = "pho.chutich"


def role_users() -> dict[str, Any]:
    """The demo users of ``organization.demo`` (one per role), by username, with their
    memberships and object permissions in place."""
    demo_users_create()
    return {u.username: u for u in get_user_model().objects.all()}


def commune(code: str) -> Unit:
    return Unit.objects.get(code=code, kind=UnitKind.COMMUNE)


def villages_of(unit: Unit) -> list[Unit]:
    return list(unit.children.filter(kind=UnitKind.VILLAGE).order_by("sort_order", "pk"))


def activity_for(plan: Plan, level: str = "commune") -> Activity:
    """A catalogue activity runnable at ``level`` (1.1 runs at both levels)."""
    for activity in Activity.objects.filter(content__plan=plan).order_by(
        "content__sort_order", "sort_order"
    ):
        if activity.allows_level(level):
            return activity
    raise LookupError(level)


def line_input(**overrides: Any) -> LineInput:
    values: dict[str, Any] = {
        "description": "Hội trường",
        "unit_of_measure": "buổi",
        "quantity": 2,
        "unit_price": 1_500_000,
        "times": 1,
        "source": Source.CURRENT,
    }
    values.update(overrides)
    return LineInput(**values)


def estimate_input(
    plan: Plan,
    unit: Unit,
    *,
    lines: Sequence[LineInput] | None = None,
    village_ids: Sequence[int] | None = None,
    **overrides: Any,
) -> EstimateInput:
    level = "commune" if unit.kind == UnitKind.COMMUNE else "district"
    if village_ids is None:
        village_ids = [v.pk for v in villages_of(unit)[:2]]
    values: dict[str, Any] = {
        "activity_id": activity_for(plan, level).pk,
        "title": "Truyền thông phòng chống bạo lực gia đình",
        "start_date": dt.date(2024, 6, 1),
        "end_date": dt.date(2024, 6, 2),
        "purpose": "Nâng cao nhận thức",
        "village_ids": list(village_ids),
        "participants_women": 40,
        "participants_girls": 10,
        "participants_men": 5,
        "lines": list(
            lines
            if lines is not None
            else [
                line_input(),
                line_input(
                    description="Nước uống",
                    unit_of_measure="người",
                    quantity=50,
                    unit_price=20_000,
                    times=2,
                    source=Source.CARRIED,
                ),
            ]
        ),
    }
    values.update(overrides)
    return EstimateInput(**values)


def estimate_drive(
    plan: Plan,
    drafter: Any,
    *,
    unit: Unit | None = None,
    status: str = S.DRAFT,
    users: dict[str, Any] | None = None,
    **input_overrides: Any,
) -> Estimate:
    """An estimate drafted by ``drafter`` for ``unit`` (default: the drafter's only
    commune), then driven through the services to ``status``: draft, review, appraisal,
    returned (returned by review), or withdrawn. Approval and later need the ledger."""
    if unit is None:
        unit = drafter.memberships.select_related("unit__parent").get().unit.territory()
    assert unit is not None
    estimate = services.estimate_create(
        actor=drafter, plan=plan, unit=unit, data=estimate_input(plan, unit, **input_overrides)
    )
    if status == S.DRAFT:
        return estimate
    if status == S.WITHDRAWN:
        return services.estimate_withdraw(
            actor=drafter, estimate_id=estimate.pk, reason="Không thực hiện nữa"
        )
    users = users or {u.username: u for u in get_user_model().objects.all()}
    services.estimate_submit(actor=drafter, estimate_id=estimate.pk)
    if status == S.REVIEW or (status == S.APPRAISAL and estimate.level == "district"):
        return Estimate.objects.get(pk=estimate.pk)
    if status == S.RETURNED:
        return services.estimate_return(
            actor=users[REVIEWER], estimate_id=estimate.pk, reason="Thiếu danh sách thôn"
        )
    services.estimate_forward(actor=users[REVIEWER], estimate_id=estimate.pk)
    if status == S.APPRAISAL:
        return Estimate.objects.get(pk=estimate.pk)
    services.estimate_appraise(actor=users[APPRAISER], estimate_id=estimate.pk)
    if status == S.APPROVAL:
        return Estimate.objects.get(pk=estimate.pk)
    services.estimate_approve(actor=users[APPROVER], estimate_id=estimate.pk)
    if status == S.APPROVED:
        return Estimate.objects.get(pk=estimate.pk)
    raise ValueError(f"estimate_drive cannot reach {status!r}")


def estimates_drive(
    plan: Plan, drafter: Any, count: int, *, statuses: Sequence[str] = (S.DRAFT,), **kw: Any
) -> list[Estimate]:
    """``count`` estimates, cycling through ``statuses``, all through the services."""
    users = {u.username: u for u in get_user_model().objects.all()}
    return [
        estimate_drive(plan, drafter, status=statuses[i % len(statuses)], users=users, **kw)
        for i in range(count)
    ]


def estimate_form_data(
    plan: Plan,
    unit: Unit,
    *,
    lines: Sequence[dict[str, Any]] | None = None,
    initial_lines: int = 0,
    **overrides: Any,
) -> dict[str, Any]:
    """What the estimate form posts: header fields and a ``lines`` formset, as typed
    (dates dd/mm/yyyy, amounts with dots)."""
    level = "commune" if unit.kind == UnitKind.COMMUNE else "district"
    if lines is None:
        lines = [
            {
                "description": "Hội trường",
                "unit_of_measure": "buổi",
                "quantity": "2",
                "unit_price": "1.500.000",
                "times": "1",
                "source": Source.CURRENT,
            }
        ]
    data: dict[str, Any] = {
        "unit": unit.pk,
        "activity": activity_for(plan, level).pk,
        "title": "Tập huấn bình đẳng giới",
        "purpose": "",
        "start_date": "01/06/2024",
        "end_date": "02/06/2024",
        "villages": [v.pk for v in villages_of(unit)[:2]],
        "participants_women": "30",
        "participants_girls": "0",
        "participants_men": "10",
        "lines-TOTAL_FORMS": str(len(lines)),
        "lines-INITIAL_FORMS": str(initial_lines),
        "lines-MIN_NUM_FORMS": "0",
        "lines-MAX_NUM_FORMS": "200",
    }
    for i, line in enumerate(lines):
        for key, value in line.items():
            data[f"lines-{i}-{key}"] = value
    data.update(overrides)
    return data


def line_form_rows(estimate: Estimate) -> list[dict[str, Any]]:
    """The existing lines of ``estimate`` as the edit form posts them back."""
    return [
        {
            "line_id": str(line.pk),
            "description": line.description,
            "unit_of_measure": line.unit_of_measure,
            "quantity": str(line.quantity),
            "unit_price": str(line.unit_price),
            "times": str(line.times),
            "source": line.source,
        }
        for line in estimate.lines.order_by("position")
    ]
