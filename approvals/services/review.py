"""Review, appraisal and approval: the district Women's Union forwards or returns, the
Finance-Planning office appraises (may cut lines) or returns, the vice chair approves or
returns."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _

from core.db import rows_update
from core.errors import Problems, RuleViolation
from core.money import format_vnd
from core.text import field_limit, text_clean
from estimates.models import Estimate, EstimateLine, EstimateStatus, Source
from estimates.selectors import estimate_lines
from ledger import norms
from ledger import services as ledger
from ledger.models import NormOverride

from .decisions import ISSUER_PATHS, decision_issue
from .transition import transition

S = EstimateStatus


@dataclass(frozen=True)
class LineCut:
    """Appraisal of one line: the appraised amount (never above the requested) and why."""

    line_id: int
    appraised_amount: int
    reason: str = ""


def estimate_forward(
    *, actor: Any, estimate_id: int, comment: str = "", acting_for: Any = None
) -> Estimate:
    """The district Women's Union forwards a reviewed estimate to Finance-Planning."""
    with transition("forward", actor=actor, estimate_id=estimate_id, acting_for=acting_for) as step:
        step.finish(comment=step.comment(comment), amount=step.estimate.total_amount)
    return step.estimate


def estimate_return(
    *,
    actor: Any,
    estimate_id: int,
    reason: str,
    to: str | None = None,
    acting_for: Any = None,
) -> Estimate:
    """Return for revision, with a reason (required): from review to the drafter; from
    appraisal to the drafter or to review; from approval to appraisal (the table's
    ``targets`` of each ``return`` row)."""
    with transition("return", actor=actor, estimate_id=estimate_id, acting_for=acting_for) as step:
        estimate = step.estimate
        reason = step.comment(reason, what=_("for returning the estimate"))
        to = to if to is not None else next(iter(step.row.targets))
        to_status = step.target(to)
        fields = []
        if step.from_status == S.APPROVAL:
            ledger.ledger_release(estimate=estimate, actor=actor)
            estimate.approved_amount = None
            fields.append("approved_amount")
        step.finish(
            to_status=to_status,
            comment=reason,
            amount=estimate.total_amount,
            data={"to": to},
            fields=fields,
        )
    return estimate


def _appraised_line(line: EstimateLine, cut: LineCut | None) -> dict[str, Any] | None:
    """Check one line's appraised amount and reason and set them on the line; the change
    made (for the audit entry), or None when the line is kept as requested."""
    appraised = line.amount if cut is None else cut.appraised_amount
    if isinstance(appraised, bool) or not isinstance(appraised, int) or appraised < 0:
        raise RuleViolation(
            _("Line %(n)s: enter the appraised amount as a whole number of đồng.")
            % {"n": line.position},
            field=f"line-{line.pk}",
        )
    if appraised > line.amount:
        raise RuleViolation(
            _("Line %(n)s: appraisal may lower a line, never raise it (requested %(amount)s).")
            % {"n": line.position, "amount": format_vnd(line.amount)},
            field=f"line-{line.pk}",
        )
    note = ""
    if appraised != line.amount:
        note = text_clean(
            cut.reason if cut else "",
            field=f"reason-{line.pk}",
            max_length=field_limit(EstimateLine, "appraisal_note"),
        )
        if not note:
            raise RuleViolation(
                _("Line %(n)s: give the reason for the change.") % {"n": line.position},
                field=f"reason-{line.pk}",
            )
    line.appraised_amount = appraised
    line.appraisal_note = note
    if appraised == line.amount:
        return None
    return {"line": line.position, "from": line.amount, "to": appraised, "reason": note}


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
    with transition(
        "appraise", actor=actor, estimate_id=estimate_id, acting_for=acting_for
    ) as step:
        estimate = step.estimate
        comment = step.comment(comment)
        override = text_clean(
            norm_override_reason or "",
            field="norm_override_reason",
            max_length=field_limit(NormOverride, "reason"),
            multiline=True,
        )
        lines = {line.pk: line for line in estimate_lines(estimate, with_norm=True)}
        by_line: dict[int, LineCut] = {}
        for given in cuts:
            if given.line_id not in lines:
                raise RuleViolation(
                    _("A cost line does not belong to this estimate."), field="lines"
                )
            by_line[given.line_id] = given
        changes = []
        problems = Problems()  # every line's refusal at once
        for line in lines.values():
            with problems.collect():
                change = _appraised_line(line, by_line.get(line.pk))
                if change:
                    changes.append(change)
        problems.raise_any()
        rows_update(lines.values(), ["appraised_amount", "appraisal_note"])
        estimate.appraised_amount = sum(line.appraised_amount or 0 for line in lines.values())
        if estimate.appraised_amount == 0:
            raise RuleViolation(
                _("Appraisal would leave nothing to spend: return the estimate instead."),
                field="lines",
            )
        held = sorted(lines.values(), key=lambda line: line.position)
        kept = norms.norm_appraisal_check(
            estimate=estimate,
            actor=actor,
            on_date=estimate.start_date,
            overrides=dict.fromkeys(lines, override) if override else None,
            lines=held,
        )
        findings = [f"{o.line.position}: {o.findings}" for o in kept]
        ledger.ledger_reserve(estimate=estimate, actor=actor, lines=held)
        step.finish(
            comment=comment,
            amount=estimate.appraised_amount,
            data={"cuts": changes, "norm_findings": findings, "norm_override": override},
            fields=["appraised_amount"],
        )
    return estimate


def estimate_approve(
    *, actor: Any, estimate_id: int, comment: str = "", acting_for: Any = None
) -> Estimate:
    """The vice chair approves: the appraised amounts become the approved amounts per line
    and per source, committed against the envelope, and the decision is issued with the
    next number of its issuer's register (same transaction: a refused approval takes no
    number)."""
    with transition(
        "approve",
        actor=actor,
        estimate_id=estimate_id,
        acting_for=acting_for,
        related=ISSUER_PATHS,
    ) as step:
        estimate = step.estimate
        comment = step.comment(comment)
        lines = estimate_lines(estimate)
        for line in lines:
            line.approved_amount = line.appraised_amount
        rows_update(lines, ["approved_amount"])
        estimate.approved_amount = sum(line.approved_amount or 0 for line in lines)
        by_source = {
            source: sum(line.approved_amount or 0 for line in lines if line.source == source)
            for source in Source.values
        }
        ledger.ledger_commit(estimate=estimate, actor=actor, lines=lines)
        decision = decision_issue(estimate=estimate, lines=lines, authority=step.authority)
        step.finish(
            comment=comment,
            amount=estimate.approved_amount,
            data={"by_source": by_source, "decision": decision.symbol},
            fields=["approved_amount"],
        )
    return estimate
