"""Amending an approved estimate (điều chỉnh dự toán).

The spending unit proposes new quantities, unit prices or days on the estimate's lines (up
or down) and new dates; the amendment goes through review (commune level), appraisal and
approval on its own short lifecycle (``approvals.lifecycle.AMENDMENT_TRANSITIONS``), through
the same transition helper, access gate and segregation of duties as the estimate.

Why an amendment with its own status, and not statuses on the estimate: while it is under
review the estimate stays ``approved`` on its decision in force, so the accountant keeps
disbursing within what is approved, and nothing of the lines, the dates or the commitment
moves. Only the approval changes them, in one transaction: the ledger moves the commitment
by the difference per source (``ledger.services.ledger_amend``: an increase is checked
against the free envelope and the commune's share, a decrease never goes below what is
disbursed, checked again then since payments went on meanwhile), the lines take the
amended figures, and the amendment gets its own decision (the estimate's decision stays as
it was issued). One amendment is open per estimate at a time (the estimate's lock and a
database constraint).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _

from core.db import rows_update
from core.errors import Conflict, RuleViolation
from core.money import MAX_AMOUNT, format_vnd
from estimates.models import (
    Amendment,
    AmendmentLine,
    EstimateLine,
    EstimateVersion,
)
from ledger import services as ledger
from ledger.models import EstimateAccount

from .decisions import ISSUER_PATHS, decision_issue
from .drafting import _snapshot
from .transition import transition


@dataclass(frozen=True)
class AmendmentLineInput:
    """The new factors of one line of the estimate (lines not given keep theirs)."""

    line_id: int
    quantity: int
    unit_price: int
    times: int = 1


def _whole(value: Any, *, field: str, label: str, n: int, top: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0 or value > top:
        raise RuleViolation(
            _("Line %(n)s: enter the %(what)s as a whole number above zero.")
            % {"n": n, "what": label},
            field=field,
        )
    return value


def _amended_lines(
    lines: list[EstimateLine], given: Sequence[AmendmentLineInput]
) -> list[tuple[EstimateLine, int, int, int, int]]:
    """(line, quantity, unit price, times, amount) of every line that changes; refused with
    the line and field when a factor is not a whole number above zero or a line is not the
    estimate's."""
    by_id = {line.pk: line for line in lines}
    seen: set[int] = set()
    changed = []
    for i, item in enumerate(given):
        line = by_id.get(item.line_id)
        if line is None:
            raise RuleViolation(
                _("Item %(n)s is not a line of this estimate.") % {"n": i + 1},
                field=f"lines[{i}].line_id",
            )
        if line.pk in seen:
            raise RuleViolation(
                _("Line %(n)s is given twice.") % {"n": line.position},
                field=f"lines[{i}].line_id",
            )
        seen.add(line.pk)
        n = line.position
        quantity = _whole(
            item.quantity, field=f"lines[{i}].quantity", label=_("quantity"), n=n, top=MAX_AMOUNT
        )
        price = _whole(
            item.unit_price,
            field=f"lines[{i}].unit_price",
            label=_("unit price"),
            n=n,
            top=MAX_AMOUNT,
        )
        times = _whole(
            item.times, field=f"lines[{i}].times", label=_("days / times"), n=n, top=MAX_AMOUNT
        )
        amount = quantity * price * times
        if amount > MAX_AMOUNT:
            raise RuleViolation(
                _("Line %(n)s: the amount is too large.") % {"n": n},
                field=f"lines[{i}].quantity",
            )
        if (quantity, price, times) != (line.quantity, line.unit_price, line.times) or (
            amount != (line.approved_amount or 0)
        ):
            changed.append((line, quantity, price, times, amount))
    return changed


def _by_source(lines: list[EstimateLine], amounts: dict[int, int]) -> dict[str, int]:
    totals: dict[str, int] = defaultdict(int)
    for line in lines:
        totals[line.source] += amounts.get(line.pk, line.approved_amount or 0)
    return dict(totals)


def amendment_propose(
    *,
    actor: Any,
    estimate_id: int,
    lines: Sequence[AmendmentLineInput],
    start_date: dt.date,
    end_date: dt.date,
    reason: str,
    acting_for: Any = None,
) -> Amendment:
    """The spending unit proposes an amendment of an approved estimate, with a reason. It
    is frozen as the estimate's next version and sent to review (commune level) or to
    appraisal (district level); nothing of the estimate changes yet. Refused: an amendment
    already open, a line not the estimate's, a factor not a whole number above zero, dates
    outside the plan's period, nothing changed, or a source cut below what is disbursed."""
    with transition("amend", actor=actor, estimate_id=estimate_id, acting_for=acting_for) as step:
        estimate = step.estimate
        reason = step.comment(reason, what=_("for the amendment"))
        plan = estimate.plan
        if not isinstance(start_date, dt.date) or not isinstance(end_date, dt.date):
            raise RuleViolation(_("Enter the dates as dd/mm/yyyy."), field="start_date")
        if end_date < start_date:
            raise RuleViolation(_("The end date is before the start date."), field="end_date")
        if start_date < plan.period_start or end_date > plan.period_end:
            raise RuleViolation(
                _("The activity must fall within the plan's period (%(start)s – %(end)s).")
                % {
                    "start": plan.period_start.strftime("%d/%m/%Y"),
                    "end": plan.period_end.strftime("%d/%m/%Y"),
                },
                field="start_date",
            )
        held = list(estimate.lines.order_by("position"))
        changed = _amended_lines(held, lines)
        dates_changed = (start_date, end_date) != (estimate.start_date, estimate.end_date)
        if not changed and not dates_changed:
            raise RuleViolation(
                _("The amendment changes nothing: change a line or the dates."), field="lines"
            )
        amounts = {line.pk: amount for line, _q, _p, _t, amount in changed}
        accounts = {a.source: a for a in EstimateAccount.objects.filter(estimate=estimate)}
        ledger.amendment_money_check(estimate, _by_source(held, amounts), accounts)
        previous_total = estimate.approved_amount or 0
        total = sum(amounts.get(line.pk, line.approved_amount or 0) for line in held)
        estimate.version += 1
        number = Amendment.objects.filter(estimate=estimate).count() + 1
        amendment = Amendment(
            estimate=estimate,
            number=number,
            status=step.target(),
            reason=reason,
            start_date=start_date,
            end_date=end_date,
            previous_start_date=estimate.start_date,
            previous_end_date=estimate.end_date,
            previous_total=previous_total,
            total=total,
            version=estimate.version,
            proposed_by=actor,
        )
        step.amendment = amendment
        # The version shows the estimate as it would be once amended.
        factors = {line.pk: (q, p, t, a) for line, q, p, t, a in changed}
        shown = []
        for line in held:
            copy = EstimateLine(
                pk=line.pk,
                position=line.position,
                description=line.description,
                unit_of_measure=line.unit_of_measure,
                quantity=line.quantity,
                unit_price=line.unit_price,
                times=line.times,
                source=line.source,
                amount=line.approved_amount or 0,
            )
            if line.pk in factors:
                copy.quantity, copy.unit_price, copy.times, copy.amount = factors[line.pk]
            shown.append(copy)
        snapshot = _snapshot(estimate, shown)
        snapshot.update(
            start_date=start_date.isoformat(),
            end_date=end_date.isoformat(),
            total_amount=total,
            amendment=number,
        )
        EstimateVersion.objects.create(
            estimate=estimate,
            number=estimate.version,
            snapshot=snapshot,
            total_amount=total,
            created_by=actor,
        )
        # Saved by ``finish`` (its status is set there); its lines right after.
        step.finish(
            comment=reason,
            amount=total,
            data={"previous_total": previous_total, "version": estimate.version},
            fields=["version"],
        )
        AmendmentLine.objects.bulk_create(
            [
                AmendmentLine(
                    amendment=amendment,
                    line=line,
                    quantity=q,
                    unit_price=p,
                    times=t,
                    amount=a,
                    previous_amount=line.approved_amount or 0,
                )
                for line, q, p, t, a in changed
            ]
        )
    return amendment


def _open(step: Any, amendment_id: int | None) -> Amendment:
    """The open amendment the step acts on; when the caller named one
    (``amendment_id``: the API's path), it must be that one."""
    amendment: Amendment | None = step.amendment
    if amendment is None:  # the row starts from an open amendment's status; never true
        raise RuntimeError("an amendment action without its amendment")
    if amendment_id is not None and amendment.pk != amendment_id:
        raise Conflict(
            _(
                "This amendment is no longer open: amendment %(n)s of the estimate is. "
                "Reload it to see what changed."
            )
            % {"n": amendment.number}
        )
    return amendment


def amendment_forward(
    *,
    actor: Any,
    estimate_id: int,
    comment: str = "",
    acting_for: Any = None,
    amendment_id: int | None = None,
) -> Amendment:
    """The district Women's Union forwards a commune's amendment to Finance-Planning."""
    with transition(
        "amendment-forward", actor=actor, estimate_id=estimate_id, acting_for=acting_for
    ) as step:
        amendment = _open(step, amendment_id)
        step.finish(comment=step.comment(comment), amount=amendment.total)
    return amendment


def amendment_appraise(
    *,
    actor: Any,
    estimate_id: int,
    comment: str = "",
    acting_for: Any = None,
    amendment_id: int | None = None,
) -> Amendment:
    """Finance-Planning appraises the amendment and forwards it to the approver (or
    returns it). The envelope is checked again at approval, when the money moves."""
    with transition(
        "amendment-appraise", actor=actor, estimate_id=estimate_id, acting_for=acting_for
    ) as step:
        amendment = _open(step, amendment_id)
        step.finish(comment=step.comment(comment), amount=amendment.total)
    return amendment


def amendment_return(
    *,
    actor: Any,
    estimate_id: int,
    reason: str,
    acting_for: Any = None,
    amendment_id: int | None = None,
) -> Amendment:
    """Return the open amendment to the spending unit, with a reason: it closes, and the
    unit may propose a new one."""
    with transition(
        "amendment-return", actor=actor, estimate_id=estimate_id, acting_for=acting_for
    ) as step:
        amendment = _open(step, amendment_id)
        reason = step.comment(reason, what=_("for returning the amendment"))
        step.finish(comment=reason, amount=amendment.total)
    return amendment


def amendment_withdraw(
    *,
    actor: Any,
    estimate_id: int,
    reason: str,
    acting_for: Any = None,
    amendment_id: int | None = None,
) -> Amendment:
    """The spending unit withdraws its open amendment, with a reason."""
    with transition(
        "amendment-withdraw", actor=actor, estimate_id=estimate_id, acting_for=acting_for
    ) as step:
        amendment = _open(step, amendment_id)
        reason = step.comment(reason, what=_("for withdrawing the amendment"))
        step.finish(comment=reason, amount=amendment.total)
    return amendment


def amendment_approve(
    *,
    actor: Any,
    estimate_id: int,
    comment: str = "",
    acting_for: Any = None,
    amendment_id: int | None = None,
) -> Amendment:
    """The approver approves the amendment: the commitment moves by the difference per
    source (``ledger.services.ledger_amend``), the lines and dates take the amended
    figures, and the amendment's decision is issued with the next number of the issuer's
    register (the estimate's own decision stays as it was issued)."""
    with transition(
        "amendment-approve",
        actor=actor,
        estimate_id=estimate_id,
        acting_for=acting_for,
        related=ISSUER_PATHS,
    ) as step:
        estimate = step.estimate
        amendment = _open(step, amendment_id)
        comment = step.comment(comment)
        lines = list(estimate.lines.order_by("position"))
        factors = {
            al.line_id: al
            for al in AmendmentLine.objects.filter(amendment=amendment).order_by("line_id")
        }
        amounts = {pk: al.amount for pk, al in factors.items()}
        change = ledger.ledger_amend(
            estimate=estimate, actor=actor, approved=_by_source(lines, amounts)
        )
        for line in lines:
            al = factors.get(line.pk)
            if al is None:
                continue
            line.quantity, line.unit_price, line.times = al.quantity, al.unit_price, al.times
            line.amount = line.appraised_amount = line.approved_amount = al.amount
        if factors:
            rows_update(
                [line for line in lines if line.pk in factors],
                [
                    "quantity",
                    "unit_price",
                    "times",
                    "amount",
                    "appraised_amount",
                    "approved_amount",
                ],
            )
        estimate.start_date = amendment.start_date
        estimate.end_date = amendment.end_date
        estimate.total_amount = sum(line.amount for line in lines)
        estimate.appraised_amount = sum(line.appraised_amount or 0 for line in lines)
        estimate.approved_amount = sum(line.approved_amount or 0 for line in lines)
        decision = decision_issue(
            estimate=estimate, lines=lines, authority=step.authority, amendment=amendment
        )
        step.finish(
            comment=comment,
            amount=estimate.approved_amount,
            data={
                "change": change,
                "decision": decision.symbol,
                "total": f"{format_vnd(amendment.previous_total)} → "
                f"{format_vnd(estimate.approved_amount)}",
            },
            fields=[
                "start_date",
                "end_date",
                "total_amount",
                "appraised_amount",
                "approved_amount",
            ],
        )
    return amendment
