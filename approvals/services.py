"""The only place an estimate's state changes.

Every transition has the same shape: lock the estimate, re-read it, check the state, check
the actor's right and segregation of duties (``approvals.access``), validate, move money
through the ledger where the transition touches money, save the changed fields, write the
audit entry, complete the flow's task and record the notification event — all in one
transaction, so either everything happens or nothing does. Side effects (e-mail, pushes)
leave only after commit, through the notifications outbox.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import DatabaseError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from viewflow.workflow.exceptions import FlowLockFailed

from core.errors import Conflict, Forbidden, RuleViolation
from core.money import MAX_AMOUNT, format_vnd
from estimates.models import (
    EDITABLE_STATUSES,
    IN_REVIEW_STATUSES,
    Activity,
    EnvelopeCell,
    Estimate,
    EstimateLine,
    EstimateStatus,
    EstimateVersion,
    Level,
    Norm,
    Plan,
    Source,
)
from ledger import services as ledger
from ledger.models import Disbursement, DisbursementKind, SubEnvelope
from organization import permissions as perms
from organization.models import Unit, UnitKind
from workflows import engine

from . import access
from .access import Authority
from .audit import audit_record
from .models import Stage

S = EstimateStatus
MAX_TEXT = 5000
MAX_LINES = 200


# --------------------------------------------------------------------------------------
# Input


@dataclass(frozen=True)
class LineInput:
    """One cost line as typed. ``line_id`` names an existing line being edited."""

    description: str
    unit_of_measure: str
    quantity: int
    unit_price: int
    times: int = 1
    source: str = Source.CURRENT
    norm_id: int | None = None
    line_id: int | None = None


@dataclass(frozen=True)
class EstimateInput:
    activity_id: int
    title: str
    start_date: dt.date
    end_date: dt.date
    purpose: str = ""
    village_ids: Sequence[int] = ()
    participants_women: int = 0
    participants_girls: int = 0
    participants_men: int = 0
    lines: Sequence[LineInput] = field(default_factory=tuple)


@dataclass(frozen=True)
class LineCut:
    """Appraisal of one line: the appraised amount (never above the requested) and why."""

    line_id: int
    appraised_amount: int
    reason: str = ""


# --------------------------------------------------------------------------------------
# Helpers shared by every transition


def _lock(estimate_id: int) -> Estimate:
    try:
        return (
            Estimate.objects.select_for_update(of=("self",))
            .select_related("unit", "plan")
            .get(pk=estimate_id)
        )
    except Estimate.DoesNotExist:
        raise RuleViolation(_("No such estimate.")) from None


def _expect(estimate: Estimate, *statuses: str) -> None:
    if estimate.status not in statuses:
        raise Conflict(
            _(
                "Someone else has just acted on this estimate: it is now “%(status)s”. "
                "Reload the page to see what changed."
            )
            % {"status": estimate.get_status_display()}
        )


def _reason(text: str, *, required: bool, what: str) -> str:
    cleaned = _clean_text(text or "", field_name="comment")
    if required and not cleaned:
        raise RuleViolation(_("Give a reason %(what)s.") % {"what": what}, field="comment")
    return cleaned


def _clean_text(value: str, *, field_name: str, max_length: int = MAX_TEXT) -> str:
    if not isinstance(value, str):
        raise RuleViolation(_("Enter text."), field=field_name)
    if any(ord(ch) < 32 and ch not in "\n\r\t" for ch in value):
        raise RuleViolation(_("The text contains control characters."), field=field_name)
    value = value.strip()
    if len(value) > max_length:
        raise RuleViolation(_("At most %(n)s characters.") % {"n": max_length}, field=field_name)
    return value


def _move(
    estimate: Estimate,
    *,
    authority: Authority,
    action: str,
    stage: str,
    to_status: str,
    comment: str = "",
    amount: int | None = None,
    data: dict[str, Any] | None = None,
    extra_fields: Sequence[str] = (),
) -> None:
    """Change the status, audit it, complete the flow task, record the event."""
    from_status = estimate.status
    estimate.status = to_status
    estimate.status_changed_at = timezone.now()
    estimate.save(update_fields=["status", "status_changed_at", "updated_at", *extra_fields])
    _audit(
        estimate,
        authority,
        action=action,
        stage=stage,
        from_status=from_status,
        to_status=to_status,
        comment=comment,
        amount=amount,
        data=data,
    )
    try:
        if to_status == S.WITHDRAWN:
            engine.flow_cancel(estimate)
        else:
            engine.flow_complete(estimate, from_status, authority.actor)
    except (engine.StaleTask, FlowLockFailed, DatabaseError) as exc:
        raise Conflict(
            _("Someone else has just acted on this estimate. Reload the page to see what changed.")
        ) from exc
    _emit(estimate, authority, action, comment)


def _audit(estimate: Estimate, authority: Authority, **kwargs: Any) -> None:
    audit_record(
        actor=authority.actor,
        acting_for=authority.acting_for,
        role=authority.role,
        unit_name=authority.unit_name,
        estimate=estimate,
        **kwargs,
    )


def _emit(estimate: Estimate, authority: Authority, kind: str, comment: str) -> None:
    """Record the notification event in this transaction (the outbox relays it after
    commit). Until the notifications app provides the outbox, nothing is recorded."""
    try:
        from notifications.services import event_emit
    except ImportError:
        return
    event_emit(
        kind=kind,
        estimate=estimate,
        actor=authority.actor,
        acting_for=authority.acting_for,
        comment=comment,
    )


def _authority(
    actor: Any, estimate: Estimate, codename: str, stage: str, acting_for: Any = None
) -> Authority:
    return access.authority_check(
        actor=actor, estimate=estimate, codename=codename, stage=stage, acting_for=acting_for
    )


# --------------------------------------------------------------------------------------
# Drafting


def _check_input(
    plan: Plan, unit: Unit, level: str, data: EstimateInput
) -> tuple[Activity, list[Unit]]:
    activity = (
        Activity.objects.select_related("content")
        .filter(pk=data.activity_id, content__plan=plan)
        .first()
    )
    if activity is None:
        raise RuleViolation(_("Choose an activity of the plan's catalogue."), field="activity")
    if not activity.allows_level(level):
        raise RuleViolation(_("This activity is not run at this level."), field="activity")
    _clean_text(data.title, field_name="title", max_length=300)
    if not data.title.strip():
        raise RuleViolation(_("Give the estimate a title."), field="title")
    _clean_text(data.purpose, field_name="purpose")
    if not isinstance(data.start_date, dt.date) or not isinstance(data.end_date, dt.date):
        raise RuleViolation(_("Enter the dates as dd/mm/yyyy."), field="start_date")
    if data.end_date < data.start_date:
        raise RuleViolation(_("The activity ends before it starts."), field="end_date")
    if data.start_date < plan.period_start or data.end_date > plan.period_end:
        raise RuleViolation(
            _("The activity must fall within the plan's period (%(start)s – %(end)s).")
            % {
                "start": plan.period_start.strftime("%d/%m/%Y"),
                "end": plan.period_end.strftime("%d/%m/%Y"),
            },
            field="start_date",
        )
    for name in ("participants_women", "participants_girls", "participants_men"):
        value = getattr(data, name)
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 1_000_000:
            raise RuleViolation(_("Enter a number of people from 0 to 1,000,000."), field=name)
    villages = list(Unit.objects.filter(pk__in=list(data.village_ids), kind=UnitKind.VILLAGE))
    if len(villages) != len(set(data.village_ids)) or any(v.parent_id != unit.pk for v in villages):
        raise RuleViolation(
            _("Choose villages of %(unit)s only.") % {"unit": unit.name}, field="villages"
        )
    if len(data.lines) > MAX_LINES:
        raise RuleViolation(_("At most %(n)s cost lines.") % {"n": MAX_LINES}, field="lines")
    return activity, villages


def _line_amount(line: LineInput, index: int) -> int:
    where = f"lines[{index}]"
    for name in ("quantity", "unit_price", "times"):
        value = getattr(line, name)
        if isinstance(value, bool) or not isinstance(value, int):
            raise RuleViolation(
                _("Line %(n)s: enter a whole number.") % {"n": index + 1}, field=f"{where}.{name}"
            )
        if value <= 0:
            raise RuleViolation(
                _("Line %(n)s: quantity, unit price and days must be greater than zero.")
                % {"n": index + 1},
                field=f"{where}.{name}",
            )
    if line.quantity > 1_000_000 or line.times > 10_000 or line.unit_price > MAX_AMOUNT:
        raise RuleViolation(
            _("Line %(n)s: the figures are too large.") % {"n": index + 1}, field=where
        )
    amount = line.quantity * line.unit_price * line.times
    if amount > MAX_AMOUNT:
        raise RuleViolation(
            _("Line %(n)s: the amount exceeds 10^15 đồng.") % {"n": index + 1}, field=where
        )
    if line.source not in Source.values:
        raise RuleViolation(
            _("Line %(n)s: choose a funding source.") % {"n": index + 1},
            field=f"{where}.source",
        )
    if not line.description.strip() or not line.unit_of_measure.strip():
        raise RuleViolation(
            _("Line %(n)s: give a description and a unit.") % {"n": index + 1}, field=where
        )
    _clean_text(line.description, field_name=f"{where}.description", max_length=300)
    _clean_text(line.unit_of_measure, field_name=f"{where}.unit_of_measure", max_length=50)
    if line.norm_id is not None and not Norm.objects.filter(pk=line.norm_id).exists():
        raise RuleViolation(
            _("Line %(n)s: unknown cost norm.") % {"n": index + 1}, field=f"{where}.norm"
        )
    return amount


def _write_lines(estimate: Estimate, lines: Sequence[LineInput]) -> int:
    """Replace the estimate's lines; keep the ids of edited lines (the version diff
    matches lines by id). Returns the new total."""
    amounts = [_line_amount(line, i) for i, line in enumerate(lines)]
    total = sum(amounts)
    if total > MAX_AMOUNT:
        raise RuleViolation(_("The estimate's total exceeds 10^15 đồng."), field="lines")
    existing = {line.pk: line for line in estimate.lines.all()}
    keep = {line.line_id for line in lines if line.line_id is not None}
    if not keep <= set(existing):
        raise RuleViolation(_("A cost line does not belong to this estimate."), field="lines")
    estimate.lines.exclude(pk__in=keep).delete()
    # Move kept lines out of the way so positions can be renumbered without clashes.
    for offset, line_id in enumerate(keep, start=1):
        EstimateLine.objects.filter(pk=line_id).update(position=100_000 + offset)
    for position, (line, amount) in enumerate(zip(lines, amounts, strict=True), start=1):
        values = {
            "position": position,
            "description": line.description.strip(),
            "unit_of_measure": line.unit_of_measure.strip(),
            "quantity": line.quantity,
            "unit_price": line.unit_price,
            "times": line.times,
            "source": line.source,
            "norm_id": line.norm_id,
            "amount": amount,
            "appraised_amount": None,
            "appraisal_note": "",
            "approved_amount": None,
        }
        if line.line_id is not None:
            EstimateLine.objects.filter(pk=line.line_id).update(**values)
        else:
            EstimateLine.objects.create(estimate=estimate, **values)
    return total


def estimate_create(*, actor: Any, plan: Plan, unit: Unit, data: EstimateInput) -> Estimate:
    """A commune (or the district Women's Union, for district-level activities) starts a
    draft for its own unit."""
    level = Level.COMMUNE if unit.kind == UnitKind.COMMUNE else Level.DISTRICT
    with transaction.atomic():
        if unit.pk not in access.unit_ids_with(actor, perms.DRAFT):
            raise RuleViolation(_("You may draft estimates for your own unit only."), field="unit")
        activity, villages = _check_input(plan, unit, level, data)
        estimate = Estimate.objects.create(
            plan=plan,
            number=f"tmp-{timezone.now().timestamp()}-{actor.pk}",
            level=level,
            unit=unit,
            content=activity.content,
            activity=activity,
            title=data.title.strip(),
            purpose=data.purpose.strip(),
            participants_women=data.participants_women,
            participants_girls=data.participants_girls,
            participants_men=data.participants_men,
            start_date=data.start_date,
            end_date=data.end_date,
            created_by=actor,
            status=S.DRAFT,
            status_changed_at=timezone.now(),
        )
        estimate.number = f"DT-{plan.year}-{estimate.pk:05d}"
        estimate.villages.set(villages)
        estimate.total_amount = _write_lines(estimate, data.lines)
        estimate.save(update_fields=["number", "total_amount"])
        authority = _authority(actor, estimate, perms.DRAFT, Stage.DRAFT)
        _audit(
            estimate,
            authority,
            action="estimate.created",
            stage=Stage.DRAFT,
            to_status=S.DRAFT,
            amount=estimate.total_amount,
        )
        engine.flow_start(estimate)
    return estimate


def estimate_update(*, actor: Any, estimate_id: int, data: EstimateInput) -> Estimate:
    """Edit a draft or a returned estimate (its drafting unit only)."""
    with transaction.atomic():
        estimate = _lock(estimate_id)
        authority = _authority(actor, estimate, perms.DRAFT, Stage.DRAFT)
        _expect(estimate, *EDITABLE_STATUSES)
        activity, villages = _check_input(estimate.plan, estimate.unit, estimate.level, data)
        before = estimate.total_amount
        estimate.activity = activity
        estimate.content = activity.content
        estimate.title = data.title.strip()
        estimate.purpose = data.purpose.strip()
        estimate.participants_women = data.participants_women
        estimate.participants_girls = data.participants_girls
        estimate.participants_men = data.participants_men
        estimate.start_date = data.start_date
        estimate.end_date = data.end_date
        estimate.villages.set(villages)
        estimate.total_amount = _write_lines(estimate, data.lines)
        estimate.save()
        _audit(
            estimate,
            authority,
            action="estimate.edited",
            stage=Stage.DRAFT,
            from_status=estimate.status,
            to_status=estimate.status,
            amount=estimate.total_amount,
            data={"total_before": before},
        )
    return estimate


def _snapshot(estimate: Estimate) -> dict[str, Any]:
    return {
        "title": estimate.title,
        "activity": estimate.activity_id,
        "start_date": estimate.start_date.isoformat(),
        "end_date": estimate.end_date.isoformat(),
        "participants": [
            estimate.participants_women,
            estimate.participants_girls,
            estimate.participants_men,
        ],
        "villages": sorted(estimate.villages.values_list("pk", flat=True)),
        "total_amount": estimate.total_amount,
        "lines": [
            {
                "id": line.pk,
                "position": line.position,
                "description": line.description,
                "unit_of_measure": line.unit_of_measure,
                "quantity": line.quantity,
                "unit_price": line.unit_price,
                "times": line.times,
                "source": line.source,
                "amount": line.amount,
            }
            for line in estimate.lines.order_by("position")
        ],
    }


def estimate_submit(
    *, actor: Any, estimate_id: int, comment: str = "", acting_for: Any = None
) -> Estimate:
    """Submit a draft (or a revised estimate): freeze a numbered version and send it to the
    district Women's Union — or straight to appraisal for a district-level estimate."""
    with transaction.atomic():
        estimate = _lock(estimate_id)
        authority = _authority(actor, estimate, perms.DRAFT, Stage.DRAFT, acting_for)
        _expect(estimate, *EDITABLE_STATUSES)
        comment = _reason(comment, required=False, what="")
        if not estimate.lines.exists():
            raise RuleViolation(_("Add at least one cost line before submitting."), field="lines")
        estimate.version += 1
        estimate.submitted_by = actor
        EstimateVersion.objects.create(
            estimate=estimate,
            number=estimate.version,
            snapshot=_snapshot(estimate),
            total_amount=estimate.total_amount,
            created_by=actor,
        )
        to_status = S.APPRAISAL if estimate.level == Level.DISTRICT else S.REVIEW
        _move(
            estimate,
            authority=authority,
            action="estimate.submitted",
            stage=Stage.DRAFT,
            to_status=to_status,
            comment=comment,
            amount=estimate.total_amount,
            data={"version": estimate.version},
            extra_fields=["version", "submitted_by"],
        )
    return estimate


def estimate_forward(
    *, actor: Any, estimate_id: int, comment: str = "", acting_for: Any = None
) -> Estimate:
    """The district Women's Union forwards a reviewed estimate to Finance-Planning."""
    with transaction.atomic():
        estimate = _lock(estimate_id)
        authority = _authority(actor, estimate, perms.REVIEW, Stage.REVIEW, acting_for)
        _expect(estimate, S.REVIEW)
        comment = _reason(comment, required=False, what="")
        _move(
            estimate,
            authority=authority,
            action="estimate.forwarded",
            stage=Stage.REVIEW,
            to_status=S.APPRAISAL,
            comment=comment,
            amount=estimate.total_amount,
        )
    return estimate


#: Where a return from each status goes, by the ``to`` the reviewer chose.
RETURN_TARGETS: dict[str, dict[str, str]] = {  # status -> {to: new status}
    S.REVIEW: {"drafter": S.RETURNED},
    S.APPRAISAL: {"drafter": S.RETURNED, "review": S.REVIEW},
    S.APPROVAL: {"appraisal": S.APPRAISAL},
}
RETURN_STAGES: dict[str, tuple[str, str]] = {
    S.REVIEW: (perms.REVIEW, Stage.REVIEW),
    S.APPRAISAL: (perms.APPRAISE, Stage.APPRAISAL),
    S.APPROVAL: (perms.APPROVE, Stage.APPROVAL),
}


def estimate_return(
    *,
    actor: Any,
    estimate_id: int,
    reason: str,
    to: str | None = None,
    acting_for: Any = None,
) -> Estimate:
    """Return for revision, with a reason (required): from review to the drafter; from
    appraisal to the drafter or to review; from approval to appraisal."""
    with transaction.atomic():
        estimate = _lock(estimate_id)
        _expect(estimate, *RETURN_TARGETS)
        codename, stage = RETURN_STAGES[estimate.status]
        authority = _authority(actor, estimate, codename, stage, acting_for)
        reason = _reason(reason, required=True, what=_("for returning the estimate"))
        targets = RETURN_TARGETS[estimate.status]
        if to is None:
            to = next(iter(targets))
        if to not in targets or (to == "review" and estimate.level == Level.DISTRICT):
            raise RuleViolation(_("This estimate cannot be returned there."), field="to")
        from_status = estimate.status
        if from_status == S.APPROVAL:
            ledger.ledger_release(estimate=estimate, actor=actor)
            estimate.approved_amount = None
        _move(
            estimate,
            authority=authority,
            action="estimate.returned",
            stage=stage,
            to_status=targets[to],
            comment=reason,
            amount=estimate.total_amount,
            data={"to": to},
            extra_fields=["approved_amount"],
        )
    return estimate


def estimate_appraise(
    *,
    actor: Any,
    estimate_id: int,
    cuts: Sequence[LineCut] = (),
    comment: str = "",
    norm_override_reason: str = "",
    acting_for: Any = None,
) -> Estimate:
    """Finance-Planning appraises: may lower any line (never raise it) with a reason per
    changed line, checks norms and the envelope, and forwards to the approver."""
    with transaction.atomic():
        estimate = _lock(estimate_id)
        authority = _authority(actor, estimate, perms.APPRAISE, Stage.APPRAISAL, acting_for)
        _expect(estimate, S.APPRAISAL)
        comment = _reason(comment, required=False, what="")
        override = _clean_text(norm_override_reason or "", field_name="norm_override_reason")
        lines = {line.pk: line for line in estimate.lines.select_related("norm")}
        by_line: dict[int, LineCut] = {}
        for given in cuts:
            if given.line_id not in lines:
                raise RuleViolation(
                    _("A cost line does not belong to this estimate."), field="lines"
                )
            by_line[given.line_id] = given
        changes = []
        for line in lines.values():
            cut = by_line.get(line.pk)
            appraised = line.amount if cut is None else cut.appraised_amount
            if isinstance(appraised, bool) or not isinstance(appraised, int) or appraised < 0:
                raise RuleViolation(
                    _("Line %(n)s: enter the appraised amount as a whole number of đồng.")
                    % {"n": line.position},
                    field=f"line-{line.pk}",
                )
            if appraised > line.amount:
                raise RuleViolation(
                    _(
                        "Line %(n)s: appraisal may lower a line, never raise it (requested "
                        "%(amount)s)."
                    )
                    % {"n": line.position, "amount": format_vnd(line.amount)},
                    field=f"line-{line.pk}",
                )
            note = ""
            if appraised != line.amount:
                note = _clean_text(
                    cut.reason if cut else "", field_name=f"line-{line.pk}", max_length=500
                )
                if not note:
                    raise RuleViolation(
                        _("Line %(n)s: give the reason for the change.") % {"n": line.position},
                        field=f"line-{line.pk}",
                    )
                changes.append(
                    {"line": line.position, "from": line.amount, "to": appraised, "reason": note}
                )
            line.appraised_amount = appraised
            line.appraisal_note = note
        EstimateLine.objects.bulk_update(lines.values(), ["appraised_amount", "appraisal_note"])
        estimate.appraised_amount = sum(line.appraised_amount or 0 for line in lines.values())
        if estimate.appraised_amount == 0:
            raise RuleViolation(
                _("Appraisal would leave nothing to spend: return the estimate instead."),
                field="lines",
            )
        kept = ledger.norm_appraisal_check(
            estimate=estimate,
            actor=actor,
            on_date=estimate.start_date,
            overrides=dict.fromkeys(lines, override) if override else None,
        )
        findings = [f"{o.line.position}: {o.findings}" for o in kept]
        ledger.ledger_reserve(estimate=estimate, actor=actor)
        _move(
            estimate,
            authority=authority,
            action="estimate.appraised",
            stage=Stage.APPRAISAL,
            to_status=S.APPROVAL,
            comment=comment,
            amount=estimate.appraised_amount,
            data={"cuts": changes, "norm_findings": findings, "norm_override": override},
            extra_fields=["appraised_amount"],
        )
    return estimate


def estimate_approve(
    *, actor: Any, estimate_id: int, comment: str = "", acting_for: Any = None
) -> Estimate:
    """The vice chair approves: the appraised amounts become the approved amounts per line
    and per source, committed against the envelope."""
    with transaction.atomic():
        estimate = _lock(estimate_id)
        authority = _authority(actor, estimate, perms.APPROVE, Stage.APPROVAL, acting_for)
        _expect(estimate, S.APPROVAL)
        comment = _reason(comment, required=False, what="")
        lines = list(estimate.lines.all())
        for line in lines:
            line.approved_amount = line.appraised_amount
        EstimateLine.objects.bulk_update(lines, ["approved_amount"])
        estimate.approved_amount = sum(line.approved_amount or 0 for line in lines)
        by_source = {
            source: sum(line.approved_amount or 0 for line in lines if line.source == source)
            for source in Source.values
        }
        ledger.ledger_commit(estimate=estimate, actor=actor)
        _move(
            estimate,
            authority=authority,
            action="estimate.approved",
            stage=Stage.APPROVAL,
            to_status=S.APPROVED,
            comment=comment,
            amount=estimate.approved_amount,
            data={"by_source": by_source},
            extra_fields=["approved_amount"],
        )
    return estimate


def estimate_withdraw(
    *, actor: Any, estimate_id: int, reason: str, acting_for: Any = None
) -> Estimate:
    """The drafting unit withdraws an estimate that is not yet approved."""
    with transaction.atomic():
        estimate = _lock(estimate_id)
        authority = _authority(actor, estimate, perms.DRAFT, Stage.DRAFT, acting_for)
        _expect(estimate, *EDITABLE_STATUSES, *IN_REVIEW_STATUSES)
        reason = _reason(reason, required=True, what=_("for withdrawing the estimate"))
        if estimate.status == S.APPROVAL:
            ledger.ledger_release(estimate=estimate, actor=actor)
        _move(
            estimate,
            authority=authority,
            action="estimate.withdrawn",
            stage=Stage.DRAFT,
            to_status=S.WITHDRAWN,
            comment=reason,
            amount=estimate.total_amount,
        )
    return estimate


# --------------------------------------------------------------------------------------
# Money: the ledger does the arithmetic; these services hold the state, rights and audit.


def estimate_disburse(
    *,
    actor: Any,
    estimate_id: int,
    kind: str,
    paid_on: dt.date,
    amount: int,
    source: str,
    document_type: str,
    document_number: str,
    payee: str,
    note: str = "",
    acting_for: Any = None,
) -> Any:
    """The treasurer/accountant records an advance or a payment on an approved estimate.
    Never above what was approved per source (the ledger holds that under a lock)."""
    with transaction.atomic():
        estimate = _lock(estimate_id)
        authority = _authority(actor, estimate, perms.DISBURSE, Stage.DISBURSEMENT, acting_for)
        _expect(estimate, S.APPROVED)
        disbursement = ledger.disbursement_record(
            estimate=estimate,
            actor=actor,
            kind=kind,
            paid_on=paid_on,
            amount=amount,
            source=source,
            document_type=_clean_text(document_type, field_name="document_type", max_length=100),
            document_number=_clean_text(
                document_number, field_name="document_number", max_length=100
            ),
            payee=_clean_text(payee, field_name="payee", max_length=200),
            note=_clean_text(note, field_name="note", max_length=1000),
        )
        _audit(
            estimate,
            authority,
            action="estimate.disbursed",
            stage=Stage.DISBURSEMENT,
            from_status=estimate.status,
            to_status=estimate.status,
            amount=amount,
            data={
                "kind": kind,
                "source": source,
                "paid_on": paid_on.isoformat(),
                "document": f"{document_type} {document_number}".strip(),
                "payee": payee,
            },
        )
        _emit(estimate, authority, "estimate.disbursed", note)
    return disbursement


def estimate_settle(
    *,
    actor: Any,
    estimate_id: int,
    lines: Sequence[dict[str, Any]],
    returned: int = 0,
    return_document: str = "",
    carried: int = 0,
    carried_use_by: dt.date | None = None,
    comment: str = "",
    acting_for: Any = None,
) -> Estimate:
    """The spending unit reports what it actually spent per line; the rest is returned or
    carried over. Spent + returned + carried must equal what was disbursed."""
    with transaction.atomic():
        estimate = _lock(estimate_id)
        authority = _authority(actor, estimate, perms.DRAFT, Stage.SETTLEMENT, acting_for)
        _expect(estimate, S.APPROVED)
        comment = _reason(comment, required=False, what="")
        settlement = ledger.settlement_submit(
            estimate=estimate,
            actor=actor,
            lines=list(lines),
            returned=returned,
            return_document=_clean_text(
                return_document, field_name="return_document", max_length=100
            ),
            carried=carried,
            carried_use_by=carried_use_by,
        )
        spent = sum(int(item["spent"]) for item in lines)
        _move(
            estimate,
            authority=authority,
            action="estimate.settlement_submitted",
            stage=Stage.SETTLEMENT,
            to_status=S.SETTLEMENT,
            comment=comment,
            amount=spent,
            data={
                "spent": spent,
                "returned": returned,
                "carried": carried,
                "settlement": getattr(settlement, "pk", None),
            },
        )
    return estimate


def estimate_verify_settlement(
    *, actor: Any, estimate_id: int, comment: str = "", acting_for: Any = None
) -> Estimate:
    """Finance-Planning verifies the settlement and closes the estimate."""
    with transaction.atomic():
        estimate = _lock(estimate_id)
        authority = _authority(actor, estimate, perms.VERIFY, Stage.VERIFICATION, acting_for)
        _expect(estimate, S.SETTLEMENT)
        comment = _reason(comment, required=False, what="")
        ledger.settlement_verify(estimate=estimate, actor=actor)
        _move(
            estimate,
            authority=authority,
            action="estimate.closed",
            stage=Stage.VERIFICATION,
            to_status=S.CLOSED,
            comment=comment,
        )
    return estimate


def estimate_return_settlement(
    *, actor: Any, estimate_id: int, reason: str, acting_for: Any = None
) -> Estimate:
    """Finance-Planning sends a settlement back to the spending unit for correction."""
    with transaction.atomic():
        estimate = _lock(estimate_id)
        authority = _authority(actor, estimate, perms.VERIFY, Stage.VERIFICATION, acting_for)
        _expect(estimate, S.SETTLEMENT)
        reason = _reason(reason, required=True, what=_("for returning the settlement"))
        ledger.settlement_reopen(estimate=estimate, actor=actor, reason=reason)
        _move(
            estimate,
            authority=authority,
            action="estimate.settlement_returned",
            stage=Stage.VERIFICATION,
            to_status=S.APPROVED,
            comment=reason,
        )
    return estimate


def estimate_clear_advance(
    *,
    actor: Any,
    estimate_id: int,
    disbursement_id: int,
    cleared_on: dt.date,
    document: str,
    acting_for: Any = None,
) -> Any:
    """The treasurer/accountant records that an advance was justified with payment
    documents (thanh toán tạm ứng). No money moves and the status stays; it is audited."""
    with transaction.atomic():
        estimate = _lock(estimate_id)
        authority = _authority(actor, estimate, perms.DISBURSE, Stage.DISBURSEMENT, acting_for)
        _expect(estimate, S.APPROVED)
        advance = Disbursement.objects.filter(pk=disbursement_id, estimate=estimate).first()
        if advance is None or advance.kind != DisbursementKind.ADVANCE:
            raise RuleViolation(_("This is not an advance of this estimate."), field="document")
        if not isinstance(cleared_on, dt.date) or isinstance(cleared_on, dt.datetime):
            raise RuleViolation(_("Enter the date the advance was cleared."), field="cleared_on")
        if cleared_on > timezone.localdate():
            raise RuleViolation(_("The date cannot be in the future."), field="cleared_on")
        if advance.cleared_on is not None:
            return advance
        document = _clean_text(document or "", field_name="document", max_length=120)
        cleared = ledger.advance_clear(
            disbursement=advance, actor=actor, cleared_on=cleared_on, document=document
        )
        _audit(
            estimate,
            authority,
            action="estimate.advance_cleared",
            stage=Stage.DISBURSEMENT,
            from_status=estimate.status,
            to_status=estimate.status,
            amount=advance.amount,
            data={
                "disbursement": advance.pk,
                "source": advance.source,
                "paid_on": advance.paid_on.isoformat(),
                "cleared_on": cleared_on.isoformat(),
                "document": document,
            },
        )
    return cleared


# --------------------------------------------------------------------------------------
# The plan's money with no estimate status: a commune's share of the commune-level cell.


def subenvelope_change(*, actor: Any, plan: Plan, commune: Unit, source: str, amount: int) -> Any:
    """The district Women's Union or Finance-Planning sets a commune's share of the
    commune-level cell of ``source``. The ledger locks the cell and checks the sums; this
    checks the actor's right on the commune and audits the change, in one transaction."""
    if not getattr(actor, "is_authenticated", False) or not actor.is_active:
        raise Forbidden(_("Log in to do this."))
    allowed = access.unit_ids_with(actor, perms.APPRAISE) | access.unit_ids_with(
        actor, perms.REVIEW
    )
    if commune.pk not in allowed:
        raise Forbidden(_("Your role does not set the share of this commune."))
    with transaction.atomic():
        # The cell first (the ledger's lock order), so the share read here is the one
        # the ledger replaces.
        cells = list(
            EnvelopeCell.objects.select_for_update()
            .filter(plan=plan, level=Level.COMMUNE, source=source)
            .order_by("pk")
        )
        before = (
            SubEnvelope.objects.filter(cell__in=cells, commune=commune)
            .values_list("amount", flat=True)
            .first()
        )
        sub = ledger.subenvelope_set(
            plan=plan, commune=commune, source=source, amount=amount, actor=actor
        )
        audit_record(
            action="envelope.subenvelope_set",
            actor=actor,
            data={
                "plan": plan.number,
                "commune": commune.code,
                "source": source,
                "from": before,
                "to": sub.amount,
            },
            amount=sub.amount,
        )
    return sub
