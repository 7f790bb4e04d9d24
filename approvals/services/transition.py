"""The one shape of every transition: lock, re-read, check the table's source status, the
gate and segregation of duties, then (in the caller's body) what is particular to the
action, then save the changed fields, audit, move the flow and record the event — in one
transaction. Side effects leave after commit through the notifications outbox.

    with transition("forward", actor=actor, estimate_id=pk) as step:
        step.finish(comment=step.comment(comment))
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from django.db import DatabaseError
from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from viewflow.workflow.exceptions import FlowLockFailed

from core.db import CompiledQueries, rows_update
from core.errors import Conflict, Forbidden, RuleViolation
from core.text import field_limit, text_clean
from core.transactions import unit_of_work
from estimates.models import AMENDMENT_OPEN_STATUSES, Amendment, Estimate
from notifications.services import event_emit
from organization import permissions as perms
from workflows import engine

from .. import access, lifecycle
from ..access import Authority
from ..audit import audit_record
from ..lifecycle import Transition
from ..models import AuditEntry

#: The lock's statement, compiled once per connection and shape (``core.db``): building
#: and compiling it cost about 1 ms a transition, running it 0.2 ms.
_LOCKS = CompiledQueries()


def lock_estimate(
    estimate_id: int,
    people: set[int] | None = None,
    related: Sequence[str] = (),
    stages: Sequence[str] = (),
) -> Estimate:
    """Lock and read the estimate; with ``people``, also whether they acted at a stage
    that bars them from each of ``stages`` (segregation of duties), in the same query;
    ``related`` names more rows to read with it (never locked: the estimate's lock covers
    them)."""
    who = sorted(people) if people and stages else []
    wanted = tuple(sorted(set(stages))) if who else ()

    def build(pk: int, *persons: int) -> QuerySet[Estimate]:
        qs = Estimate.objects.select_for_update(of=("self",)).select_related(
            "unit", "plan__issuer", "content", "activity", *related
        )
        if persons:
            qs = qs.annotate(**access.conflict_annotations(set(persons), wanted))
        return qs.filter(pk=pk)

    try:
        found = _LOCKS.fetch((tuple(related), wanted, len(who)), build, [estimate_id, *who])
    except (TypeError, ValueError):
        found = []
    if not found:
        raise RuleViolation(_("No such estimate."))
    return found[0]


def moved_on(estimate: Estimate) -> Conflict:
    return Conflict(
        _(
            "Someone else has just acted on this estimate: it is now “%(status)s”. "
            "Reload the page to see what changed."
        )
        % {"status": estimate.get_status_display()}
    )


def amendment_moved_on(estimate: Estimate, amendment: Amendment | None) -> Conflict:
    if amendment is not None:
        return Conflict(
            _(
                "Amendment %(n)s of this estimate is “%(status)s”: this cannot be done now. "
                "Reload the page to see what changed."
            )
            % {"n": amendment.number, "status": amendment.get_status_display()}
        )
    return Conflict(
        _(
            "This estimate has no amendment awaiting this step (the estimate is "
            "“%(status)s”). Reload the page to see what changed."
        )
        % {"status": estimate.get_status_display()}
    )


def lock_open_amendment(estimate: Estimate) -> Amendment | None:
    """The estimate's open amendment, locked (at most one: a database constraint)."""
    return (
        Amendment.objects.select_for_update()
        .filter(estimate=estimate, status__in=AMENDMENT_OPEN_STATUSES)
        .first()
    )


def _estimate_write(estimate: Estimate, fields: Sequence[str]) -> None:
    """Write the named columns of the locked estimate (one UPDATE by key, as ``save`` with
    ``update_fields`` would, for about half its Python); ``updated_at`` is stamped now when
    named, as its ``auto_now`` would be."""
    names = list(dict.fromkeys(fields))
    if "updated_at" in names:
        estimate.updated_at = timezone.now()
    rows_update([estimate], names)


@dataclass
class Step:
    """A transition in progress: the locked estimate, the table's row for its status, and
    the capacity in which the actor acts."""

    estimate: Estimate
    row: Transition
    authority: Authority
    from_status: str
    changed: list[str] = field(default_factory=list)
    done: bool = False
    #: The estimate's open amendment (locked), for the amendment table's rows; ``amend``
    #: sets the one it opens.
    amendment: Amendment | None = None

    @property
    def actor(self) -> Any:
        return self.authority.actor

    def comment(self, text: str | None, *, what: str = "") -> str:
        """The comment or reason typed with the action; required when the table says so."""
        return text_clean(
            text or "",
            field="comment",
            max_length=field_limit(AuditEntry, "comment"),
            multiline=True,
            required=self.row.reason,
            required_message=_("Give a reason %(what)s.") % {"what": what},
        )

    def target(self, choice: str | None = None) -> str:
        to = self.row.target_for(route=self.estimate.route, choice=choice)
        if to is None:
            raise RuleViolation(_("This estimate cannot be returned there."), field="to")
        return to

    def finish(
        self,
        *,
        to_status: str | None = None,
        comment: str = "",
        amount: int | None = None,
        data: dict[str, Any] | None = None,
        fields: Sequence[str] = (),
    ) -> None:
        """Save the changed fields, write the audit entry, move the flow, record the event.
        ``to_status`` defaults to the table's target; actions that change no status keep
        it."""
        estimate = self.estimate
        if self.row.subject == lifecycle.AMENDMENT:
            self._finish_amendment(to_status, comment=comment, amount=amount, data=data)
            if fields:
                _estimate_write(estimate, ["updated_at", *fields])
            return
        if self.row.changes_status:
            estimate.status = to_status or self.target()
            estimate.status_changed_at = timezone.now()
            fields = ["status", "status_changed_at", "updated_at", *fields]
        if fields:
            _estimate_write(estimate, fields)
        audit_record(
            action=self.row.event,
            actor=self.authority.actor,
            acting_for=self.authority.acting_for,
            role=self.authority.role,
            unit_name=self.authority.unit_name,
            estimate=estimate,
            stage=self.row.stage,
            from_status=self.from_status,
            to_status=estimate.status,
            amount=amount,
            comment=comment,
            data=data,
        )
        if self.row.changes_status:
            try:
                if estimate.status in lifecycle.FINAL_STATUSES and not self.row.flow_node:
                    engine.flow_cancel(estimate)
                else:
                    engine.flow_complete(estimate, self.from_status, self.authority.actor)
            except (engine.StaleTask, FlowLockFailed, DatabaseError) as exc:
                raise Conflict(
                    _(
                        "Someone else has just acted on this estimate. Reload the page to "
                        "see what changed."
                    )
                ) from exc
        if self.row.emits:
            event_emit(
                kind=self.row.event,
                estimate=estimate,
                actor=self.authority.actor,
                acting_for=self.authority.acting_for,
                comment=comment,
            )
        self.done = True

    def _finish_amendment(
        self,
        to_status: str | None,
        *,
        comment: str,
        amount: int | None,
        data: dict[str, Any] | None,
    ) -> None:
        """An amendment's action: its status changes (the estimate's does not), the audit
        entry is the estimate's (so segregation of duties counts it) with the amendment's
        statuses, and the event tells who acts on the amendment next."""
        amendment = self.amendment
        if amendment is None:  # the services always set it; never true
            raise RuntimeError("an amendment action without its amendment")
        new_status = to_status or self.target()
        if amendment.pk is None or amendment.status != new_status:
            amendment.status = new_status
            amendment.status_changed_at = timezone.now()
            if amendment.pk is not None:
                amendment.save(update_fields=["status", "status_changed_at"])
            else:
                amendment.save(force_insert=True)
        audit_record(
            action=self.row.event,
            actor=self.authority.actor,
            acting_for=self.authority.acting_for,
            role=self.authority.role,
            unit_name=self.authority.unit_name,
            estimate=self.estimate,
            stage=self.row.stage,
            from_status=self.from_status,
            to_status=new_status,
            amount=amount,
            comment=comment,
            data={"amendment": amendment.number, **(data or {})},
        )
        if self.row.emits:
            event_emit(
                kind=self.row.event,
                estimate=self.estimate,
                actor=self.authority.actor,
                acting_for=self.authority.acting_for,
                comment=comment,
                data={"amendment": amendment.number},
                status=new_status,
            )
        self.done = True


def _rows_named(name: str) -> list[Transition]:
    """Every row of action ``name``: the estimate's table, or the amendment's."""
    if name in lifecycle.AMENDMENT_ACTION_NAMES:
        return [t for t in lifecycle.AMENDMENT_TRANSITIONS if t.name == name]
    return lifecycle.rows(name)


def _row_for(
    name: str, actor: Any, estimate: Estimate, amendment: Amendment | None = None
) -> Transition:
    """The table's row of ``name`` for the estimate's status (for an amendment action: the
    open amendment's status, or the estimate's for ``amend`` when none is open). When the
    action does not start there, whoever could take it elsewhere hears that the estimate
    moved on (409); anyone else, that their role does not allow it (403)."""
    rows = _rows_named(name)
    if name in lifecycle.AMENDMENT_ACTION_NAMES:
        found = [
            t
            for t in lifecycle.amendment_transitions_from(
                estimate.status, amendment.status if amendment is not None else None
            )
            if t.name == name
        ]
        row = found[0] if found else None
    else:
        row = lifecycle.transition(name, estimate.status)
    if row is not None:
        return lifecycle.row_for_estimate(row, estimate)
    needed = {
        lifecycle.row_for_estimate(r, estimate).permission
        if r.subject == lifecycle.ESTIMATE
        else r.permission
        for r in rows
    }
    if any(estimate.unit_id in access.unit_ids_with(actor, codename) for codename in needed):
        if name in lifecycle.AMENDMENT_ACTION_NAMES:
            raise amendment_moved_on(estimate, amendment)
        raise moved_on(estimate)
    raise Forbidden(_("Your role does not allow this on this estimate."), estimate_id=estimate.pk)


def _payer_settles_check(
    name: str, row: Transition, actor: Any, estimate: Estimate, acting_for: Any
) -> None:
    """Where the plan's level makes the commune the spending unit, the drafting Women's
    Union hears who reports the settlement instead of a bare refusal."""
    if name not in lifecycle.PAYER_SETTLES or row.permission == perms.DRAFT:
        return
    principal = acting_for if acting_for is not None else actor
    held = access.unit_ids_with(principal, row.permission)
    if estimate.unit_id not in held and estimate.unit_id in access.unit_ids_with(
        principal, perms.DRAFT
    ):
        raise Forbidden(
            _(
                "Under this plan the commune is the spending unit at this level: its "
                "accountant, who records the payments, reports the settlement."
            ),
            estimate_id=estimate.pk,
        )


@contextmanager
def transition(
    name: str,
    *,
    actor: Any,
    estimate_id: int,
    acting_for: Any = None,
    related: Sequence[str] = (),
) -> Iterator[Step]:
    """Run action ``name`` of the lifecycle table on an estimate, in one transaction.
    The body does what is particular to the action and calls ``step.finish(...)``;
    ``related`` are rows the body reads, fetched with the estimate's lock."""
    if not getattr(actor, "is_authenticated", False) or not actor.is_active:
        raise Forbidden(_("Log in to do this."))
    people = {actor.pk} | ({acting_for.pk} if acting_for is not None else set())
    with unit_of_work():
        # The stages the action may be taken at (an amendment's actions included), so
        # that the lock reads segregation of duties for them in the same query.
        stages = (
            lifecycle.stages_of(name)
            if name in lifecycle.ACTION_NAMES
            else [r.stage for r in _rows_named(name)]
        )
        estimate = lock_estimate(estimate_id, people, related, stages)
        if acting_for is None and estimate.unit_id not in access.unit_ids_with(actor, perms.VIEW):
            raise Http404(_("No such estimate."))
        amendment = None
        if name in lifecycle.AMENDMENT_ACTION_NAMES:
            amendment = lock_open_amendment(estimate)
        row = _row_for(name, actor, estimate, amendment)
        _payer_settles_check(name, row, actor, estimate, acting_for)
        authority = access.authority_check(
            actor=actor,
            estimate=estimate,
            codename=row.permission,
            stage=row.stage,
            acting_for=acting_for,
            earlier=access.stages_acted(estimate, people, row.stage),
        )
        from_status = estimate.status if amendment is None else amendment.status
        step = Step(
            estimate=estimate,
            row=row,
            authority=authority,
            from_status=from_status,
            amendment=amendment,
        )
        yield step
        if not step.done:
            raise RuntimeError(f"transition {name!r} ended without step.finish()")
