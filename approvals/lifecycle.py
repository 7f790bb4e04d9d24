"""The estimate's lifecycle as one table: every action, from which statuses, to which, the
object permission it needs, its segregation-of-duties stage, its audit and event kind, who
is told, and whether it asks for a reason or a confirmation.

Plain data, no queries. Everything else reads it: the transition services
(``approvals.services``), the access gate and the actions offered (``approvals.access``,
``approvals.selectors``), the flow (``workflows``), the pages (``web``), the API (``api``)
and the notifications (who is told, inboxes, reminders). ``tests/approvals/test_lifecycle.py``
checks it against viewflow's flow graph and the web and API routes, so an action added in
one place and not the others fails the suite.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Any

from django.utils.translation import gettext_lazy as _

from estimates.models import (
    ROUTE_DIRECT,
    ROUTE_REVIEWED,
    Actor,
    AmendmentStatus,
    Estimate,
    EstimateStatus,
    LevelSpec,
)
from organization import permissions as perms

from .models import Stage

S = EstimateStatus
A = AmendmentStatus

#: What a row's statuses are of: the estimate's (``TRANSITIONS``), or its open
#: amendment's (``AMENDMENT_TRANSITIONS``; ``amend`` starts from the estimate's status and
#: opens one).
ESTIMATE = "estimate"
AMENDMENT = "amendment"

#: Who is told about an action. ``NEXT``: the people who act on the estimate in its new
#: status (holders of that status's acting permission on the estimate's unit, and their
#: delegates), unless the new status is back with the drafting unit. ``DRAFTER``: the
#: person who drafted it.
NEXT = "next"
DRAFTER = "drafter"

#: How a transition with several possible targets picks one: by the estimate's route (its
#: plan level is reviewed first or not: ``submit``), or by the choice of the person acting
#: (``return``: ``to=``).
BY_LEVEL = "level"
BY_CHOICE = "to"

#: Stages one person may combine on one estimate. Anything else is two stages, and one
#: person may not act on two stages of the same estimate: the drafter does not review, the
#: reviewer does not appraise, the approver does not disburse. Appraisal and settlement
#: verification are one office's single duty towards the estimate (plan section V.2).
STAGE_GROUPS: Mapping[str, str] = MappingProxyType(
    {
        Stage.DRAFT: "spending-unit",
        Stage.SETTLEMENT: "spending-unit",
        Stage.REVIEW: "review",
        Stage.APPRAISAL: "finance",
        Stage.VERIFICATION: "finance",
        Stage.APPROVAL: "approval",
        Stage.DISBURSEMENT: "disbursement",
    }
)
#: The stage group of the drafting unit: whoever drafted or submitted the estimate may act
#: in it, and in no other.
SPENDING_UNIT = "spending-unit"


@dataclass(frozen=True)
class Transition:
    """One action on an estimate, from one or more statuses.

    ``target`` is the status it ends in; when it depends on the estimate's level or on the
    actor's choice, ``targets`` maps the level or the choice to the status (the first
    choice is the default) and ``target`` is None. An action that changes no status
    (``update``, ``disburse``, ``clear-advance``) has neither.
    """

    name: str  # the API action and, with "_" for "-", the page's URL name
    sources: frozenset[str]
    permission: str  # object permission on ``estimate.unit``
    stage: str  # segregation of duties
    event: str  # the audit action; also the outbox event when ``emits``
    target: str | None = None
    targets: Mapping[str, str] = field(default_factory=dict)
    route_by: str = ""  # BY_LEVEL or BY_CHOICE when ``targets`` is used
    notify: tuple[str, ...] = ()
    emits: bool = True  # records an outbox event (notifications)
    reason: bool = False  # a reason is required
    confirm: bool = False  # the user confirms ("I confirm") first
    inbox: bool = False  # its holders find the estimate in their inbox at ``sources``
    flow_node: str = ""  # the viewflow task completed (empty: the flow does not move)
    web_name: str = ""  # URL name in ``web.urls`` (default: name with "_" for "-")
    label: Any = ""
    subject: str = ESTIMATE  # whose status ``sources`` and ``target`` are

    @property
    def changes_status(self) -> bool:
        return self.target is not None or bool(self.targets)

    @property
    def url_name(self) -> str:
        return self.web_name or self.name.replace("-", "_")

    @property
    def ends_in(self) -> frozenset[str]:
        """Every status this action may end in."""
        if self.target is not None:
            return frozenset({self.target})
        return frozenset(self.targets.values())

    def target_for(self, *, route: str, choice: str | None = None) -> str | None:
        """The status the action ends in for an estimate on ``route`` (its plan level's:
        reviewed first or not, ``estimates.models.route_of``) and the actor's ``choice``
        (``return``); None when the choice is not allowed."""
        if self.target is not None:
            return self.target
        if self.route_by == BY_LEVEL:
            return self.targets.get(route)
        key = choice if choice is not None else next(iter(self.targets), None)
        if key is None:
            return None
        if key == "review" and route == ROUTE_DIRECT:
            return None  # a level without review: nobody reviews it
        return self.targets.get(key)


def _t(name: str, sources: tuple[str, ...], **kw: Any) -> Transition:
    if "targets" in kw:
        kw["targets"] = MappingProxyType(dict(kw["targets"]))
    return Transition(name=name, sources=frozenset(sources), **kw)


TRANSITIONS: tuple[Transition, ...] = (
    _t(
        "update",
        (S.DRAFT, S.RETURNED),
        permission=perms.DRAFT,
        stage=Stage.DRAFT,
        event="estimate.edited",
        emits=False,
        inbox=True,
        web_name="edit",
        label=_("Edit"),
    ),
    _t(
        "submit",
        (S.DRAFT, S.RETURNED),
        permission=perms.DRAFT,
        stage=Stage.DRAFT,
        event="estimate.submitted",
        targets={ROUTE_REVIEWED: S.REVIEW, ROUTE_DIRECT: S.APPRAISAL},
        route_by=BY_LEVEL,
        notify=(NEXT,),
        inbox=True,
        flow_node="draft",
        label=_("Submit"),
    ),
    _t(
        "forward",
        (S.REVIEW,),
        permission=perms.REVIEW,
        stage=Stage.REVIEW,
        event="estimate.forwarded",
        target=S.APPRAISAL,
        notify=(NEXT,),
        inbox=True,
        flow_node="review",
        label=_("Forward to appraisal"),
    ),
    _t(
        "return",
        (S.REVIEW,),
        permission=perms.REVIEW,
        stage=Stage.REVIEW,
        event="estimate.returned",
        targets={"drafter": S.RETURNED},
        route_by=BY_CHOICE,
        notify=(NEXT, DRAFTER),
        reason=True,
        flow_node="review",
        label=_("Return"),
    ),
    _t(
        "appraise",
        (S.APPRAISAL,),
        permission=perms.APPRAISE,
        stage=Stage.APPRAISAL,
        event="estimate.appraised",
        target=S.APPROVAL,
        notify=(NEXT,),
        inbox=True,
        flow_node="appraise",
        label=_("Appraise"),
    ),
    _t(
        "return",
        (S.APPRAISAL,),
        permission=perms.APPRAISE,
        stage=Stage.APPRAISAL,
        event="estimate.returned",
        targets={"drafter": S.RETURNED, "review": S.REVIEW},
        route_by=BY_CHOICE,
        notify=(NEXT, DRAFTER),
        reason=True,
        flow_node="appraise",
        label=_("Return"),
    ),
    _t(
        "approve",
        (S.APPROVAL,),
        permission=perms.APPROVE,
        stage=Stage.APPROVAL,
        event="estimate.approved",
        target=S.APPROVED,
        notify=(NEXT, DRAFTER),
        confirm=True,
        inbox=True,
        flow_node="approve",
        label=_("Approve"),
    ),
    _t(
        "return",
        (S.APPROVAL,),
        permission=perms.APPROVE,
        stage=Stage.APPROVAL,
        event="estimate.returned",
        targets={"appraisal": S.APPRAISAL},
        route_by=BY_CHOICE,
        notify=(NEXT, DRAFTER),
        reason=True,
        flow_node="approve",
        label=_("Return"),
    ),
    _t(
        "withdraw",
        (S.DRAFT, S.RETURNED, S.REVIEW, S.APPRAISAL, S.APPROVAL),
        permission=perms.DRAFT,
        stage=Stage.DRAFT,
        event="estimate.withdrawn",
        target=S.WITHDRAWN,
        notify=(DRAFTER,),
        reason=True,
        confirm=True,
        label=_("Withdraw"),
    ),
    _t(
        "disburse",
        (S.APPROVED,),
        permission=perms.DISBURSE,
        stage=Stage.DISBURSEMENT,
        event="estimate.disbursed",
        notify=(DRAFTER,),
        inbox=True,
        label=_("Record a disbursement"),
    ),
    _t(
        "clear-advance",
        (S.APPROVED,),
        permission=perms.DISBURSE,
        stage=Stage.DISBURSEMENT,
        event="estimate.advance_cleared",
        emits=False,
        label=_("Clear an advance"),
    ),
    _t(
        "settle",
        (S.APPROVED,),
        permission=perms.DRAFT,
        stage=Stage.SETTLEMENT,
        event="estimate.settlement_submitted",
        target=S.SETTLEMENT,
        notify=(NEXT,),
        flow_node="execute",
        label=_("Report the settlement"),
    ),
    _t(
        "verify-settlement",
        (S.SETTLEMENT,),
        permission=perms.VERIFY,
        stage=Stage.VERIFICATION,
        event="estimate.closed",
        target=S.CLOSED,
        notify=(DRAFTER,),
        confirm=True,
        inbox=True,
        flow_node="verify",
        label=_("Verify and close"),
    ),
    _t(
        "return-settlement",
        (S.SETTLEMENT,),
        permission=perms.VERIFY,
        stage=Stage.VERIFICATION,
        event="estimate.settlement_returned",
        target=S.APPROVED,
        notify=(DRAFTER,),
        reason=True,
        flow_node="verify",
        label=_("Return the settlement"),
    ),
)
#: The rows that start from each status, in the table's order (asked for every row of a
#: list, for the actions it offers).
_FROM: dict[str, tuple[Transition, ...]] = {
    status: tuple(t for t in TRANSITIONS if status in t.sources)
    for status in {source for t in TRANSITIONS for source in t.sources}
}

#: Every action name, in the order of the chain.
ACTION_NAMES: tuple[str, ...] = tuple(dict.fromkeys(t.name for t in TRANSITIONS))


def transition(name: str, status: str) -> Transition | None:
    """The row of action ``name`` from ``status``, or None if it does not start there."""
    for t in TRANSITIONS:
        if t.name == name and status in t.sources:
            return t
    return None


def transitions_from(status: str) -> list[Transition]:
    return list(_FROM.get(status, ()))


def rows(name: str) -> list[Transition]:
    """Every row of action ``name`` (``return`` has one per status it starts from)."""
    return [t for t in TRANSITIONS if t.name == name]


def sources_of(name: str) -> frozenset[str]:
    return frozenset().union(*(t.sources for t in rows(name)))


#: Actions that belong to whoever pays where a plan's level makes the commune the spending
#: unit (its ``disburse`` stage is the commune's: plan section V.4, the commune's chair
#: holds the account and its accountant records the payments and the settlement). There
#: the settlement, and its resubmission after a return, needs the payments' permission
#: and is the accountant's stage (one duty, as appraisal and verification are one
#: office's): the Women's Union that drafted does not report it. Elsewhere (plan 117) the
#: drafting unit reports it, as the table says.
PAYER_SETTLES: frozenset[str] = frozenset({"settle"})


def payer_settles(spec: LevelSpec) -> bool:
    """Whether the level's settlement is reported by whoever records its payments."""
    return spec.actor("disburse") == Actor.COMMUNE


def row_for_level(row: Transition, spec: LevelSpec | None) -> Transition:
    """The table's row as it applies at a plan's level (``PAYER_SETTLES``)."""
    if row.name in PAYER_SETTLES and spec is not None and payer_settles(spec):
        return replace(row, permission=perms.DISBURSE, stage=Stage.DISBURSEMENT)
    return row


def row_for_estimate(row: Transition, estimate: Estimate) -> Transition:
    """The table's row as it applies to ``estimate`` (reads its plan, which holds the
    levels, only for the rows a level may change: no query when read with it)."""
    if row.name not in PAYER_SETTLES:
        return row
    return row_for_level(row, estimate.plan.level_spec(estimate.level))


#: The events after which the settlement is reported again (its reporters are told).
RESETTLE_EVENTS: frozenset[str] = frozenset(t.event for t in rows("return-settlement"))


def stages_of(name: str) -> list[str]:
    """Every stage action ``name`` may be taken at, at any plan's level."""
    found = [t.stage for t in rows(name)]
    return [*found, Stage.DISBURSEMENT] if name in PAYER_SETTLES else found


# ---------------------------------------------------------------------------------------
# Amending an approved estimate (điều chỉnh dự toán): the amendment's own short lifecycle.
# The estimate stays ``approved`` (its disbursements go on within the decision in force);
# the amendment goes through review (commune level), appraisal and approval, and only
# its approval changes the lines, the dates and the commitment. Same permissions on the
# estimate's unit and the same segregation of duties as the estimate's own stages.


def _a(name: str, sources: tuple[str, ...], **kw: Any) -> Transition:
    return _t(name, sources, subject=AMENDMENT, **kw)


AMENDMENT_TRANSITIONS: tuple[Transition, ...] = (
    _a(
        "amend",
        (S.APPROVED,),
        permission=perms.DRAFT,
        stage=Stage.DRAFT,
        event="amendment.proposed",
        targets={ROUTE_REVIEWED: A.REVIEW, ROUTE_DIRECT: A.APPRAISAL},
        route_by=BY_LEVEL,
        notify=(NEXT,),
        reason=True,
        label=_("Propose an amendment"),
    ),
    _a(
        "amendment-forward",
        (A.REVIEW,),
        permission=perms.REVIEW,
        stage=Stage.REVIEW,
        event="amendment.forwarded",
        target=A.APPRAISAL,
        notify=(NEXT,),
        inbox=True,
        label=_("Forward the amendment to appraisal"),
    ),
    _a(
        "amendment-appraise",
        (A.APPRAISAL,),
        permission=perms.APPRAISE,
        stage=Stage.APPRAISAL,
        event="amendment.appraised",
        target=A.APPROVAL,
        notify=(NEXT,),
        inbox=True,
        label=_("Appraise the amendment"),
    ),
    _a(
        "amendment-approve",
        (A.APPROVAL,),
        permission=perms.APPROVE,
        stage=Stage.APPROVAL,
        event="amendment.approved",
        target=A.APPROVED,
        notify=(DRAFTER,),
        confirm=True,
        inbox=True,
        label=_("Approve the amendment"),
    ),
    _a(
        "amendment-return",
        (A.REVIEW,),
        permission=perms.REVIEW,
        stage=Stage.REVIEW,
        event="amendment.returned",
        target=A.RETURNED,
        notify=(DRAFTER,),
        reason=True,
        label=_("Return the amendment"),
    ),
    _a(
        "amendment-return",
        (A.APPRAISAL,),
        permission=perms.APPRAISE,
        stage=Stage.APPRAISAL,
        event="amendment.returned",
        target=A.RETURNED,
        notify=(DRAFTER,),
        reason=True,
        label=_("Return the amendment"),
    ),
    _a(
        "amendment-return",
        (A.APPROVAL,),
        permission=perms.APPROVE,
        stage=Stage.APPROVAL,
        event="amendment.returned",
        target=A.RETURNED,
        notify=(DRAFTER,),
        reason=True,
        label=_("Return the amendment"),
    ),
    _a(
        "amendment-withdraw",
        (A.REVIEW, A.APPRAISAL, A.APPROVAL),
        permission=perms.DRAFT,
        stage=Stage.DRAFT,
        event="amendment.withdrawn",
        target=A.WITHDRAWN,
        reason=True,
        confirm=True,
        label=_("Withdraw the amendment"),
    ),
)

#: Every amendment action name, in the order of the chain.
AMENDMENT_ACTION_NAMES: tuple[str, ...] = tuple(
    dict.fromkeys(t.name for t in AMENDMENT_TRANSITIONS)
)

#: Who acts on an open amendment in each of its statuses.
AMENDMENT_STATUS_PERMISSIONS: Mapping[str, str] = MappingProxyType(
    {status: t.permission for t in AMENDMENT_TRANSITIONS if t.inbox for status in sorted(t.sources)}
)

#: The outbox event kinds amendments record.
AMENDMENT_EVENT_KINDS: frozenset[str] = frozenset(t.event for t in AMENDMENT_TRANSITIONS if t.emits)


def sources_of_amend() -> frozenset[str]:
    """The estimate statuses an amendment may be proposed from."""
    return frozenset().union(*(t.sources for t in AMENDMENT_TRANSITIONS if t.name == "amend"))


def amendment_transition(name: str, status: str) -> Transition | None:
    """The amendment table's row of ``name`` from ``status`` (the open amendment's, or the
    estimate's for ``amend``), or None."""
    for t in AMENDMENT_TRANSITIONS:
        if t.name == name and status in t.sources:
            return t
    return None


def amendment_transitions_from(
    estimate_status: str, amendment_status: str | None
) -> list[Transition]:
    """The amendment rows that start now: ``amend`` from the estimate's status when no
    amendment is open, else the rows of the open amendment's status."""
    if amendment_status is None:
        return [
            t for t in AMENDMENT_TRANSITIONS if t.name == "amend" and estimate_status in t.sources
        ]
    return [t for t in AMENDMENT_TRANSITIONS if amendment_status in t.sources]


# ---------------------------------------------------------------------------------------
# Derived: read these, never write a copy.

#: The permission whose holders have the estimate waiting for them in each status (inbox,
#: "waiting on", reminders, escalation, who is told).
STATUS_PERMISSIONS: Mapping[str, str] = MappingProxyType(
    {status: t.permission for t in TRANSITIONS if t.inbox for status in sorted(t.sources)}
)

#: Statuses in which the drafting unit may still change the estimate's lines.
EDITABLE_STATUSES: frozenset[str] = sources_of("update")

#: Statuses in which the estimate waits for someone outside the drafting unit.
ACTING_STATUSES: frozenset[str] = frozenset(
    status for status, codename in STATUS_PERMISSIONS.items() if codename != perms.DRAFT
)

#: Statuses no action starts from.
FINAL_STATUSES: frozenset[str] = frozenset(S.values) - frozenset(
    status for t in TRANSITIONS for status in t.sources
)

#: Statuses in which the estimate holds money: its commitment, disbursements and
#: settlement (from the first status disbursement starts from, through closing).
MONEY_STATUSES: frozenset[str] = (
    sources_of("disburse")
    | sources_of("verify-settlement")
    | frozenset(t.target for t in rows("verify-settlement") if t.target)
)

#: The viewflow task that waits while the estimate is in each status.
STATUS_NODES: Mapping[str, str] = MappingProxyType(
    {status: t.flow_node for t in TRANSITIONS if t.flow_node for status in sorted(t.sources)}
)

#: The outbox event kinds transitions record.
EVENT_KINDS: frozenset[str] = frozenset(t.event for t in TRANSITIONS if t.emits)

#: Who acts at each status, in words (the estimate page's "waiting on").
WAITING_ON: Mapping[str, Any] = MappingProxyType(
    {
        S.DRAFT: _("The drafting unit: edit and submit"),
        S.RETURNED: _("The drafting unit: revise and resubmit"),
        S.REVIEW: _("The Women's Union above the commune: review, forward or return"),
        S.APPRAISAL: _("Finance-Planning office: appraise or return"),
        S.APPROVAL: _("The People's Committee (chair or vice chair): approve or return"),
        S.APPROVED: _("Treasurer / accountant: disburse; the drafting unit settles"),
        S.SETTLEMENT: _("Finance-Planning office: verify the settlement"),
    }
)

#: The stage of a plan's level (``estimates.models.STAGES``) that acts in each status.
STATUS_STAGES: Mapping[str, str] = MappingProxyType(
    {
        S.REVIEW: "review",
        S.APPRAISAL: "appraise",
        S.APPROVAL: "approve",
        S.APPROVED: "disburse",
        S.SETTLEMENT: "verify",
    }
)

#: Who acts, in words, where the plan's level makes the commune the spending unit.
WAITING_ON_COMMUNE: Mapping[str, Any] = MappingProxyType(
    {
        S.REVIEW: _("The commune: review, forward or return"),
        S.APPRAISAL: _("The commune's economic office: appraise or return"),
        S.APPROVAL: _("The commune chair: approve or return"),
        S.APPROVED: _("The commune accountant: disburse and report the settlement"),
        S.SETTLEMENT: _("The commune's economic office: verify the settlement"),
    }
)


def waiting_on(status: str, actor: str) -> Any:
    """Who acts in ``status``, in words, when the plan's level names ``actor`` ("area" or
    "commune") for its stage."""
    if actor == "commune" and status in WAITING_ON_COMMUNE:
        return WAITING_ON_COMMUNE[status]
    return WAITING_ON[status]


def audience(event: str, new_status: str) -> tuple[str, ...]:
    """Who is told about ``event`` when it leaves the estimate in ``new_status``: a subset
    of (NEXT, DRAFTER). NEXT only where someone outside the drafting unit acts next."""
    for t in TRANSITIONS:
        if t.event == event and t.emits and new_status in (t.ends_in or t.sources):
            told = [who for who in t.notify if who != NEXT or new_status in ACTING_STATUSES]
            return tuple(told)
    for t in AMENDMENT_TRANSITIONS:
        if t.event == event and t.emits and new_status in t.ends_in:
            acting = new_status in AMENDMENT_STATUS_PERMISSIONS
            return tuple(who for who in t.notify if who != NEXT or acting)
    return ()


def acting_permission(status: str) -> str | None:
    """The permission of whoever acts on an estimate, or an open amendment, in ``status``."""
    return STATUS_PERMISSIONS.get(status) or AMENDMENT_STATUS_PERMISSIONS.get(status)


def return_choices(status: str, route: str) -> list[str]:
    """Where a return from ``status`` may send an estimate on ``route``."""
    t = transition("return", status)
    if t is None:
        return []
    return [key for key in t.targets if t.target_for(route=route, choice=key) is not None]
