"""The money stages: the accountant disburses and clears advances, the spending unit
settles, Finance-Planning verifies or returns the settlement. The ledger does the
arithmetic and holds the sums; these hold the state, the rights and the audit."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import Forbidden, RuleViolation
from estimates.models import EnvelopeCell, Estimate, Plan
from ledger import services as ledger
from ledger.models import Disbursement, DisbursementKind, SubEnvelope
from organization.models import Unit

from .. import access
from ..audit import audit_record
from .transition import transition


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
    Never above what was approved per source (the ledger holds that under a lock), never
    dated before the approval (the decision's date)."""
    with transition(
        "disburse",
        actor=actor,
        estimate_id=estimate_id,
        acting_for=acting_for,
        related=("decision",),
    ) as step:
        _paid_after_approval(step.estimate, paid_on)
        disbursement = ledger.disbursement_record(
            estimate=step.estimate,
            actor=actor,
            kind=kind,
            paid_on=paid_on,
            amount=amount,
            source=source,
            document_type=document_type,
            document_number=document_number,
            payee=payee,
            note=note,
        )
        step.finish(
            comment=disbursement.note,
            amount=disbursement.amount,
            data={
                "kind": disbursement.kind,
                "source": disbursement.source,
                "paid_on": disbursement.paid_on.isoformat(),
                "document": f"{disbursement.document_type} {disbursement.document_number}",
                "payee": disbursement.payee,
            },
        )
    return disbursement


def _paid_after_approval(estimate: Estimate, paid_on: Any) -> None:
    """A payment is not dated before the approval decision (read with the estimate's lock).
    An estimate approved before decisions were issued has none: nothing to compare."""
    decision = getattr(estimate, "decision", None)
    if decision is None or not isinstance(paid_on, dt.date):
        return
    if paid_on < decision.issued_on:
        raise RuleViolation(
            _(
                "Date paid: a payment cannot be dated before the approval; the estimate was "
                "approved on %(date)s (decision %(symbol)s), enter that date or later."
            )
            % {"date": decision.issued_on.strftime("%d/%m/%Y"), "symbol": decision.symbol},
            field="paid_on",
        )


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
    with transition(
        "clear-advance", actor=actor, estimate_id=estimate_id, acting_for=acting_for
    ) as step:
        advance = Disbursement.objects.filter(pk=disbursement_id, estimate=step.estimate).first()
        if advance is None or advance.kind != DisbursementKind.ADVANCE:
            raise RuleViolation(_("This is not an advance of this estimate."), field="document")
        if not isinstance(cleared_on, dt.date) or isinstance(cleared_on, dt.datetime):
            raise RuleViolation(_("Enter the date the advance was cleared."), field="cleared_on")
        if cleared_on > timezone.localdate():
            raise RuleViolation(_("The date cannot be in the future."), field="cleared_on")
        if advance.cleared_on is not None:
            step.done = True  # already cleared: a retry, nothing to do
            return advance
        cleared = ledger.advance_clear(
            disbursement=advance, actor=actor, cleared_on=cleared_on, document=document
        )
        step.finish(
            amount=advance.amount,
            data={
                "disbursement": advance.pk,
                "source": advance.source,
                "paid_on": advance.paid_on.isoformat(),
                "cleared_on": cleared_on.isoformat(),
                "document": cleared.clearance_document,
            },
        )
    return cleared


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
    settled_on: dt.date | None = None,
) -> Estimate:
    """The spending unit reports what it actually spent per line; the rest is returned or
    carried over. Spent + returned + carried must equal what was disbursed. The settlement
    is dated ``settled_on`` (default today), never before the last payment."""
    with transition(
        "settle",
        actor=actor,
        estimate_id=estimate_id,
        acting_for=acting_for,
        related=("settlement",),
    ) as step:
        comment = step.comment(comment)
        settlement = ledger.settlement_submit(
            estimate=step.estimate,
            actor=actor,
            lines=list(lines),
            returned=returned,
            return_document=return_document,
            carried=carried,
            carried_use_by=carried_use_by,
            settled_on=settled_on,
        )
        spent = sum(int(item["spent"]) for item in lines)
        step.finish(
            comment=comment,
            amount=spent,
            data={
                "spent": spent,
                "returned": returned,
                "carried": carried,
                "settled_on": str(settlement.settled_on),
                "settlement": getattr(settlement, "pk", None),
            },
        )
    return step.estimate


def estimate_verify_settlement(
    *, actor: Any, estimate_id: int, comment: str = "", acting_for: Any = None
) -> Estimate:
    """Finance-Planning verifies the settlement and closes the estimate."""
    with transition(
        "verify-settlement",
        actor=actor,
        estimate_id=estimate_id,
        acting_for=acting_for,
        related=("settlement",),
    ) as step:
        comment = step.comment(comment)
        ledger.settlement_verify(estimate=step.estimate, actor=actor)
        step.finish(comment=comment)
    return step.estimate


def estimate_return_settlement(
    *, actor: Any, estimate_id: int, reason: str, acting_for: Any = None
) -> Estimate:
    """Finance-Planning sends a settlement back to the spending unit for correction."""
    with transition(
        "return-settlement",
        actor=actor,
        estimate_id=estimate_id,
        acting_for=acting_for,
        related=("settlement",),
    ) as step:
        reason = step.comment(reason, what=_("for returning the settlement"))
        ledger.settlement_reopen(estimate=step.estimate, actor=actor, reason=reason)
        step.finish(comment=reason)
    return step.estimate


# --------------------------------------------------------------------------------------
# The plan's money with no estimate status: a commune's share of the commune-level cell.


def subenvelope_change(*, actor: Any, plan: Plan, commune: Unit, source: str, amount: int) -> Any:
    """The district Women's Union or Finance-Planning sets a commune's share of the
    commune-level cell of ``source``. The ledger locks the cell and checks the sums; this
    checks the actor's right on the commune and audits the change, in one transaction."""
    if not getattr(actor, "is_authenticated", False) or not actor.is_active:
        raise Forbidden(_("Log in to do this."))
    if commune.pk not in access.envelope_unit_ids(actor):
        raise Forbidden(_("Your role does not set the share of this commune."))
    with transaction.atomic():
        # The cell first (the ledger's lock order), so the share read here is the one
        # the ledger replaces.
        cells = list(
            EnvelopeCell.objects.select_for_update()
            .filter(plan=plan, level=plan.commune_level() or "", source=source)
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
