"""Reads of the notifications app: the bell, the list, what waits for whom, what is late."""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from django.contrib.auth.models import User
from django.db.models import Q, QuerySet
from django.utils import timezone

from approvals import lifecycle
from core.pagination import BoundedPaginator, counts_up_to
from delegations.selectors import delegated_grants, delegations_offered_for
from estimates.models import Estimate, EstimateStatus
from organization.models import Unit
from organization.permissions import unit_grants_of

from .deadlines import (
    DEADLINE_STAGES,
    StageRule,
    holiday_window,
    last_late_entry,
    local_date,
    stage_clock,
    stage_rules,
    start_of_day,
)
from .models import Notification
from .recipients import actors_for
from .render import estimate_path


def unread_count(user: User) -> int:
    """The bell's number: notices neither read nor overtaken (one indexed count)."""
    return Notification.objects.filter(
        recipient_id=user.pk, read_at__isnull=True, overtaken_at__isnull=True
    ).count()


def notifications_for(user: User) -> QuerySet[Notification]:
    return Notification.objects.filter(recipient_id=user.pk).order_by("-created_at", "-pk")


def work_waiting_by_user() -> dict[int, list[int]]:
    """For each user, the estimates waiting for them to act (the daily digest): estimates in
    a stage where they hold the stage permission (or act for someone who does), and the
    drafter's returned estimates."""
    waiting: dict[int, list[int]] = defaultdict(list)
    groups: dict[tuple[str, int], list[int]] = defaultdict(list)
    rows = Estimate.objects.filter(
        status__in=[*lifecycle.ACTING_STATUSES, EstimateStatus.RETURNED]
    ).values_list("pk", "status", "unit_id", "created_by_id")
    for pk, status, unit_id, created_by_id in rows.order_by("pk"):
        if status == EstimateStatus.RETURNED:
            waiting[created_by_id].append(pk)
        else:
            groups[(status, unit_id)].append(pk)
    units = Unit.objects.in_bulk({unit_id for _, unit_id in groups})
    for (status, unit_id), pks in groups.items():
        for user in actors_for(lifecycle.STATUS_PERMISSIONS[status], units[unit_id]):
            waiting[user.pk].extend(pks)
    return {user_id: sorted(set(pks)) for user_id, pks in waiting.items()}


@dataclass(frozen=True)
class OverdueItem:
    estimate: Estimate
    deadline: datetime.date
    days_late: int
    url: str


def _stage_units(user: User, on: datetime.date) -> dict[str, set[int]]:
    """Per deadline stage, the units where ``user`` holds the stage permission, through their
    role groups or as a delegate acting for someone today: from the grants kept between
    requests, and for a delegate what the delegated roles hold (no query for a user whose
    grants are kept and who is nobody's delegate)."""
    codenames = {lifecycle.STATUS_PERMISSIONS[s]: s for s in DEADLINE_STAGES}
    found: dict[str, set[int]] = defaultdict(set)
    for codename, unit_ids in unit_grants_of(user).items():
        if codename in codenames:
            found[codenames[codename]] |= unit_ids
    delegations = delegations_offered_for(user, on)
    for _group, codename, unit_id in delegated_grants(delegations):
        if codename in codenames:
            found[codenames[codename]].add(unit_id)
    return found


#: The columns an overdue row reads (``OverdueWork.estimates``).
OVERDUE_FIELDS = ("number", "title", "status", "status_changed_at", "unit__name")

#: A stage's tab counts its late estimates up to this ("1000+").
COUNT_UP_TO = BoundedPaginator.LIMIT


@dataclass(frozen=True)
class OverdueStage:
    status: str
    label: str
    count: int


@dataclass(frozen=True)
class OverdueWork:
    """What is late where a user acts, stage by stage, selected in SQL: per stage, the
    estimates of the user's units that entered it on or before the last day that makes
    them late today (``deadlines.last_late_entry``). Only the rows shown get their
    deadline worked out."""

    today: datetime.date
    rules: dict[str, StageRule]
    holidays: frozenset[datetime.date]
    where: dict[str, Q]

    def stages(self) -> list[OverdueStage]:
        """The stages where the user acts, in lifecycle order, each with its number of
        late estimates counted up to ``COUNT_UP_TO`` (one query)."""
        if not self.where:
            return []
        # Each stage's count walks the index on (status, entered) and stops at the tabs'
        # limit ("1000+"): a district's 20,000 late estimates were counted every visit.
        counts = counts_up_to(
            {status: Estimate.objects.filter(q) for status, q in self.where.items()},
            COUNT_UP_TO,
        )
        return [
            OverdueStage(status, str(EstimateStatus(status).label), counts[status] or 0)
            for status in DEADLINE_STAGES
            if status in self.where
        ]

    def estimates(self, status: str) -> QuerySet[Estimate]:
        """The late estimates of one stage, most late first (entered the longest ago)."""
        q = self.where.get(status)
        if q is None:
            return Estimate.objects.none()
        # Only what the list shows and the deadline needs: a row of every column (the
        # purpose, the villages' text…) cost more to read than to show.
        return (
            Estimate.objects.filter(q)
            .select_related("unit")
            .only(*OVERDUE_FIELDS)
            .order_by("status_changed_at", "pk")
        )

    def items(self, estimates: Iterable[Estimate]) -> list[OverdueItem]:
        """Each estimate with its deadline and working days late, worked out once per
        stage and local day of entry (a page's rows share a few)."""
        items = []
        clocks: dict[tuple[str, datetime.date], tuple[datetime.date, int] | None] = {}
        for estimate in estimates:
            assert estimate.status_changed_at is not None  # noqa: S101 - filtered in SQL
            key = (estimate.status, local_date(estimate.status_changed_at))
            if key not in clocks:
                clock = stage_clock(
                    stage=estimate.status,
                    entered_at=estimate.status_changed_at,
                    today=self.today,
                    rules=self.rules,
                    holidays=self.holidays,
                )
                clocks[key] = None if clock is None else (clock.deadline, clock.days_late)
            found = clocks[key]
            if found is not None:
                items.append(OverdueItem(estimate, *found, estimate_path(estimate.pk)))
        return items


def overdue_work(user: User, today: datetime.date | None = None) -> OverdueWork:
    """Where ``user`` acts (role groups and delegations of today), what is late on ``today``."""
    today = today or timezone.localdate()
    rules = stage_rules()
    holidays = holiday_window(today)
    where: dict[str, Q] = {}
    for stage, unit_ids in _stage_units(user, today).items():
        rule = rules.get(stage)
        if rule is None:
            continue
        before = start_of_day(last_late_entry(rule, today, holidays) + datetime.timedelta(days=1))
        where[stage] = Q(status=stage, unit_id__any=sorted(unit_ids), status_changed_at__lt=before)
    return OverdueWork(today, rules, holidays, where)


def overdue_for_user(user: User, today: datetime.date | None = None) -> list[OverdueItem]:
    """Every estimate past its stage deadline where ``user`` acts, most late first (the
    overdue page shows them a stage and a page at a time: ``overdue_work``)."""
    work = overdue_work(user, today)
    items = [item for status in work.where for item in work.items(work.estimates(status))]
    items.sort(key=lambda item: (-item.days_late, item.deadline, item.estimate.pk))
    return items
