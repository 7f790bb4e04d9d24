"""The one access gate: who may see an estimate, and who may act on it, in which capacity.

Visibility and rights come from django-guardian object permissions on the estimate's unit,
held by role groups (``organization.permissions``). A superuser is not exempt: acting on an
estimate needs a role that grants it, and segregation of duties binds everybody.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass
from functools import reduce
from typing import TYPE_CHECKING, Any

from django.db import connection
from django.db.models import Exists, Field, OuterRef, Q, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from core.db import CompiledQueries
from core.errors import Forbidden
from core.pagination import keyed_on_union, limits_union_parts
from core.transactions import prepared
from delegations.selectors import (
    acting_for_in,
    acting_for_options,
    delegated_grants,
    delegations_offered_for,
)
from estimates.models import Amendment, Estimate, Plan
from estimates.tally import tally_available, tally_count
from organization import permissions as perms
from organization.models import Role
from organization.permissions import unit_grants_of

from . import lifecycle
from .models import AuditEntry, Stage

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

    AnyUser = AbstractBaseUser | AnonymousUser

#: Who holds which permission on which unit (role groups only): the gate's one answer,
#: kept with the grants in ``organization.permissions``.
unit_ids_with = perms.unit_ids_with


def envelope_unit_ids(user: AnyUser) -> frozenset[int]:
    """The communes whose share of the commune-level envelope ``user`` may set: the
    district Women's Union (review) and Finance-Planning (appraisal)."""
    return unit_ids_with(user, perms.APPRAISE) | unit_ids_with(user, perms.REVIEW)


def follows_advances(user: AnyUser) -> bool:
    """Whether ``user`` follows advances (the accountant who pays them, Finance-Planning
    who verifies settlements)."""
    return bool(unit_ids_with(user, perms.DISBURSE) or unit_ids_with(user, perms.VERIFY))


def estimate_list_for_user(user: AnyUser) -> QuerySet[Estimate]:
    """Every estimate the user may read."""
    return Estimate.objects.filter(unit_id__any=unit_ids_with(user, perms.VIEW))


def inbox_stages(
    user: AnyUser, statuses: Collection[str] | None = None
) -> dict[str, frozenset[int]]:
    """The statuses in which the user acts (among ``statuses``), each with the units where
    they do (from the cached grants: no query)."""
    return {
        status: unit_ids
        for status, codename in lifecycle.STATUS_PERMISSIONS.items()
        if (unit_ids := unit_ids_with(user, codename)) and (statuses is None or status in statuses)
    }


def inbox_amendments(
    user: AnyUser, statuses: Collection[str] | None = None
) -> QuerySet[Amendment] | None:
    """The open amendments (of estimates in one of ``statuses``) waiting in one of the
    user's stages, unread (a caller reads them or uses them as a subquery); None when the
    user has no such stage (from the cached grants: no query)."""
    stages = [
        Q(status=status, estimate__unit_id__any=unit_ids)
        for status, codename in lifecycle.AMENDMENT_STATUS_PERMISSIONS.items()
        if (unit_ids := unit_ids_with(user, codename))
    ]
    if not stages:
        return None
    amending = reduce(operator.or_, stages)
    if statuses is not None:
        amending &= Q(estimate__status__in=list(statuses))
    return Amendment.objects.filter(amending)


def inbox_amended_ids(user: AnyUser, statuses: Collection[str] | None = None) -> list[int]:
    """The estimates (in one of ``statuses``) whose open amendment waits in one of the
    user's stages: one query when the user has such a stage, none otherwise."""
    amendments = inbox_amendments(user, statuses)
    if amendments is None:
        return []
    with prepared():  # the few open amendments, then their estimates by key
        return list(amendments.values_list("estimate_id", flat=True))


#: The inbox's order: the longest waiting first, the key breaking ties.
INBOX_ORDER = ("status_changed_at", "pk")


def inbox_first(
    user: AnyUser,
    queryset: QuerySet[Estimate],
    rows: int,
    *,
    statuses: Collection[str] | None = None,
    plan_id: int | None = None,
    unit_id: int | None = None,
) -> QuerySet[Estimate]:
    """``queryset`` (the user's inbox, ``estimate_inbox_for_user(user, statuses)`` with
    the optional filters, ordered by :data:`INBOX_ORDER`) kept to its first ``rows`` rows,
    found one stage at a time: each stage's estimates from its status's index of the
    waiting date (``estimate_status_waiting``), limited to ``rows``, and the estimates
    whose amendment waits, merged in one ``UNION ALL`` that the query keys on.

    PostgreSQL cannot merge one ordered index scan per status of the inbox's ``OR``: a
    role acting at several stages (the district Women's Union drafts, takes back and
    reviews; Finance-Planning appraises and verifies) walked the index of every
    estimate's waiting date past the other statuses' rows (12 ms at 100,000 estimates,
    3 ms this way). Every one of the first ``rows`` rows of the inbox is among the first
    ``rows`` of its own stage, so the page read from here is the same page. ``queryset``
    is returned unchanged where one ordered read already does (one stage: the approver's
    inbox walks its status's index, its few amended estimates by key) and where the
    database cannot limit the parts of a union (SQLite)."""
    if not limits_union_parts(queryset):
        return queryset
    stages = inbox_stages(user, statuses)
    if len(stages) < 2:
        return queryset
    amendments = inbox_amendments(user, statuses)
    narrow = {key: value for key, value in (("plan_id", plan_id), ("unit_id", unit_id)) if value}
    parts = [
        Estimate.objects.filter(status=status, unit_id__any=unit_ids, **narrow)
        .order_by(*INBOX_ORDER)
        .values("pk")[:rows]
        for status, unit_ids in stages.items()
    ]
    if amendments is not None:  # a few open amendments: all of them
        waiting = amendments.values("estimate_id")
        parts.append(Estimate.objects.filter(pk__in=waiting).order_by().values("pk"))
    return keyed_on_union(queryset, parts)


def estimate_inbox_for_user(
    user: AnyUser, statuses: Collection[str] | None = None
) -> QuerySet[Estimate]:
    """Estimates waiting for something the user may do, the estimate itself or its open
    amendment (one query per permission, and one for the amendments waiting in the user's
    stages); with ``statuses``, only those in one of them (the others' conditions left out,
    so that the database is not asked to scan for estimates no condition can give).

    The amendments are read first, as a list of estimate ids: an ``EXISTS`` inside the
    ``OR`` of the stages cannot use an index, so PostgreSQL would test every estimate the
    user may see (a district role's inbox counted 100,000 rows in 39 ms; with the ids, a
    bitmap of the indexes in 7 ms). Open amendments are few."""
    condition = inbox_condition(inbox_stages(user, statuses), inbox_amended_ids(user, statuses))
    queryset = Estimate.objects.filter(condition)
    return queryset if statuses is None else queryset.filter(status__in=list(statuses))


def inbox_count(
    user: AnyUser,
    *,
    plan_id: int | None = None,
    status: str | None = None,
    unit_id: int | None = None,
) -> int | None:
    """The exact number of estimates in the user's inbox (``estimate_inbox_for_user``, with
    the optional filters), from the estimates' tally: a district role's 20,000 waiting
    are not read to be counted. The estimates whose open amendment waits for the user
    and that are not already waiting in one of their stages are counted by key. None
    where the tally is not kept (SQLite): count the inbox itself."""
    if not tally_available():
        return None
    statuses = [status] if status else None
    waiting = inbox_condition(inbox_stages(user, statuses), [])
    counted = tally_count(waiting, plan_id=plan_id, unit_id=unit_id)
    amended = inbox_amended_ids(user, statuses)
    if amended:
        more = Estimate.objects.filter(pk__in=amended).exclude(waiting)
        if plan_id is not None:
            more = more.filter(plan_id=plan_id)
        if unit_id is not None:
            more = more.filter(unit_id=unit_id)
        counted += more.count()
    return counted


def inbox_condition(stages: dict[str, frozenset[int]], amended: list[int]) -> Q:
    """The estimates of the user's ``stages`` (``inbox_stages``) and ``amended``
    (``inbox_amended_ids``), as one condition."""
    condition = Q(pk__in=[])
    for status, unit_ids in stages.items():
        condition |= Q(status=status, unit_id__any=unit_ids)
    if amended:
        condition |= Q(pk__in=amended)
    return condition


#: The estimate read by key with the related rows a page names (``access_estimate``'s
#: ``related``): compiled once per connection and shape, prepared by PostgreSQL.
_BY_KEY = CompiledQueries()
#: Keys beyond this are no estimate's (a bigint column): a 404, not a database error.
_KEY_MAX = 2**63 - 1


def access_estimate(
    user: AnyUser,
    pk: int | str,
    *,
    perm: str = perms.VIEW,
    queryset: QuerySet[Estimate] | None = None,
    related: tuple[str, ...] = (),
) -> Estimate:
    """Fetch an estimate for a user: 404 if it does not exist or they may not see it (the
    same answer, so another commune's estimates cannot be probed), 403 if they may see it
    but lack ``perm``. ``related``: the related rows read with it (``select_related``);
    ``queryset``: a queryset of another shape to read it from."""
    try:
        pk_int = int(pk)
    except (TypeError, ValueError):
        raise Http404 from None
    if queryset is None:
        if not 0 < pk_int <= _KEY_MAX:
            raise Http404(_("No such estimate."))

        def build(key: int) -> QuerySet[Estimate]:
            by_key = Estimate.objects.filter(pk=key)
            return by_key.select_related(*related) if related else by_key

        # Read by key through a statement compiled once (Django built a read of up to ten
        # joined tables in 1.7 ms, PostgreSQL answers in a fraction of one), then checked
        # against the user's units: the same rows and answers as filtering on them.
        with prepared():
            found = _BY_KEY.fetch(("estimate", related), build, [pk_int])
        visible = found and found[0].unit_id in unit_ids_with(user, perms.VIEW)
        estimate = found[0] if visible else None
    else:
        # Prepared: a read by key of up to ten joined tables took 3.6 ms to plan.
        with prepared():
            estimate = queryset.filter(
                pk=pk_int, unit_id__any=unit_ids_with(user, perms.VIEW)
            ).first()
    if estimate is None:
        raise Http404(_("No such estimate."))
    if perm != perms.VIEW and estimate.unit_id not in unit_ids_with(user, perm):
        raise Forbidden(
            _("Your role does not allow this on this estimate."), estimate_id=estimate.pk
        )
    return estimate


@dataclass(frozen=True)
class Authority:
    """Who acts, in which role and unit, possibly for a colleague (delegation)."""

    actor: Any
    role: str
    agency_code: str
    unit_name: str
    acting_for: Any = None

    @property
    def role_label(self) -> str:
        return str(Role(self.role).label) if self.role in Role.values else self.role


def authority_check(
    *,
    actor: Any,
    estimate: Estimate,
    codename: str,
    stage: str,
    acting_for: Any = None,
    earlier: set[str] | None = None,
) -> Authority:
    """May ``actor`` use ``codename`` on this estimate at ``stage``? Returns the capacity
    in which they act, or raises Forbidden with a message for the user."""
    if not actor.is_authenticated or not actor.is_active:
        raise Forbidden(_("Log in to do this."), estimate_id=estimate.pk)
    if estimate.unit_id not in unit_ids_with(actor, perms.VIEW) and acting_for is None:
        raise Http404(_("No such estimate."))
    principal = actor
    if acting_for is not None:
        options = acting_for_options(actor, codename, estimate.unit, timezone.localdate())
        if acting_for not in options:
            raise Forbidden(
                _("You hold no delegation to act for this person on this estimate."),
                estimate_id=estimate.pk,
            )
        principal = acting_for
    granted = perms.role_granting(principal, codename, estimate.unit_id)
    if granted is None:
        raise Forbidden(
            _("Your role does not allow this on this estimate."), estimate_id=estimate.pk
        )
    role, agency_code, agency_name = granted
    people = {actor.pk, principal.pk}
    if earlier is None:
        earlier = stages_acted(estimate, people)
    problem = segregation_problem(estimate, stage, people, earlier)
    if problem is not None:
        raise Forbidden(problem, estimate_id=estimate.pk)
    return Authority(
        actor=actor,
        role=role,
        agency_code=agency_code,
        unit_name=agency_name,
        acting_for=acting_for,
    )


def conflicting_stages(stage: str) -> list[str]:
    """The stages whose acts bar a person from acting at ``stage`` (segregation of duties:
    every stage of another group)."""
    group = lifecycle.STAGE_GROUPS[stage]
    return sorted(s for s in Stage.values if lifecycle.STAGE_GROUPS.get(s) != group)


def conflict_annotations(people: set[int], stages: Iterable[str]) -> dict[str, Exists]:
    """For a query of estimates: for each of ``stages``, whether any of ``people`` acted
    at a stage that bars them from it (from the audit trail), as ``acted_against_<stage>``
    booleans; ``stages_acted`` reads them back. One small subquery per stage (a transition
    asks for its own stage only) instead of one per stage of the lifecycle."""
    by_people = Q(actor_id__in=people) | Q(acting_for_id__in=people)
    return {
        f"acted_against_{stage}": Exists(
            AuditEntry.objects.filter(
                by_people, estimate_id=OuterRef("pk"), stage__in=conflicting_stages(stage)
            )
        )
        for stage in sorted(set(stages))
    }


def stages_acted(estimate: Estimate, people: set[int], stage: str | None = None) -> set[str]:
    """The stages at which any of ``people`` acted on the estimate (from the audit trail).
    With ``stage``, when the estimate was read with ``conflict_annotations`` saying that
    nobody acted against ``stage``: none that matter for it, and no query."""
    if stage is not None and getattr(estimate, f"acted_against_{stage}", True) is False:
        return set()
    return set(
        AuditEntry.objects.filter(estimate=estimate)
        .filter(Q(actor_id__in=people) | Q(acting_for_id__in=people))
        .exclude(stage="")
        .values_list("stage", flat=True)
        .distinct()
    )


def segregation_problem(
    estimate: Estimate, stage: str, people: set[int], earlier: set[str]
) -> str | None:
    """Why ``people`` may not act at ``stage`` on the estimate (segregation of duties), or
    None. ``earlier``: the stages they already acted at."""
    breach = _segregation_breach(estimate, stage, people, earlier)
    if breach is None:
        return None
    if breach == "":
        return str(
            _(
                "You drafted or submitted this estimate: someone else must review, appraise, "
                "approve and pay it."
            )
        )
    return str(
        _(
            "You already acted on this estimate at the “%(stage)s” stage: one person "
            "cannot act on two stages of the same estimate."
        )
        % {"stage": Stage(breach).label}
    )


def _segregation_breach(
    estimate: Estimate, stage: str, people: set[int], earlier: set[str]
) -> str | None:
    """None when segregation of duties lets ``people`` act at ``stage``; else "" (they
    drafted or submitted the estimate) or the earlier stage of another group they acted
    at (the first in name order). The rule of ``segregation_problem``, without its
    message: the actions offered ask it for every row of a list."""
    group = lifecycle.STAGE_GROUPS[stage]
    if group != lifecycle.SPENDING_UNIT and (
        estimate.created_by_id in people or estimate.submitted_by_id in people
    ):
        return ""
    for earlier_stage in sorted(earlier):
        if lifecycle.STAGE_GROUPS.get(earlier_stage) != group:
            return earlier_stage
    return None


# ---------------------------------------------------------------------------------------
# The actions offered: the same questions the services will ask, without acting.


def actions_allowed(
    user: Any,
    estimates: Iterable[Estimate],
    rows_for: Callable[[Estimate], list[lifecycle.Transition]] | None = None,
) -> dict[int, list[str]]:
    """For each estimate, the lifecycle actions ``user`` may take now, in the table's
    order: the action starts from its status, ``user`` holds its permission on the unit
    (or acts for a colleague who does, under a delegation in force), and segregation of
    duties lets them act at its stage. At most three queries whatever the number of
    estimates (grants, delegations, the audit trail's stages; the grants and whether the
    user is anyone's delegate are kept between requests, so usually the stages alone),
    one more when the user holds a delegation (what the delegated roles hold), one more
    when estimates come without their plan (``_plans_attach``: an action may follow the
    plan's level); none for a user with no role. ``rows_for``: the rows that start
    now for an estimate (default: the estimate table's rows from its status;
    ``amendment_actions_allowed`` passes the amendment table's)."""
    estimates = list(estimates)
    result: dict[int, list[str]] = {e.pk: [] for e in estimates}
    if not getattr(user, "is_authenticated", False) or not user.is_active or not estimates:
        return result
    user_id = user.pk  # the request's user is a lazy object: read through once, not a row
    grants = unit_grants_of(user)
    if not grants:
        return result
    starting = {
        e.pk: rows_for(e) if rows_for is not None else lifecycle.transitions_from(e.status)
        for e in estimates
    }
    # The plans of every estimate read without one, whatever the statuses: only settling
    # reads them (``row_for_estimate``), but a page then asks the same queries whichever
    # rows it shows.
    _plans_attach(estimates)
    delegations = delegations_offered_for(user, timezone.localdate())
    lent = delegated_grants(delegations)
    # {estimate id: [(row, ids of those it may be taken as: the user, or whom they act for)]}
    candidates: dict[int, list[tuple[lifecycle.Transition, list[int]]]] = {}
    for estimate in estimates:
        found = []
        for row in starting[estimate.pk]:
            row = lifecycle.row_for_estimate(row, estimate)  # the plan level's row
            principals: list[int] = []
            if estimate.unit_id in grants.get(row.permission, ()):
                principals.append(user_id)
            if delegations:
                principals += [
                    person.pk
                    for person in acting_for_in(delegations, lent, row.permission, estimate.unit_id)
                ]
            if principals:
                found.append((row, principals))
        if found:
            candidates[estimate.pk] = found
    if not candidates:
        return result
    people_ids = {user_id} | {p for rows in candidates.values() for _row, ps in rows for p in ps}
    acted: dict[tuple[int, int], set[str]] = {}
    for estimate_id, actor_id, for_id, stage in _stages_acted(list(candidates), people_ids):
        for person in (actor_id, for_id):
            if person is not None:
                acted.setdefault((estimate_id, person), set()).add(stage)
    by_pk = {e.pk: e for e in estimates}
    nothing: set[str] = set()
    for estimate_id, rows in candidates.items():
        estimate = by_pk[estimate_id]
        allowed = result[estimate_id]
        own = acted.get((estimate_id, user_id), nothing)
        for row, principals in rows:
            for principal in principals:
                earlier = own | acted.get((estimate_id, principal), nothing)
                if _segregation_breach(estimate, row.stage, {user_id, principal}, earlier) is None:
                    if row.name not in allowed:
                        allowed.append(row.name)
                    break
    return result


#: A page's plan read by key (a page's estimates are mostly of one plan): compiled once
#: per connection, prepared by PostgreSQL (Django built the lookup in four times the time
#: the database took to answer it).
_PLAN = CompiledQueries()


def _plans_attach(estimates: list[Estimate]) -> None:
    """Give each estimate read without its plan the plan (its levels say who pays and
    settles at the estimate's level: ``lifecycle.row_for_estimate``), the estimates' plans
    in one query, one instance a plan; no query when each came with its plan."""
    descriptor = Estimate.plan
    missing = [e for e in estimates if not descriptor.is_cached(e)]
    if not missing:
        return
    ids = {e.plan_id for e in missing}
    if len(ids) == 1:
        with prepared():  # by key: one plan fits every call
            found = _PLAN.fetch("plan", lambda key: Plan.objects.filter(pk=key), list(ids))
        plans = {plan.pk: plan for plan in found}
    else:
        plans = Plan.objects.in_bulk(ids)
    for estimate in missing:
        descriptor.field.set_cached_value(estimate, plans[estimate.plan_id])


def _stages_acted(
    estimate_ids: list[int], people_ids: Collection[int]
) -> list[tuple[int, int | None, int | None, str]]:
    """(estimate, actor, acting for, stage) of the audit entries of ``estimate_ids`` in
    which one of ``people_ids`` acted or was acted for, at a stage. The statement written
    out: every page of estimates asks it, and Django built the same filter in about three
    times what PostgreSQL takes to answer it. Plain ``IN`` lists: SQLite runs it too."""
    if not estimate_ids or not people_ids:
        return []
    meta = AuditEntry._meta
    quote = connection.ops.quote_name

    def column(name: str) -> str:
        field = meta.get_field(name)
        if not isinstance(field, Field) or not field.column:
            raise TypeError(f"{name} is not a column of the audit trail")
        return quote(field.column)

    estimate, actor, acting_for, stage = (
        column(name) for name in ("estimate", "actor", "acting_for", "stage")
    )
    people = list(people_ids)
    to_estimates = ", ".join(["%s"] * len(estimate_ids))
    to_people = ", ".join(["%s"] * len(people))
    # Names from the model, quoted; every value bound.
    sql = (
        f"SELECT {estimate}, {actor}, {acting_for}, {stage} FROM {quote(meta.db_table)} "  # noqa: S608
        f"WHERE {estimate} IN ({to_estimates}) "
        f"AND ({actor} IN ({to_people}) OR {acting_for} IN ({to_people})) AND {stage} <> %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*estimate_ids, *people, *people, ""])
        return [tuple(row) for row in cursor.fetchall()]


def estimate_actions_allowed(user: Any, estimate: Estimate) -> list[str]:
    return actions_allowed(user, [estimate])[estimate.pk]


def amendment_actions_allowed(user: Any, estimate: Estimate, open_status: str | None) -> list[str]:
    """The amendment actions ``user`` may take now on ``estimate``: ``amend`` when no
    amendment is open (``open_status`` None), else those of the open amendment's status;
    the same questions the services ask (permission on the unit or a delegation,
    segregation of duties)."""
    return actions_allowed(
        user,
        [estimate],
        rows_for=lambda e: lifecycle.amendment_transitions_from(e.status, open_status),
    )[estimate.pk]


#: What ``actions_allowed`` reads of an estimate: its status, unit and level, the plan's
#: levels, who drafted and submitted it. A page of tasks reads only these (a row of every
#: column and its plan's, parsed again per row, cost more than the questions asked).
GATE_FIELDS = (
    "status",
    "unit_id",
    "level",
    "created_by_id",
    "submitted_by_id",
    "plan__levels",
)

#: Where ``flow_tasks_allowed`` leaves its answers on a page's tasks, per user id.
FLOW_ANSWERS = "_gate_answers"


def flow_task_allowed(user: Any, task: Any) -> bool:
    """Whether ``user`` may take, hold or open ``task`` (a human task of an estimate's flow)
    on viewflow's own pages: the task is the one waiting in the estimate's status, and
    the user may now take one of the actions that complete it, as the service would
    check it (a role on the unit, or a delegation in force; segregation of duties).
    A superuser is not exempt. Installed as the flow's gate by ``ApprovalsConfig``.
    A page that lists tasks asks ``flow_tasks_allowed`` for all of them at once; the
    answer it left on the task for this user is the same question answered in bulk."""
    answers = getattr(task, FLOW_ANSWERS, None)
    if answers is not None and getattr(user, "pk", None) in answers:
        return bool(answers[user.pk])
    return flow_tasks_allowed(user, [task], keep=False)[task.pk]


def flow_tasks_allowed(user: Any, tasks: Iterable[Any], *, keep: bool = True) -> dict[int, bool]:
    """``flow_task_allowed`` for a page of tasks: one query for their estimates and
    ``actions_allowed``'s (at most three) for all of them, whatever their number. Each task keeps
    its answer for ``user`` (the page's template asks per task) unless ``keep`` is false."""
    tasks = list(tasks)
    ids = {t.process.artifact_object_id for t in tasks}
    found = (
        Estimate.objects.filter(pk__in=ids).select_related("plan").only(*GATE_FIELDS)
        if tasks
        else []
    )
    estimates = {e.pk: e for e in found}
    allowed = actions_allowed(user, estimates.values())
    answers: dict[int, bool] = {}
    for task in tasks:
        node = getattr(task.flow_task, "name", None)
        estimate = estimates.get(task.process.artifact_object_id)
        answer = (
            estimate is not None
            and lifecycle.STATUS_NODES.get(estimate.status) == node
            and any(
                row.flow_node == node and row.name in allowed[estimate.pk]
                for row in lifecycle.transitions_from(estimate.status)
            )
        )
        answers[task.pk] = answer
        if keep and getattr(user, "pk", None) is not None:
            setattr(task, FLOW_ANSWERS, {**getattr(task, FLOW_ANSWERS, {}), user.pk: answer})
    return answers
