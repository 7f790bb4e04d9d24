"""The one place tests build people, estimates and what estimates are made of.

There is one way to put an estimate in a given status: :func:`estimate_in_status`. It
drafts the estimate through ``approvals.services`` and drives it there, step by step, as
the demo user of each role (``organization.demo``, loaded once per session by
tests/conftest.py). Nothing here writes a status into a row, except :func:`estimates_bulk`
(rows in bulk for query counts to wade through; see there why).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any
from zoneinfo import ZoneInfo

import time_machine
from django.contrib.auth import get_user_model
from django.contrib.auth.models import User

from approvals import services
from approvals.services import EstimateInput, LineInput
from estimates.models import Activity, Estimate, EstimateLine, EstimateStatus, Level, Plan, Source
from organization.models import Membership, Unit, UnitKind
from organization.permissions import access_sync

S = EstimateStatus

# --------------------------------------------------------------------------------------
# People


def api_key(user: Any, name: str = "tests") -> str:
    """A new API token's key for ``user`` (as issued after the second factor)."""
    from accounts.tokens import token_issue

    return token_issue(user, name=name)[1]


#: Who drives each step in :func:`estimate_in_status` (usernames of organization.demo).
REVIEWER = "hoi.huyen"
APPRAISER = "tckh"
APPROVER = "pho.chutich"
ACCOUNTANT = "ketoan"
VERIFIER = APPRAISER  # Finance-Planning appraises and verifies settlements (plan, V.2)

#: The demo user who drafts for each territorial unit (organization.demo).
DRAFTERS = {"si-lo-lau": "hoi.silolau", "nam-xe": "hoi.namxe", "phong-tho": "hoi.huyen"}


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


def demo_user(user: str | Any) -> Any:
    """A user given by username (or the user itself)."""
    if isinstance(user, str):
        return get_user_model().objects.get(username=user)
    return user


# --------------------------------------------------------------------------------------
# What an estimate is made of


def plan_default() -> Plan:
    """The newest plan (the reference plan of tests/conftest.py)."""
    plan = Plan.objects.order_by("-year", "-issued_on").first()
    if plan is None:
        raise RuntimeError("Load a plan first (use the `plan` fixture).")
    return plan


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


def lines_of(*amounts: tuple[str, int]) -> list[LineInput]:
    """One line of exactly ``amount`` đồng per (source, amount)."""
    return [
        line_input(
            description=f"Khoản chi {n}",
            unit_of_measure="gói",
            quantity=1,
            unit_price=amount,
            source=source,
        )
        for n, (source, amount) in enumerate(amounts, start=1)
    ]


def estimate_input(
    plan: Plan,
    unit: Unit,
    *,
    lines: Sequence[LineInput] | None = None,
    village_ids: Sequence[int] | None = None,
    **overrides: Any,
) -> EstimateInput:
    """A family-violence outreach event of ``unit``, in two of its villages: 3.000.000 ₫
    current-year (line 1, 2 × 1.500.000) and 2.000.000 ₫ carried-over (line 2,
    50 × 20.000 × 2)."""
    level = plan.level_for_unit(unit) or "district"
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


def club_line(**kw: Any) -> LineInput:
    values: dict[str, Any] = {
        "description": "Nước uống cho người tham dự",
        "unit_of_measure": "người",
        "quantity": 30,
        "unit_price": 20_000,
        "times": 2,
        "source": "current",
    }
    values.update(kw)
    return LineInput(**values)


def club_input(plan: Plan, **kw: Any) -> EstimateInput:
    """A meeting of the "Leaders of change" club (activity 3.2): 1.200.000 ₫ current-year
    (30 × 20.000 × 2) and 450.000 ₫ carried-over (30 × 15.000), no village."""
    values: dict[str, Any] = {
        "activity_id": Activity.objects.get(content__plan=plan, code="3.2").pk,
        "title": "Sinh hoạt CLB Thủ lĩnh của sự thay đổi",
        "start_date": dt.date(2024, 6, 1),
        "end_date": dt.date(2024, 6, 2),
        "lines": [
            club_line(),
            club_line(
                description="Tài liệu",
                unit_of_measure="bộ",
                quantity=30,
                unit_price=15_000,
                times=1,
                source="carried",
            ),
        ],
    }
    values.update(kw)
    return EstimateInput(**values)


# --------------------------------------------------------------------------------------
# Estimates in a given status, through the services

#: When the factories' vice chair approves: in the plan's year, before every payment the
#: tests record (from 03/06/2024 on). A payment is never dated before its approval
#: (``approvals.services.estimate_disburse``), as in an office's real order of things.
APPROVED_AT = dt.datetime(2024, 6, 1, 9, 0, tzinfo=ZoneInfo("Asia/Ho_Chi_Minh"))
#: The same for the example two-tier plan of 2025 (its tests pay from 03/09/2025 on).
EXAMPLE_APPROVED_AT = dt.datetime(2025, 9, 1, 9, 0, tzinfo=ZoneInfo("Asia/Ho_Chi_Minh"))

#: The steps from a draft to each status, for a commune estimate. A district estimate is
#: submitted straight to appraisal (no review) and returned by Finance-Planning.
PATHS: dict[str, tuple[str, ...]] = {
    S.DRAFT: (),
    S.WITHDRAWN: ("withdraw",),
    S.REVIEW: ("submit",),
    S.RETURNED: ("submit", "return"),
    S.APPRAISAL: ("submit", "forward"),
    S.APPROVAL: ("submit", "forward", "appraise"),
    S.APPROVED: ("submit", "forward", "appraise", "approve"),
    S.SETTLEMENT: ("submit", "forward", "appraise", "approve", "settle"),
    S.CLOSED: ("submit", "forward", "appraise", "approve", "settle", "verify"),
}


def estimate_in_status(
    status: str = S.DRAFT,
    *,
    plan: Plan | None = None,
    drafter: str | Any | None = None,
    unit_code: str | None = None,
    level: str = Level.COMMUNE,
    data: EstimateInput | None = None,
    **fields: Any,
) -> Estimate:
    """An estimate drafted by ``drafter`` and driven to ``status`` through
    ``approvals.services``, each step by the demo user whose role takes it: submitted and
    settled by the drafter, forwarded or returned (from review) by the district Women's
    Union (``hoi.huyen``), appraised by Finance-Planning (``tckh``, no cut) which also
    returns a district estimate and verifies settlements, approved by the vice chair
    (``pho.chutich``). Withdrawn is withdrawn as a draft; settlement (and closed) is settled
    with nothing disbursed, every line spent 0.

    The unit is ``unit_code``, else the district for ``level="district"``, else the
    drafter's commune; the drafter defaults to the demo officer of that unit
    (``hoi.silolau`` for Sì Lở Lầu). ``data`` is the input as typed (default
    :func:`estimate_input`, with ``fields`` as its overrides, e.g. ``lines=lines_of(...)``).
    """
    if status not in PATHS:
        raise ValueError(f"estimate_in_status cannot reach {status!r}")
    plan = plan or plan_default()
    if unit_code is None and drafter is None:
        unit_code = "phong-tho" if level == Level.DISTRICT else "si-lo-lau"
    if drafter is None:
        drafter = DRAFTERS[unit_code]  # type: ignore[index]
    drafter = demo_user(drafter)
    if unit_code is not None:
        unit = Unit.objects.get(code=unit_code)
    elif level == Level.DISTRICT:
        unit = plan.area
    else:
        unit = drafter.memberships.select_related("unit__parent").get().unit.territory()
    if data is None:
        data = estimate_input(plan, unit, **fields)
    elif fields:
        raise TypeError("give either data or the fields of the default input")
    estimate = services.estimate_create(actor=drafter, plan=plan, unit=unit, data=data)
    district = estimate.level == Level.DISTRICT
    if district and status == S.REVIEW:
        raise ValueError("a district estimate is never in review: it goes to appraisal")
    pk = estimate.pk
    for step in PATHS[status]:
        if step == "withdraw":
            services.estimate_withdraw(actor=drafter, estimate_id=pk, reason="Không thực hiện nữa")
        elif step == "submit":
            services.estimate_submit(actor=drafter, estimate_id=pk)
        elif step == "return":
            returner = APPRAISER if district else REVIEWER
            services.estimate_return(
                actor=demo_user(returner), estimate_id=pk, reason="Thiếu danh sách thôn"
            )
        elif step == "forward" and not district:
            services.estimate_forward(actor=demo_user(REVIEWER), estimate_id=pk)
        elif step == "appraise":
            services.estimate_appraise(actor=demo_user(APPRAISER), estimate_id=pk)
        elif step == "approve":
            with time_machine.travel(APPROVED_AT, tick=False):
                services.estimate_approve(actor=demo_user(APPROVER), estimate_id=pk)
        elif step == "settle":
            services.estimate_settle(
                actor=drafter,
                estimate_id=pk,
                lines=[{"line_id": line.pk, "spent": 0} for line in estimate.lines.all()],
            )
        elif step == "verify":
            services.estimate_verify_settlement(actor=demo_user(VERIFIER), estimate_id=pk)
    estimate = Estimate.objects.get(pk=pk)
    assert estimate.status == status, (estimate.status, status)
    return estimate


def estimates_in_status(
    count: int, *, statuses: Sequence[str] = (S.DRAFT,), **kw: Any
) -> list[Estimate]:
    """``count`` estimates, cycling through ``statuses``, all through the services."""
    return [estimate_in_status(statuses[i % len(statuses)], **kw) for i in range(count)]


def estimate_amended(plan: Plan | None = None, drafter: str = "hoi.silolau") -> Estimate:
    """An approved estimate of ``drafter``'s commune whose amendment (one more participant
    on its one line, 5,000,000 → 6,000,000 đồng) waits for review by the district Women's
    Union: the estimate stays ``approved``, and is in that union's inbox and queue."""
    amended = estimate_in_status(
        S.APPROVED, plan=plan, drafter=drafter, lines=lines_of(("current", 5_000_000))
    )
    line = amended.lines.get()
    services.amendment_propose(
        actor=demo_user(drafter),
        estimate_id=amended.pk,
        lines=[services.AmendmentLineInput(line.pk, 1, 6_000_000, 1)],
        start_date=amended.start_date,
        end_date=amended.end_date,
        reason="Thêm người tham dự",
    )
    return amended


#: (status, drafter) of the commune estimates of ``estimates_at_every_stage``, the stages
#: mixed in the order they are made.
EVERY_STAGE = (
    (S.REVIEW, "hoi.silolau"),
    (S.DRAFT, "hoi.silolau"),
    (S.APPRAISAL, "hoi.namxe"),
    (S.REVIEW, "hoi.namxe"),
    (S.SETTLEMENT, "hoi.silolau"),
    (S.RETURNED, "hoi.silolau"),
    (S.APPRAISAL, "hoi.silolau"),
    (S.REVIEW, "hoi.silolau"),
    (S.SETTLEMENT, "hoi.namxe"),
    (S.APPROVAL, "hoi.silolau"),
    (S.DRAFT, "hoi.namxe"),
    (S.REVIEW, "hoi.namxe"),
)


def estimates_at_every_stage(plan: Plan | None = None) -> list[Estimate]:
    """Estimates waiting at every stage of several roles, in two communes
    (``EVERY_STAGE``) and at the district (a draft, one in appraisal), and an approved one
    whose amendment waits for the district Women's Union (``estimate_amended``)."""
    made = [
        estimate_in_status(status, plan=plan, drafter=drafter) for status, drafter in EVERY_STAGE
    ]
    made.append(estimate_in_status(S.DRAFT, plan=plan, level=Level.DISTRICT))
    made.append(estimate_in_status(S.APPRAISAL, plan=plan, level=Level.DISTRICT))
    made.append(estimate_amended(plan))
    return made


# --------------------------------------------------------------------------------------
# Forms as posted, and rows in bulk


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


def estimates_bulk(like: Estimate, count: int, statuses: Sequence[str] = ("review",)) -> None:
    """Many more estimates like ``like`` (same plan, unit, activity; one 100 đồng line each),
    cycling through ``statuses``, written in bulk: rows for pages and queries to wade
    through, not estimates to act on (they have no flow process, no audit entry and no
    money in the ledger).

    The one place a status is written straight into rows, on purpose: the query-count tests
    need hundreds of rows to show that a page's queries do not grow with the data, and
    driving 400 estimates through the services would take minutes for rows nobody acts on.
    """
    rows = Estimate.objects.bulk_create(
        [
            Estimate(
                plan=like.plan,
                number=f"BULK-{like.pk}-{n}",
                level=like.level,
                unit=like.unit,
                content=like.content,
                activity=like.activity,
                title=f"Bulk {n}",
                start_date=like.start_date,
                end_date=like.end_date,
                status=statuses[n % len(statuses)],
                total_amount=100,
                created_by=like.created_by,
            )
            for n in range(count)
        ]
    )
    EstimateLine.objects.bulk_create(
        [
            EstimateLine(
                estimate=e,
                position=1,
                description="x",
                unit_of_measure="x",
                quantity=1,
                unit_price=100,
                times=1,
                source="current",
                amount=100,
            )
            for e in rows
        ]
    )
