"""Every movement of money: reservations at appraisal, commitments at approval, commune
sub-envelopes, disbursements, settlement, returns and carry-over, and cost norms.

The contract with ``approvals.services`` (the only place an estimate's status changes):
the caller opens the transaction, locks the estimate (``select_for_update``), checks the
actor's permission and segregation of duties, and calls one of these functions *before*
saving the estimate's new status. These functions check the status the transition starts
from, never change it, and raise :class:`core.errors.RuleViolation` (nothing written) when
a rule is broken.

Locks are always taken in one order, so two transactions never wait on each other in a
circle: the estimate (by the caller) → the envelope cells (``EnvelopeCell`` rows, by
primary key) → the commune sub-envelopes → the estimate's balance rows (by source) → its
disbursements. The cell row is the point where every change to a cell's money is
serialised; the balance columns are then changed and the database constraints hold them.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db.models import FilteredRelation, Max, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from core.db import CompiledQueries, row_save, rows_update
from core.errors import Problems, RuleViolation
from core.money import format_vnd
from core.transactions import step
from estimates.models import (
    EnvelopeCell,
    Estimate,
    EstimateLine,
    EstimateStatus,
    Plan,
    PlanCommune,
    Source,
)
from estimates.selectors import estimate_lines
from organization.models import Unit

from .inputs import amount_clean as _amount
from .inputs import model_text as _text
from .models import (
    CellAccount,
    Disbursement,
    DisbursementKind,
    DocumentType,
    Entry,
    EntryKind,
    EstimateAccount,
    Settlement,
    SettlementLine,
    SettlementStatus,
    SubEnvelope,
    Tranche,
    advance_clear_by,
)
from .selectors import commune_usage, source_label

#: The order sources are taken in when a settlement's unspent money is split: carry-over
#: is taken from the current-year allocation first, and the rest is returned, so money
#: that was already carried over once is returned before it is carried over again.
CARRY_ORDER = (Source.CURRENT, Source.CARRIED)


# ---------------------------------------------------------------------------------------
# Input checks shared by the services.


def _source(value: Any, *, field: str = "source") -> str:
    if value not in Source.values:
        raise RuleViolation(_("Choose a funding source from the plan."), field=field)
    return str(value)


def _actor(actor: Any) -> Any:
    """The acting user, or None for a system action (a command)."""
    return actor if getattr(actor, "pk", None) else None


def _require_status(estimate: Estimate, *allowed: str) -> None:
    if estimate.status not in allowed:
        raise RuleViolation(
            _("Estimate %(number)s is “%(status)s”: this cannot be done now.")
            % {"number": estimate.number, "status": estimate.get_status_display()},
            field="status",
        )


def _commune_of(estimate: Estimate) -> Unit | None:
    return estimate.unit if estimate.level == estimate.plan.commune_level() else None


# ---------------------------------------------------------------------------------------
# Locks and entries.


@dataclass
class _Cell:
    """A locked envelope cell with its balance row and, for a commune, its sub-envelope."""

    cell: EnvelopeCell
    account: CellAccount
    sub: SubEnvelope | None = None

    @property
    def label(self) -> str:
        return source_label(self.cell.plan, self.cell.source)


def _lock_cells(
    plan: Plan,
    level: str,
    sources: Iterable[str],
    *,
    commune: Unit | None,
    actor: Any,
    grows: bool = True,
) -> dict[str, _Cell]:
    """Lock the cells (plan, level, source) in primary-key order, then the commune's
    sub-envelopes; bring each cell's allocation in line with the envelope.

    ``grows`` is false for a change that never adds to what is reserved or committed
    (a release, a disbursement, a settlement): it goes ahead even when the envelope was
    lowered below what is held, so that money can still be released and settled."""
    wanted = sorted(set(sources))
    if not wanted:
        return {}
    accounts = _lock_accounts(plan, level, wanted, commune)
    if len(accounts) < len(wanted):
        # A cell never used before has no balance row yet: make it, then lock them all.
        missing = EnvelopeCell.objects.filter(plan=plan, level=level, source__in=wanted)
        for cell in missing.exclude(account__isnull=False).order_by("pk"):
            CellAccount.objects.get_or_create(cell=cell)
        accounts = _lock_accounts(plan, level, wanted, commune)
    found = {a.cell.source for a in accounts}
    for source in wanted:
        if source not in found:
            raise RuleViolation(
                _("Plan %(plan)s has no envelope cell for %(level)s, %(source)s.")
                % {
                    "plan": plan.number,
                    "level": plan.level_label(level),
                    "source": source_label(plan, source),
                },
                field="source",
            )
    locked: dict[str, _Cell] = {}
    for account in accounts:
        cell = account.cell
        _sync_allocation(cell, account, actor, strict=grows)
        sub = getattr(account, "commune_sub", None) if commune is not None else None
        locked[cell.source] = _Cell(cell=cell, account=account, sub=sub)
    return locked


#: The ledger's locks, compiled once per connection and shape (``core.db``).
_LOCKS = CompiledQueries()


def _with_commune_sub(qs: QuerySet[Any], cell: str, commune_id: int) -> QuerySet[Any]:
    """``qs`` reading, as ``commune_sub``, the commune's sub-envelope of the envelope cell
    at ``cell`` (None where the commune has no share of it), in the same query."""
    return qs.annotate(
        commune_sub=FilteredRelation(
            f"{cell}__subenvelopes", condition=Q(**{f"{cell}__subenvelopes__commune": commune_id})
        )
    ).select_related("commune_sub")


def _lock_accounts(
    plan: Plan, level: str, sources: list[str], commune: Unit | None = None
) -> list[CellAccount]:
    """Lock the cells and their balance rows, in the cells' primary-key order, and read the
    commune's sub-envelope of each cell with them (one query).

    The sub-envelope rows are not locked themselves: every change of a sub-envelope is
    made here, after its cell's balance row is locked, so that lock covers them."""

    def build(plan_id: int, *communes: int) -> QuerySet[CellAccount]:
        qs = CellAccount.objects.select_for_update(of=("self", "cell")).select_related(
            "cell", "cell__plan"
        )
        if communes:
            qs = _with_commune_sub(qs, "cell", communes[0])
        return qs.filter(cell__plan=plan_id, cell__level=level, cell__source__in=sources).order_by(
            "cell_id"
        )

    values = [plan.pk] + ([commune.pk] if commune is not None else [])
    return _LOCKS.fetch(("cells", level, tuple(sources), len(values)), build, values)


def _sync_allocation(cell: EnvelopeCell, account: CellAccount, actor: Any, *, strict: bool) -> None:
    """The envelope (loaded from the plan) is the ceiling; record any change of it. A
    cell lowered below what is held keeps its old allocation in the ledger until enough is
    released; meanwhile nothing more can be reserved on it (``strict``)."""
    if account.allocated == cell.amount:
        return
    used = account.reserved + account.committed
    shares = sum(s.amount for s in SubEnvelope.objects.filter(cell=cell))
    if cell.amount < used or (cell.level == cell.plan.commune_level() and cell.amount < shares):
        if not strict:
            return
        raise RuleViolation(
            _(
                "The envelope cell %(cell)s was lowered to %(amount)s, below what is already "
                "reserved, committed or split among communes (%(used)s)."
            )
            % {
                "cell": cell,
                "amount": format_vnd(cell.amount),
                "used": format_vnd(max(used, shares)),
            }
        )
    Entry.objects.create(
        plan_id=cell.plan_id,
        cell=cell,
        source=cell.source,
        kind=EntryKind.ALLOCATION,
        amount=cell.amount - account.allocated,
        created_by=_actor(actor),
    )
    account.allocated = cell.amount
    account.save(update_fields=["allocated"])


def _entry(
    cell: EnvelopeCell,
    kind: str,
    amount: int,
    *,
    estimate: Estimate,
    actor: Any,
    document: str = "",
    note: str = "",
) -> Entry:
    return Entry(
        plan_id=cell.plan_id,
        cell=cell,
        source=cell.source,
        commune=_commune_of(estimate),
        estimate=estimate,
        kind=kind,
        amount=amount,
        document=document,
        note=note,
        created_by=_actor(actor),
    )


#: The balance columns a movement of money changes (a cell's ``allocated`` is saved by
#: ``_sync_allocation``; a sub-envelope's share ``amount`` by ``subenvelope_set`` alone).
CELL_BALANCES = ("reserved", "committed", "disbursed", "spent", "returned", "carried")
SUB_BALANCES = ("reserved", "committed", "updated_at")
ESTIMATE_BALANCES = (
    "reserved",
    "approved",
    "disbursed",
    "advances_outstanding",
    "lapsed",
    "spent",
    "returned",
    "carried",
)


def _save(
    locked: dict[str, _Cell], accounts: Iterable[EstimateAccount], entries: list[Entry]
) -> None:
    """Write the changed balance rows (the constraints check them) and the entries: one
    statement per table, whatever the number of sources."""
    rows_update([c.account for c in locked.values()], CELL_BALANCES)
    subs = [c.sub for c in locked.values() if c.sub is not None]
    if subs:
        now = timezone.now()
        for sub in subs:
            sub.updated_at = now
        rows_update(subs, SUB_BALANCES)
    accounts = list(accounts)
    new = [a for a in accounts if a.pk is None]
    held = [a for a in accounts if a.pk is not None]
    if held:
        rows_update(held, ESTIMATE_BALANCES)
    if new:
        EstimateAccount.objects.bulk_create(new)
    written = [e for e in entries if e.amount]
    if written:
        Entry.objects.bulk_create(written)


def _line_amounts(
    estimate: Estimate, stage: str, lines: list[EstimateLine] | None = None
) -> dict[str, int]:
    """Per source, the sum of the lines at a stage: ``appraised`` (None counts as the
    requested amount) or ``approved`` (None counts as the appraised amount). ``lines``:
    the estimate's lines as the caller holds them (read here when not given)."""
    totals: dict[str, int] = defaultdict(int)
    if lines is None:
        lines = list(EstimateLine.objects.filter(estimate=estimate).order_by("position"))
    for line in lines:
        appraised = line.appraised_amount if line.appraised_amount is not None else line.amount
        if stage == "approved":
            value = line.approved_amount if line.approved_amount is not None else appraised
        else:
            value = appraised
        totals[line.source] += value
    return dict(totals)


def _accounts_with_cells(
    estimate: Estimate, *, actor: Any, grows: bool = True
) -> tuple[dict[str, EstimateAccount], dict[str, _Cell]]:
    """The estimate's balance rows per source, locked with their envelope cells and the
    cells' balance rows (and read with the commune's sub-envelopes), in the cells'
    primary-key order: ``_accounts`` and ``_lock_cells`` of the estimate's own sources in
    one query. A balance row of an estimate is only ever made after its cell's (in
    ``_lock_cells``), so every one of them is found."""
    commune = _commune_of(estimate)

    def build(estimate_id: int, *communes: int) -> QuerySet[EstimateAccount]:
        qs = (
            EstimateAccount.objects.select_for_update(of=("self", "cell", "cell__account"))
            .select_related("cell__account", "cell__plan")
            .filter(estimate=estimate_id, cell__account__isnull=False)
        )
        if communes:
            qs = _with_commune_sub(qs, "cell", communes[0])
        return qs.order_by("cell_id")

    values = [estimate.pk] + ([commune.pk] if commune is not None else [])
    held = _LOCKS.fetch(("estimate accounts", len(values)), build, values)
    accounts: dict[str, EstimateAccount] = {}
    locked: dict[str, _Cell] = {}
    for account in held:
        cell = account.cell
        _sync_allocation(cell, cell.account, actor, strict=grows)
        accounts[account.source] = account
        sub = getattr(account, "commune_sub", None) if commune is not None else None
        locked[account.source] = _Cell(cell=cell, account=cell.account, sub=sub)
    return accounts, locked


def _accounts(estimate: Estimate) -> dict[str, EstimateAccount]:
    return {
        a.source: a
        for a in EstimateAccount.objects.select_for_update()
        .filter(estimate=estimate)
        .order_by("source")
    }


def _shortfall_message(label: str, need: int, free: int, where: str) -> str:
    return _(
        "%(where)s “%(source)s” does not have enough free money: this estimate needs "
        "%(need)s, %(free)s is free, short by %(short)s."
    ) % {
        "where": where,
        "source": label,
        "need": format_vnd(need),
        "free": format_vnd(max(free, 0)),
        "short": format_vnd(need - max(free, 0)),
    }


# ---------------------------------------------------------------------------------------
# Appraisal and approval: reservation, release, commitment.


@step()
def ledger_reserve(
    *, estimate: Estimate, actor: Any, lines: list[EstimateLine] | None = None
) -> None:
    """Reserve, per source, the appraised lines against the envelope cell and, for a
    commune estimate, against the commune's sub-envelope when one is set (a commune without
    a sub-envelope is held by the cell alone). Calling it again replaces the reservation."""
    needs = {s: v for s, v in _line_amounts(estimate, "appraised", lines).items() if v}
    accounts = _accounts(estimate)
    if any(a.approved for a in accounts.values()):
        raise RuleViolation(
            _("Estimate %(number)s is already approved: its money is committed.")
            % {"number": estimate.number}
        )
    sources = set(needs) | {s for s, a in accounts.items() if a.reserved}
    commune = _commune_of(estimate)
    locked = _lock_cells(estimate.plan, estimate.level, sources, commune=commune, actor=actor)
    errors = []
    for source, c in sorted(locked.items()):
        current = accounts[source].reserved if source in accounts else 0
        need = needs.get(source, 0)
        if need > c.account.free + current:
            errors.append(
                _shortfall_message(c.label, need, c.account.free + current, _("The envelope"))
            )
        if c.sub is not None and need > c.sub.free + current:
            errors.append(
                _shortfall_message(
                    c.label,
                    need,
                    c.sub.free + current,
                    _("The sub-envelope of %(commune)s") % {"commune": commune},
                )
            )
    if errors:
        raise RuleViolation(" ".join(errors), field="appraised_amount")
    entries: list[Entry] = []
    for source, c in sorted(locked.items()):
        account = accounts.get(source)
        current = account.reserved if account else 0
        need = needs.get(source, 0)
        if need == current:
            continue
        if account is None:
            account = accounts[source] = EstimateAccount(
                estimate=estimate, source=source, cell=c.cell
            )
        entries.append(_entry(c.cell, EntryKind.RELEASE, current, estimate=estimate, actor=actor))
        entries.append(_entry(c.cell, EntryKind.RESERVATION, need, estimate=estimate, actor=actor))
        c.account.reserved += need - current
        if c.sub is not None:
            c.sub.reserved += need - current
        account.reserved = need
    _save(locked, accounts.values(), entries)


@step()
def ledger_release(*, estimate: Estimate, actor: Any) -> None:
    """Release any reservation of the estimate (returned or withdrawn after appraisal)."""
    accounts = _accounts(estimate)
    held = [a for a in accounts.values() if a.reserved]
    if not held:
        return
    locked = _lock_cells(
        estimate.plan,
        estimate.level,
        [a.source for a in held],
        commune=_commune_of(estimate),
        actor=actor,
        grows=False,
    )
    entries = []
    for source, c in sorted(locked.items()):
        account = accounts[source]
        entries.append(
            _entry(c.cell, EntryKind.RELEASE, account.reserved, estimate=estimate, actor=actor)
        )
        c.account.reserved -= account.reserved
        if c.sub is not None:
            c.sub.reserved -= account.reserved
        account.reserved = 0
    _save(locked, accounts.values(), entries)


@step()
def ledger_commit(
    *, estimate: Estimate, actor: Any, lines: list[EstimateLine] | None = None
) -> None:
    """At approval: turn the reservation into a commitment of the approved amounts per
    source (the lines' ``approved_amount``; None counts as the appraised amount)."""
    approved = {s: v for s, v in _line_amounts(estimate, "approved", lines).items() if v}
    total = sum(approved.values())
    if estimate.approved_amount is not None and estimate.approved_amount != total:
        raise RuleViolation(
            _("The approved total %(total)s differs from the sum of the approved lines %(sum)s.")
            % {"total": format_vnd(estimate.approved_amount), "sum": format_vnd(total)},
            field="approved_amount",
        )
    accounts, locked = _accounts_with_cells(estimate, actor=actor)
    existing = dict(accounts)
    if any(a.approved for a in existing.values()):
        raise RuleViolation(
            _("Estimate %(number)s is already approved: its money is committed.")
            % {"number": estimate.number}
        )
    if not any(a.reserved for a in existing.values()):
        raise RuleViolation(
            _(
                "Estimate %(number)s holds no reservation on the envelope: Finance-Planning "
                "must forward it after appraisal first."
            )
            % {"number": estimate.number}
        )
    commune = _commune_of(estimate)
    # The appraisal reserved every source it gave money to, and approval gives each line
    # its appraised amount: the approved sources are among the reserved ones.
    unreserved = sorted(set(approved) - set(existing))
    if unreserved:
        raise RuleViolation(
            _("Estimate %(number)s holds no reservation for %(sources)s: appraise it again.")
            % {
                "number": estimate.number,
                "sources": ", ".join(source_label(estimate.plan, s) for s in unreserved),
            },
            field="approved_amount",
        )
    entries: list[Entry] = []
    errors = []
    for source, c in sorted(locked.items()):
        account = accounts.get(source) or EstimateAccount(
            estimate=estimate, source=source, cell=c.cell
        )
        accounts[source] = account
        need = approved.get(source, 0)
        released = account.reserved
        c.account.reserved -= released
        if c.sub is not None:
            c.sub.reserved -= released
        if need > c.account.free:
            errors.append(_shortfall_message(c.label, need, c.account.free, _("The envelope")))
        if c.sub is not None and need > c.sub.free:
            errors.append(
                _shortfall_message(
                    c.label,
                    need,
                    c.sub.free,
                    _("The sub-envelope of %(commune)s") % {"commune": commune},
                )
            )
        entries.append(_entry(c.cell, EntryKind.RELEASE, released, estimate=estimate, actor=actor))
        entries.append(_entry(c.cell, EntryKind.COMMITMENT, need, estimate=estimate, actor=actor))
        c.account.committed += need
        if c.sub is not None:
            c.sub.committed += need
        account.reserved = 0
        account.approved = need
    if errors:
        raise RuleViolation(" ".join(errors), field="approved_amount")
    _save(locked, [a for a in accounts.values() if a.pk or a.approved], entries)


def amendment_money_check(
    estimate: Estimate, approved: dict[str, int], accounts: dict[str, EstimateAccount]
) -> None:
    """An amendment never lowers a source below what is already disbursed on it: refused
    with the source and the amounts (field ``lines``)."""
    errors = []
    for source in sorted(set(approved) | set(accounts)):
        account = accounts.get(source)
        disbursed = account.disbursed if account else 0
        new = approved.get(source, 0)
        if new < disbursed:
            errors.append(
                _(
                    "“%(source)s”: the amended %(new)s is below the %(disbursed)s already "
                    "disbursed, by %(short)s."
                )
                % {
                    "source": source_label(estimate.plan, source),
                    "new": format_vnd(new),
                    "disbursed": format_vnd(disbursed),
                    "short": format_vnd(disbursed - new),
                }
            )
    if errors:
        raise RuleViolation(" ".join(errors), field="lines")


@step()
def ledger_amend(*, estimate: Estimate, actor: Any, approved: dict[str, int]) -> dict[str, int]:
    """At an amendment's approval: move the estimate's commitment, per source, to the
    amended approved amounts (``approved``: source → amount). An increase needs that much
    free in the envelope cell and, for a commune with a share, in its sub-envelope; a
    decrease frees money, never below what is already disbursed. Returns the change per
    source."""
    _require_status(estimate, EstimateStatus.APPROVED)
    accounts = _accounts(estimate)
    amendment_money_check(estimate, approved, accounts)
    old = {s: a.approved - a.lapsed for s, a in accounts.items()}
    change = {
        s: approved.get(s, 0) - old.get(s, 0)
        for s in sorted(set(approved) | set(old))
        if approved.get(s, 0) != old.get(s, 0)
    }
    if not change:
        return {}
    commune = _commune_of(estimate)
    grows = any(delta > 0 for delta in change.values())
    locked = _lock_cells(
        estimate.plan, estimate.level, change, commune=commune, actor=actor, grows=grows
    )
    errors = []
    for source, delta in change.items():
        c = locked[source]
        if delta > 0 and delta > c.account.free:
            errors.append(_shortfall_message(c.label, delta, c.account.free, _("The envelope")))
        if delta > 0 and c.sub is not None and delta > c.sub.free:
            errors.append(
                _shortfall_message(
                    c.label,
                    delta,
                    c.sub.free,
                    _("The sub-envelope of %(commune)s") % {"commune": commune},
                )
            )
    if errors:
        raise RuleViolation(" ".join(errors), field="lines")
    entries: list[Entry] = []
    for source, delta in change.items():
        c = locked[source]
        account = accounts.get(source)
        if account is None:
            account = accounts[source] = EstimateAccount(
                estimate=estimate, source=source, cell=c.cell
            )
        kind = EntryKind.COMMITMENT if delta > 0 else EntryKind.DECOMMITMENT
        entries.append(_entry(c.cell, kind, abs(delta), estimate=estimate, actor=actor))
        c.account.committed += delta
        if c.sub is not None:
            c.sub.committed += delta
        account.approved += delta
    _save(locked, accounts.values(), entries)
    return change


# ---------------------------------------------------------------------------------------
# Commune sub-envelopes.


@step()
def subenvelope_set(
    *, plan: Plan, commune: Unit, source: str, amount: int, actor: Any
) -> SubEnvelope:
    """Give a commune its share of the commune-level cell of ``source``.

    The shares of a cell, plus what communes without a share already hold on it, never
    exceed the cell; a share is never set below what its commune has reserved or committed.
    """
    amount = _amount(amount, field="amount")
    source = _source(source)
    if not PlanCommune.objects.filter(plan=plan, commune=commune).exists():
        raise RuleViolation(
            _("%(commune)s is not a commune of plan %(plan)s.")
            % {"commune": commune, "plan": plan.number},
            field="commune",
        )
    level = plan.commune_level()
    if level is None:
        raise RuleViolation(
            _("Plan %(plan)s splits no money among communes.") % {"plan": plan.number},
            field="commune",
        )
    c = _lock_cells(plan, level, [source], commune=commune, actor=actor)[source]
    usage = commune_usage(c.cell)
    reserved, committed = usage.get(commune.pk, (0, 0))
    if amount < reserved + committed:
        raise RuleViolation(
            _(
                "%(commune)s already holds %(used)s of “%(source)s” (reserved or committed): "
                "its share cannot be lower."
            )
            % {"commune": commune, "used": format_vnd(reserved + committed), "source": c.label},
            field="amount",
        )
    others = SubEnvelope.objects.filter(cell=c.cell).exclude(commune=commune)
    shared = {s.commune_id: s.amount for s in others}
    unshared_use = sum(
        r + m for pk, (r, m) in usage.items() if pk not in shared and pk != commune.pk
    )
    total = sum(shared.values()) + unshared_use + amount
    if total > c.account.allocated:
        raise RuleViolation(
            _(
                "The communes' shares of “%(source)s” would come to %(total)s, more than the "
                "cell's %(cell)s, by %(excess)s."
            )
            % {
                "source": c.label,
                "total": format_vnd(total),
                "cell": format_vnd(c.account.allocated),
                "excess": format_vnd(total - c.account.allocated),
            },
            field="amount",
        )
    sub = c.sub or SubEnvelope(cell=c.cell, commune=commune)
    sub.amount = amount
    sub.reserved = reserved
    sub.committed = committed
    sub.updated_by = _actor(actor)
    row_save(sub, fields=["amount", "reserved", "committed", "updated_by", "updated_at"])
    return sub


# ---------------------------------------------------------------------------------------
# Disbursement.


def carried_usable_check(plan: Plan, source: str, paid_on: dt.date) -> None:
    """Carried-over money is spent by the plan's use-by date (a plan-level setting: the
    rule changes by year); a payment from it after that date is refused with the date and
    the legal ground."""
    if source != Source.CARRIED or plan.carried_use_by is None or paid_on <= plan.carried_use_by:
        return
    ground = plan.carried_use_by_ground or _("the plan's rule on carried-over funds")
    raise RuleViolation(
        _(
            "Carried-over funds of plan %(plan)s may be used until %(date)s (%(ground)s); "
            "a payment on %(paid)s is too late."
        )
        % {
            "plan": plan.number,
            "date": plan.carried_use_by.strftime("%d/%m/%Y"),
            "ground": ground,
            "paid": paid_on.strftime("%d/%m/%Y"),
        },
        field="paid_on",
    )


@step()
def disbursement_record(
    *,
    estimate: Estimate,
    actor: Any,
    kind: str,
    paid_on: dt.date,
    amount: int,
    source: str,
    document_type: str,
    document_number: str,
    payee: str,
    note: str = "",
) -> Disbursement:
    """Record an advance or a payment. The disbursements of a source never exceed what was
    approved on it (checked under the lock, and a constraint on the balance row)."""
    if kind not in DisbursementKind.values:
        raise RuleViolation(_("Choose advance or payment."), field="kind")
    amount = _amount(amount, field="amount", positive=True)
    source = _source(source)
    if document_type not in DocumentType.values:
        raise RuleViolation(_("Choose the type of treasury document."), field="document_type")
    document_number = _text(
        document_number,
        model=Disbursement,
        name="document_number",
        message=_("Enter the treasury document number."),
    )
    payee = _text(payee, model=Disbursement, name="payee", message=_("Enter who was paid."))
    note = _text(note, model=Disbursement, name="note", multiline=True)
    if not isinstance(paid_on, dt.date) or isinstance(paid_on, dt.datetime):
        raise RuleViolation(_("Enter the date it was paid."), field="paid_on")
    if paid_on > timezone.localdate():
        raise RuleViolation(_("The payment date cannot be in the future."), field="paid_on")
    _require_status(estimate, EstimateStatus.APPROVED)
    carried_usable_check(estimate.plan, source, paid_on)
    c = _lock_cells(
        estimate.plan, estimate.level, [source], commune=None, actor=actor, grows=False
    )[source]
    account = _accounts(estimate).get(source)
    remaining = account.remaining if account else 0
    if amount > remaining:
        raise RuleViolation(
            _(
                "Only %(remaining)s of “%(source)s” remains to be disbursed on estimate "
                "%(number)s; %(amount)s was asked, %(excess)s too much."
            )
            % {
                "remaining": format_vnd(remaining),
                "source": c.label,
                "number": estimate.number,
                "amount": format_vnd(amount),
                "excess": format_vnd(amount - remaining),
            },
            field="amount",
        )
    assert account is not None  # noqa: S101 - remaining > 0 implies an account
    account.disbursed += amount
    if kind == DisbursementKind.ADVANCE:
        account.advances_outstanding += amount
    c.account.disbursed += amount
    entry = _entry(
        c.cell,
        EntryKind.DISBURSEMENT,
        amount,
        estimate=estimate,
        actor=actor,
        document=document_number,
        note=note,
    )
    _save({source: c}, [account], [entry])
    return Disbursement.objects.create(
        estimate=estimate,
        kind=kind,
        source=source,
        paid_on=paid_on,
        amount=amount,
        document_type=document_type,
        document_number=document_number,
        payee=payee,
        note=note,
        clear_by=advance_clear_by(paid_on) if kind == DisbursementKind.ADVANCE else None,
        recorded_by=actor,
    )


@step()
def advance_clear(
    *, disbursement: Disbursement, actor: Any, cleared_on: dt.date, document: str
) -> Disbursement:
    """An advance was justified with payment documents (thanh toán tạm ứng): it is no longer
    outstanding. No money moves; the disbursed total already counts it."""
    document = _text(
        document,
        model=Disbursement,
        name="clearance_document",
        field="document",
        message=_("Enter the document that clears the advance."),
    )
    account = EstimateAccount.objects.select_for_update().get(
        estimate_id=disbursement.estimate_id, source=disbursement.source
    )
    advance = Disbursement.objects.select_for_update().get(pk=disbursement.pk)
    if advance.kind != DisbursementKind.ADVANCE:
        raise RuleViolation(_("Only an advance is cleared."), field="kind")
    if advance.cleared_on is not None:
        return advance
    if cleared_on < advance.paid_on:
        raise RuleViolation(
            _("An advance cannot be cleared before it was paid."), field="cleared_on"
        )
    account.advances_outstanding -= advance.amount
    account.save(update_fields=["advances_outstanding"])
    advance.cleared_on = cleared_on
    advance.clearance_document = document
    advance.save(update_fields=["cleared_on", "clearance_document"])
    return advance


# ---------------------------------------------------------------------------------------
# Settlement.


def split_unspent(unspent: dict[str, int], carried: int) -> tuple[dict[str, int], dict[str, int]]:
    """Split each source's unspent money into (returned, carried): carry-over is taken from
    the sources in :data:`CARRY_ORDER`, the rest is returned. The caller has checked that
    ``carried <= sum(unspent.values())``."""
    carry: dict[str, int] = {}
    back: dict[str, int] = {}
    left = carried
    for source in CARRY_ORDER:
        take = min(left, unspent.get(source, 0))
        carry[source] = take
        back[source] = unspent.get(source, 0) - take
        left -= take
    return back, carry


@step()
def settlement_submit(
    *,
    estimate: Estimate,
    actor: Any,
    lines: Sequence[dict[str, Any]],
    returned: int,
    return_document: str,
    carried: int,
    carried_use_by: dt.date | None,
    settled_on: dt.date | None = None,
) -> Settlement:
    """The spending unit reports what each approved line actually cost, and what happens to
    the rest, on ``settled_on`` (default today: never in the future nor before the last
    payment). ``spent + returned + carried == disbursed`` to the đồng (in total, and no
    source may report more spent than was disbursed on it); the unspent money is split
    among sources by :func:`split_unspent`. A new submission replaces a pending or returned
    one."""
    _require_status(estimate, EstimateStatus.APPROVED)
    today = timezone.localdate()
    settled_on = today if settled_on is None else settled_on
    if not isinstance(settled_on, dt.date) or isinstance(settled_on, dt.datetime):
        raise RuleViolation(_("Enter the settlement date as dd/mm/yyyy."), field="settled_on")
    if settled_on > today:
        raise RuleViolation(_("The settlement date cannot be in the future."), field="settled_on")
    last_paid = Disbursement.objects.filter(estimate=estimate).aggregate(last=Max("paid_on"))[
        "last"
    ]
    if last_paid is not None and settled_on < last_paid:
        raise RuleViolation(
            _(
                "Settlement date: the settlement cannot be dated before the last payment; "
                "enter %(date)s or later."
            )
            % {"date": last_paid.strftime("%d/%m/%Y")},
            field="settled_on",
        )
    returned = _amount(returned, field="returned")
    carried = _amount(carried, field="carried")
    return_document = _text(
        return_document,
        model=Settlement,
        name="return_document",
        message=(
            _("Enter the number of the document the unspent money was returned with.")
            if returned
            else None
        ),
    )
    if carried and carried_use_by is None:
        raise RuleViolation(
            _("Money carried over needs the date by which it must be used."),
            field="carried_use_by",
        )
    if carried and carried_use_by is not None and carried_use_by <= estimate.plan.period_end:
        raise RuleViolation(
            _("Money carried over is used in a later year: its use-by date must be after %(end)s.")
            % {"end": estimate.plan.period_end.strftime("%d/%m/%Y")},
            field="carried_use_by",
        )
    approved_lines = {line.pk: line for line in estimate_lines(estimate)}
    reported: dict[int, tuple[int, str]] = {}
    problems = Problems()  # every line's refusal at once
    for n, item in enumerate(lines):
        with problems.collect():
            line_id = item.get("line_id")
            line = approved_lines.get(line_id)  # type: ignore[arg-type]
            if line is None:
                raise RuleViolation(
                    _("Item %(n)s is not a line of this estimate.") % {"n": n + 1},
                    field="lines",
                )
            if line_id in reported:
                raise RuleViolation(
                    _("Line %(pos)s is reported twice.") % {"pos": line.position}, field="lines"
                )
            spent = _amount(item.get("spent"), field=f"lines[{n}].spent")
            ceiling = line.approved_amount or 0
            if spent > ceiling:
                raise RuleViolation(
                    _("Line %(pos)s: %(spent)s spent is more than the %(approved)s approved.")
                    % {
                        "pos": line.position,
                        "spent": format_vnd(spent),
                        "approved": format_vnd(ceiling),
                    },
                    field=f"lines[{n}].spent",
                )
            note = _text(
                item.get("note", ""), model=SettlementLine, name="note", field=f"lines[{n}].note"
            )
            reported[line.pk] = (spent, note)
    problems.raise_any()
    missing = [
        line.position
        for line in approved_lines.values()
        if line.approved_amount and line.pk not in reported
    ]
    if missing:
        raise RuleViolation(
            _("Report what was spent on every approved line (missing: %(lines)s).")
            % {"lines": ", ".join(str(p) for p in missing)},
            field="lines",
        )
    accounts = _accounts(estimate)
    disbursed = {s: a.disbursed for s, a in accounts.items()}
    spent_by_source: dict[str, int] = defaultdict(int)
    for line_id, (spent, _note) in reported.items():
        spent_by_source[approved_lines[line_id].source] += spent
    for source, spent in sorted(spent_by_source.items()):
        if spent > disbursed.get(source, 0):
            raise RuleViolation(
                _(
                    "%(spent)s is reported spent from “%(source)s”, but only %(disbursed)s "
                    "was disbursed."
                )
                % {
                    "spent": format_vnd(spent),
                    "source": source_label(estimate.plan, source),
                    "disbursed": format_vnd(disbursed.get(source, 0)),
                },
                field="lines",
            )
    total_spent = sum(spent_by_source.values())
    total_disbursed = sum(disbursed.values())
    if total_spent + returned + carried != total_disbursed:
        raise RuleViolation(
            _(
                "The settlement does not balance: spent %(spent)s + returned %(returned)s + "
                "carried over %(carried)s = %(sum)s, but %(disbursed)s was disbursed "
                "(a difference of %(diff)s)."
            )
            % {
                "spent": format_vnd(total_spent),
                "returned": format_vnd(returned),
                "carried": format_vnd(carried),
                "sum": format_vnd(total_spent + returned + carried),
                "disbursed": format_vnd(total_disbursed),
                "diff": format_vnd(abs(total_disbursed - total_spent - returned - carried)),
            },
            field="returned",
        )
    settlement = _settlement_of(estimate)
    if settlement is not None and settlement.status == SettlementStatus.VERIFIED:
        raise RuleViolation(_("This settlement is already verified and closed."))
    replaced = settlement is not None
    settlement = settlement or Settlement(estimate=estimate)
    settlement.status = SettlementStatus.PENDING
    settlement.spent = total_spent
    settlement.disbursed = total_disbursed
    settlement.returned = returned
    settlement.return_document = return_document if returned else ""
    settlement.carried = carried
    settlement.carried_use_by = carried_use_by if carried else None
    settlement.settled_on = settled_on
    settlement.submitted_by = actor
    settlement.submitted_at = timezone.now()
    row_save(
        settlement,
        fields=[
            "status",
            "spent",
            "disbursed",
            "returned",
            "return_document",
            "carried",
            "carried_use_by",
            "settled_on",
            "submitted_by",
            "submitted_at",
        ],
    )
    if replaced:  # a new settlement has no lines yet
        settlement.lines.all().delete()
    SettlementLine.objects.bulk_create(
        [
            SettlementLine(settlement=settlement, line_id=line_id, spent=spent, note=note)
            for line_id, (spent, note) in reported.items()
        ]
    )
    return settlement


def _settlement_of(estimate: Estimate) -> Settlement | None:
    """The estimate's settlement, if any. Read with the estimate's row lock when the caller
    asked for it (``transition(..., related=("settlement",))``), else locked here; every
    change of a settlement is made under its estimate's lock either way."""
    if Estimate.settlement.is_cached(estimate):
        return getattr(estimate, "settlement", None)
    return Settlement.objects.select_for_update().filter(estimate=estimate).first()


@step()
def _pending_settlement(estimate: Estimate) -> Settlement:
    """The settlement awaiting verification (``_settlement_of``)."""
    settlement = _settlement_of(estimate)
    if settlement is None or settlement.status != SettlementStatus.PENDING:
        raise RuleViolation(_("There is no settlement awaiting verification."))
    return settlement


def settlement_verify(*, estimate: Estimate, actor: Any) -> None:
    """Finance-Planning closes the settlement: the spending, the return and the carry-over
    (a tranche with its use-by date) are entered in the ledger, what was approved but never
    disbursed goes back to the envelope, and every outstanding advance is cleared (its
    ``cleared_on`` is the verification date and it has no clearance document of its own:
    the settlement justifies it)."""
    _require_status(estimate, EstimateStatus.SETTLEMENT)
    settlement = _pending_settlement(estimate)
    accounts, locked = _accounts_with_cells(estimate, actor=actor, grows=False)
    commune = _commune_of(estimate)
    spent_by_source: dict[str, int] = defaultdict(int)
    for sl in settlement.lines.select_related("line"):
        spent_by_source[sl.line.source] += sl.spent
    disbursed = {s: a.disbursed for s, a in accounts.items()}
    if sum(disbursed.values()) != settlement.disbursed or any(
        spent_by_source[s] > disbursed.get(s, 0) for s in spent_by_source
    ):
        raise RuleViolation(
            _("The disbursements changed since the settlement was submitted: it must be redone.")
        )
    unspent = {s: disbursed[s] - spent_by_source.get(s, 0) for s in disbursed}
    advances_open = any(a.advances_outstanding for a in accounts.values())
    back, carry = split_unspent(unspent, settlement.carried)
    entries: list[Entry] = []
    doc = settlement.return_document
    for source, c in sorted(locked.items()):
        account = accounts[source]
        lapse = account.approved - account.lapsed - account.disbursed
        spent = spent_by_source.get(source, 0)
        ret, car = back.get(source, 0), carry.get(source, 0)
        entries += [
            _entry(c.cell, EntryKind.SPENT, spent, estimate=estimate, actor=actor),
            _entry(c.cell, EntryKind.RETURN, ret, estimate=estimate, actor=actor, document=doc),
            _entry(c.cell, EntryKind.CARRY_OVER, car, estimate=estimate, actor=actor),
            _entry(c.cell, EntryKind.LAPSE, lapse, estimate=estimate, actor=actor),
        ]
        account.spent += spent
        account.returned += ret
        account.carried += car
        account.lapsed += lapse
        account.advances_outstanding = 0
        c.account.spent += spent
        c.account.returned += ret
        c.account.carried += car
        c.account.committed -= lapse
        if c.sub is not None:
            c.sub.committed -= lapse
        if car:
            if settlement.carried_use_by is None:  # a constraint holds this; never true
                raise RuleViolation(
                    _("Money carried over needs the date by which it must be used.")
                )
            Tranche.objects.create(
                origin=estimate,
                plan=estimate.plan,
                source=source,
                level=estimate.level,
                commune=commune,
                year=estimate.plan.year + 1,
                amount=car,
                use_by=settlement.carried_use_by,
            )
    _save(locked, accounts.values(), entries)
    if advances_open:
        Disbursement.objects.filter(
            estimate=estimate, kind=DisbursementKind.ADVANCE, cleared_on__isnull=True
        ).update(cleared_on=timezone.localdate())
    settlement.status = SettlementStatus.VERIFIED
    settlement.verified_by = actor
    settlement.verified_at = timezone.now()
    settlement.save(update_fields=["status", "verified_by", "verified_at"])


@step()
def settlement_reopen(*, estimate: Estimate, actor: Any, reason: str) -> None:
    """Finance-Planning returns the pending settlement for correction, with a reason."""
    reason = _text(
        reason,
        model=Settlement,
        name="reopen_reason",
        field="reason",
        message=_("Say what must be corrected."),
        multiline=True,
    )
    _require_status(estimate, EstimateStatus.SETTLEMENT)
    settlement = _pending_settlement(estimate)
    settlement.status = SettlementStatus.RETURNED
    settlement.reopen_reason = reason
    settlement.save(update_fields=["status", "reopen_reason"])


# ---------------------------------------------------------------------------------------
# A reorganisation of units (``reorganisations``): the communes' money follows their
# successor. Entries are never rewritten: they keep the commune they were recorded for,
# and every read of a commune's money (``selectors.commune_usage``, ``ledger_reconcile``,
# ``commune_balances``) counts an abolished commune's entries for its successor.


@step()
def subenvelopes_merge(
    *, plan: Plan, successors: dict[int, Unit], actor: Any
) -> list[dict[str, Any]]:
    """Hand the sub-envelopes of the abolished communes (``{old commune id: successor}``,
    whose ``Unit.successor`` is already saved) to their successors, under the cells' locks.

    A successor's share becomes its own share plus its predecessors' shares plus what the
    predecessors without a share held on the cell (that money counted against the cell
    already; now it counts against the share): the cell's shares plus the unshared use are
    the same before and after, to the đồng. Returns what moved, for the record."""
    level = plan.commune_level()
    if level is None:
        return []
    cells = list(EnvelopeCell.objects.filter(plan=plan, level=level).order_by("pk"))
    if not successors or not cells:
        return []
    _lock_cells(plan, level, [c.source for c in cells], commune=None, actor=actor, grows=False)
    moved: list[dict[str, Any]] = []
    targets = {s.pk: s for s in successors.values()}
    olds_of: dict[int, list[int]] = defaultdict(list)
    for old, new in successors.items():
        olds_of[new.pk].append(old)
    for cell in cells:
        subs = {s.commune_id: s for s in SubEnvelope.objects.filter(cell=cell)}
        old_usage = _sums_by_commune(cell)
        usage = commune_usage(cell)  # already folded to the successors
        for target_id, olds in olds_of.items():
            shared = [subs[o] for o in olds if o in subs]
            own = subs.get(target_id)
            if not shared and own is None:
                continue  # nobody had a share: the cell alone holds them, as before
            amount = (own.amount if own else 0) + sum(s.amount for s in shared)
            amount += sum(sum(old_usage.get(o, (0, 0))) for o in olds if o not in subs)
            if own is None:  # the successor's own use, held by the cell alone until now
                amount += sum(old_usage.get(target_id, (0, 0)))
            reserved, committed = usage.get(target_id, (0, 0))
            sub = own or SubEnvelope(cell=cell, commune=targets[target_id])
            sub.amount = amount
            sub.reserved = reserved
            sub.committed = committed
            sub.updated_by = _actor(actor)
            for share in shared:
                moved.append(
                    {
                        "source": cell.source,
                        "from": share.commune_id,
                        "to": target_id,
                        "amount": share.amount,
                        "reserved": share.reserved,
                        "committed": share.committed,
                    }
                )
            SubEnvelope.objects.filter(pk__in=[s.pk for s in shared]).delete()
            row_save(sub, fields=["amount", "reserved", "committed", "updated_by", "updated_at"])
    return moved


def _sums_by_commune(cell: EnvelopeCell) -> dict[int, tuple[int, int]]:
    """Per commune as recorded on the entries (not folded): (reserved, committed)."""
    from .selectors import _derive, _sums

    out = {}
    for (commune_id,), kinds in _sums(
        Entry.objects.filter(cell=cell, commune__isnull=False), "commune"
    ).items():
        figures = _derive(kinds)
        out[commune_id] = (figures["reserved"], figures["committed"])
    return out


@step()
def tranches_move(*, successors: dict[int, Unit]) -> list[tuple[int, int, int]]:
    """The carried-over tranches of abolished communes go to their successors (the commune
    that will spend them); their origin estimate stays as it was. Returns (tranche, from,
    to) for the record."""
    moved = []
    for tranche in (
        Tranche.objects.select_for_update().filter(commune_id__in=list(successors)).order_by("pk")
    ):
        old = int(tranche.commune_id or 0)
        new = successors[old]
        moved.append((tranche.pk, old, new.pk))
        tranche.commune = new
        tranche.save(update_fields=["commune"])
    return moved
