"""Reads of where the money stands: per envelope cell, per commune, per estimate.

Every figure is whole đồng. Plan-level figures are public within the product; reads that
depend on who asks go through the access gate in ``approvals.access`` first.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from typing import Any

from django.db.models import Count, Prefetch, QuerySet, Sum

from estimates.models import EnvelopeCell, Estimate, EstimateLine, Level, Plan, PlanCommune, Source
from organization.selectors import successions, successor_map, unit_as_of

from .models import (
    CellAccount,
    Disbursement,
    DisbursementKind,
    Entry,
    EntryKind,
    EstimateAccount,
    Settlement,
    SettlementLine,
    SubEnvelope,
    Tranche,
)

_LEVEL_ORDER = {v: i for i, v in enumerate(Level.values)}
_SOURCE_ORDER = {v: i for i, v in enumerate(Source.values)}


def source_label(plan: Plan, source: str) -> str:
    """The plan's own name for a source ("Vốn giao năm 2024"), else the generic one."""
    own = plan.current_source_label if source == Source.CURRENT else plan.carried_source_label
    return own or str(Source(source).label)


@dataclass(frozen=True)
class CellFigures:
    """One envelope cell: its allocation and where that money stands."""

    level: str
    source: str
    label: str
    allocated: int
    reserved: int = 0
    committed: int = 0
    disbursed: int = 0
    spent: int = 0
    returned: int = 0
    carried: int = 0
    level_label: str = ""  # the plan's word for the level ("Cấp huyện")
    shared: bool = False  # the level's money is split among the communes

    @property
    def free(self) -> int:
        return self.allocated - self.reserved - self.committed

    def as_dict(self) -> dict[str, Any]:
        """For ``plan_summary --json``; ``settled`` is the amount spent (settled)."""
        data = asdict(self)
        del data["level_label"], data["shared"]
        data["settled"] = data.pop("spent")
        return {**data, "free": self.free}


def cell_balances(plan: Plan) -> list[CellFigures]:
    """The plan's envelope cells, district before commune, current before carried.

    ``free = allocated - reserved - committed``. The allocation is the envelope's (as
    loaded from the plan).
    """
    cells = sorted(
        EnvelopeCell.objects.filter(plan=plan).select_related("account"),
        key=lambda c: (_LEVEL_ORDER[c.level], _SOURCE_ORDER[c.source]),
    )
    result = []
    for cell in cells:
        account: CellAccount | None = getattr(cell, "account", None)
        figures = {
            key: getattr(account, key) if account else 0
            for key in ("reserved", "committed", "disbursed", "spent", "returned", "carried")
        }
        result.append(
            CellFigures(
                level=cell.level,
                source=cell.source,
                label=source_label(plan, cell.source),
                allocated=cell.amount,
                **figures,
                level_label=plan.level_label(cell.level),
                shared=cell.level == plan.commune_level(),
            )
        )
    return result


def _sums(entries: QuerySet[Entry], *keys: str) -> dict[tuple[Any, ...], dict[str, int]]:
    """Sum of entry amounts by ``keys`` and kind."""
    out: dict[tuple[Any, ...], dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for row in entries.values(*keys, "kind").annotate(total=Sum("amount"), n=Count("pk")):
        out[tuple(row[k] for k in keys)][row["kind"]] += row["total"]
    return out


def _derive(kinds: dict[str, int]) -> dict[str, int]:
    """Balances from the sums of entries by kind."""
    return {
        "allocated": kinds.get(EntryKind.ALLOCATION, 0),
        "reserved": kinds.get(EntryKind.RESERVATION, 0) - kinds.get(EntryKind.RELEASE, 0),
        "approved": kinds.get(EntryKind.COMMITMENT, 0) - kinds.get(EntryKind.DECOMMITMENT, 0),
        "lapsed": kinds.get(EntryKind.LAPSE, 0),
        "committed": kinds.get(EntryKind.COMMITMENT, 0)
        - kinds.get(EntryKind.DECOMMITMENT, 0)
        - kinds.get(EntryKind.LAPSE, 0),
        "disbursed": kinds.get(EntryKind.DISBURSEMENT, 0),
        "spent": kinds.get(EntryKind.SPENT, 0),
        "returned": kinds.get(EntryKind.RETURN, 0),
        "carried": kinds.get(EntryKind.CARRY_OVER, 0),
    }


def _fold(
    sums: dict[tuple[Any, ...], dict[str, int]], position: int, to: Callable[[int], int]
) -> dict[tuple[Any, ...], dict[str, int]]:
    """The sums with the unit at ``position`` of each key replaced by ``to(unit)`` and the
    sums of keys that then coincide added up (a reorganisation's successor takes over
    the money its predecessors' entries recorded)."""
    out: dict[tuple[Any, ...], dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for key, kinds in sums.items():
        folded = (*key[:position], to(key[position]), *key[position + 1 :])
        for kind, total in kinds.items():
            out[folded][kind] += total
    return out


def _current(lineage: dict[int, int]) -> Callable[[int], int]:
    return lambda pk: lineage.get(pk, pk)


def commune_usage(cell: EnvelopeCell) -> dict[int, tuple[int, int]]:
    """Per commune (pk): (reserved, committed) on a commune-level cell, from the entries.
    The entries of a commune abolished by a reorganisation count for its successor."""
    usage = {}
    sums = _sums(Entry.objects.filter(cell=cell, commune__isnull=False), "commune")
    for (commune_id,), kinds in _fold(sums, 0, _current(successor_map())).items():
        figures = _derive(kinds)
        usage[commune_id] = (figures["reserved"], figures["committed"])
    return usage


@dataclass(frozen=True)
class CommuneFigures:
    """One commune and one source: its sub-envelope (None when the commune-level cell has
    not been split for it yet) and where its money stands."""

    code: str
    name: str
    source: str
    label: str
    subenvelope: int | None
    reserved: int = 0
    committed: int = 0
    disbursed: int = 0
    spent: int = 0
    returned: int = 0
    carried: int = 0

    @property
    def free(self) -> int | None:
        """Free in the sub-envelope; None without one (the commune is held by the cell)."""
        if self.subenvelope is None:
            return None
        return self.subenvelope - self.reserved - self.committed

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["settled"] = data.pop("spent")
        data["allocated"] = data.pop("subenvelope")
        return {**data, "free": self.free}


def commune_balances(plan: Plan, as_of: dt.date | None = None) -> list[CommuneFigures]:
    """Per commune of the plan (in the plan's order) and per source, the commune-level
    money: its sub-envelope and what its estimates reserved, committed, disbursed, spent,
    returned and carried over.

    Units as they are today: a commune abolished by a reorganisation is not listed, its
    money (closed estimates included) rolls up to its successor. With ``as_of``, units as
    they were on that day and the entries recorded up to its end: a day before a
    reorganisation shows the communes it merged, each with its own money."""
    communes = list(
        PlanCommune.objects.filter(plan=plan).select_related("commune").order_by("sort_order")
    )
    level = plan.commune_level() or ""
    entries = Entry.objects.filter(plan=plan, cell__level=level, commune__isnull=False)
    if as_of is None:
        communes = [pc for pc in communes if pc.commune.successor_id is None]
        to = _current(successor_map())
    else:
        communes = [pc for pc in communes if pc.commune.exists_on(as_of)]
        succession = successions()
        entries = entries.filter(created_at__date__lte=as_of)

        def to(pk: int) -> int:
            return unit_as_of(pk, as_of, succession)

    cells = EnvelopeCell.objects.filter(plan=plan, level=level)
    subs = {
        (s.commune_id, s.cell.source): s.amount
        for s in SubEnvelope.objects.filter(cell__in=cells).select_related("cell")
    }
    sums = _fold(_sums(entries, "commune", "source"), 0, to)
    result = []
    for pc in communes:
        for source in Source.values:
            figures = _derive(sums.get((pc.commune_id, source), {}))
            result.append(
                CommuneFigures(
                    code=pc.commune.code,
                    name=pc.commune.name,
                    source=source,
                    label=source_label(plan, source),
                    subenvelope=subs.get((pc.commune_id, source)),
                    reserved=figures["reserved"],
                    committed=figures["committed"],
                    disbursed=figures["disbursed"],
                    spent=figures["spent"],
                    returned=figures["returned"],
                    carried=figures["carried"],
                )
            )
    return result


@dataclass(frozen=True)
class Funding:
    """What the appraisal page shows for one source of an estimate."""

    source: str
    label: str
    allocated: int
    reserved: int
    committed: int
    free: int
    need: int
    held_by_this: int
    subenvelope: int | None = None
    subenvelope_free: int | None = None

    @property
    def shortfall(self) -> int:
        """How much is missing to reserve ``need`` (0 when it fits)."""
        room = self.free + self.held_by_this
        if self.subenvelope_free is not None:
            room = min(room, self.subenvelope_free + self.held_by_this)
        return max(self.need - room, 0)


def estimate_funding(
    estimate: Estimate, lines: Iterable[EstimateLine] | None = None
) -> list[Funding]:
    """Per source of the estimate: the cell's allocation, reserved and committed by all
    estimates, free, this estimate's need (its appraised lines) and what it already holds;
    for a commune estimate, the commune's sub-envelope when one is set. ``lines``: the
    estimate's lines when the caller has read them already."""
    need: dict[str, int] = defaultdict(int)
    for line in lines if lines is not None else EstimateLine.objects.filter(estimate=estimate):
        need[line.source] += (
            line.appraised_amount if line.appraised_amount is not None else line.amount
        )
    held = {a.source: a.reserved for a in EstimateAccount.objects.filter(estimate=estimate)}
    cells = {
        c.source: c
        for c in EnvelopeCell.objects.filter(
            plan=estimate.plan_id, level=estimate.level
        ).select_related("account")
    }
    subs: dict[str, SubEnvelope] = {}
    if estimate.level == estimate.plan.commune_level():
        subs = {
            s.cell.source: s
            for s in SubEnvelope.objects.filter(
                cell__in=cells.values(), commune=estimate.unit_id
            ).select_related("cell")
        }
    result = []
    for source in sorted(
        set(need) | {s for s, v in held.items() if v}, key=lambda s: _SOURCE_ORDER[s]
    ):
        cell = cells.get(source)
        account: CellAccount | None = getattr(cell, "account", None) if cell else None
        allocated = cell.amount if cell else 0
        reserved = account.reserved if account else 0
        committed = account.committed if account else 0
        sub = subs.get(source)
        result.append(
            Funding(
                source=source,
                label=source_label(estimate.plan, source),
                allocated=allocated,
                reserved=reserved,
                committed=committed,
                free=allocated - reserved - committed,
                need=need.get(source, 0),
                held_by_this=held.get(source, 0),
                subenvelope=sub.amount if sub else None,
                subenvelope_free=sub.free if sub else None,
            )
        )
    return result


@dataclass(frozen=True)
class SourceMoney:
    source: str
    label: str
    approved: int
    disbursed: int
    remaining: int
    advances_outstanding: int


@dataclass(frozen=True)
class EstimateMoney:
    """An approved estimate's money: per source, and its disbursements."""

    sources: list[SourceMoney]
    disbursements: list[Disbursement] = field(default_factory=list)

    @property
    def approved(self) -> int:
        return sum(s.approved for s in self.sources)

    @property
    def disbursed(self) -> int:
        return sum(s.disbursed for s in self.sources)

    @property
    def remaining(self) -> int:
        return sum(s.remaining for s in self.sources)

    @property
    def advances_outstanding(self) -> int:
        return sum(s.advances_outstanding for s in self.sources)


def estimate_money(estimate: Estimate) -> EstimateMoney:
    """Per source: approved, disbursed, remaining to disburse, advances not yet cleared."""
    accounts = EstimateAccount.objects.filter(estimate=estimate, approved__gt=0)
    sources = [
        SourceMoney(
            source=a.source,
            label=source_label(estimate.plan, a.source),
            approved=a.approved,
            disbursed=a.disbursed,
            remaining=a.remaining,
            advances_outstanding=a.advances_outstanding,
        )
        for a in sorted(accounts, key=lambda a: _SOURCE_ORDER[a.source])
    ]
    return EstimateMoney(
        sources=sources,
        disbursements=list(
            Disbursement.objects.filter(estimate=estimate).order_by("paid_on", "pk")
        ),
    )


def estimate_settlement(estimate: Estimate) -> Settlement | None:
    """The estimate's settlement (pending, returned or verified) with its lines and their
    cost lines, in two queries; None before one is submitted."""
    return (
        Settlement.objects.filter(estimate=estimate)
        .prefetch_related(
            Prefetch(
                "lines",
                queryset=SettlementLine.objects.select_related("line").order_by("line__position"),
            )
        )
        .first()
    )


def paid_by_unit_activity(
    plan: Plan, *, unit_ids: Iterable[int], start: dt.date, end: dt.date
) -> dict[tuple[int, int], int]:
    """What was paid (advances and payments) on the plan's estimates of ``unit_ids``
    between ``start`` and ``end`` (both included, by the date paid), per (unit id,
    activity id), whole đồng: one query. The progress reports read their money here."""
    rows = (
        Disbursement.objects.filter(
            estimate__plan=plan,
            estimate__unit_id__in=list(unit_ids),
            paid_on__gte=start,
            paid_on__lte=end,
        )
        .values_list("estimate__unit_id", "estimate__activity_id")
        .annotate(total=Sum("amount"))
        .order_by()
    )
    return {(unit_id, activity_id): int(total) for unit_id, activity_id, total in rows}


def advances_overdue(today: dt.date) -> QuerySet[Disbursement]:
    """Advances not cleared by the end of the month after they were paid (Decree
    11/2020/NĐ-CP, Circular 62/2020/TT-BTC), oldest first."""
    return (
        Disbursement.objects.filter(
            kind=DisbursementKind.ADVANCE, cleared_on__isnull=True, clear_by__lt=today
        )
        .select_related("estimate", "estimate__unit")
        .order_by("clear_by", "pk")
    )


def ledger_reconcile(plan: Plan) -> list[str]:
    """Re-derive every balance row of the plan from the entries; list any difference
    (an empty list means the ledger reconciles to the đồng)."""
    problems = []
    by_cell = _sums(Entry.objects.filter(plan=plan), "cell")
    for account in CellAccount.objects.filter(cell__plan=plan):
        derived = _derive(by_cell.get((account.cell_id,), {}))
        for key in (
            "allocated",
            "reserved",
            "committed",
            "disbursed",
            "spent",
            "returned",
            "carried",
        ):
            if getattr(account, key) != derived[key]:
                problems.append(
                    f"cell {account.cell_id} {key}: {getattr(account, key)} != {derived[key]}"
                )
    by_estimate = _sums(
        Entry.objects.filter(plan=plan, estimate__isnull=False), "estimate", "source"
    )
    for ea in EstimateAccount.objects.filter(estimate__plan=plan):
        derived = _derive(by_estimate.get((ea.estimate_id, ea.source), {}))
        for key in ("reserved", "approved", "lapsed", "disbursed", "spent", "returned", "carried"):
            if getattr(ea, key) != derived[key]:
                problems.append(
                    f"estimate {ea.estimate_id} {ea.source} {key}: "
                    f"{getattr(ea, key)} != {derived[key]}"
                )
    by_commune = _fold(
        _sums(Entry.objects.filter(plan=plan, commune__isnull=False), "cell", "commune"),
        1,
        _current(successor_map()),
    )
    for sub in SubEnvelope.objects.filter(cell__plan=plan):
        derived = _derive(by_commune.get((sub.cell_id, sub.commune_id), {}))
        for key in ("reserved", "committed"):
            if getattr(sub, key) != derived[key]:
                problems.append(
                    f"sub-envelope {sub.pk} {key}: {getattr(sub, key)} != {derived[key]}"
                )
    return problems


# ---------------------------------------------------------------------------------------
# Carry-over between plans.


@dataclass(frozen=True)
class CarryOverRow:
    """Money one level and source of the earlier plan carried over (its settlements'
    tranches), and the level of this plan it was brought into ("" if none)."""

    from_level: str
    from_level_label: str
    source: str
    source_label: str
    into_level: str
    into_level_label: str
    carried_out: int


@dataclass(frozen=True)
class CarryOverCell:
    """A carried-over cell of this plan against what was carried into its level."""

    level: str
    level_label: str
    carried_in: int
    recorded: int

    @property
    def unbrought(self) -> int:
        """Recorded as carried over but not (yet) in this plan's cell."""
        return self.recorded - self.carried_in


@dataclass(frozen=True)
class CarryOverReconciliation:
    plan: Plan
    earlier: Plan
    rows: list[CarryOverRow]
    cells: list[CarryOverCell]

    @property
    def carried_out(self) -> int:
        return sum(r.carried_out for r in self.rows)

    @property
    def carried_in(self) -> int:
        return sum(c.carried_in for c in self.cells)

    @property
    def balanced(self) -> bool:
        """Nothing was brought in beyond what was carried out, per level."""
        return all(c.carried_in <= c.recorded for c in self.cells)

    def as_dict(self) -> dict[str, Any]:
        return {
            "plan": self.plan.number,
            "from": self.earlier.number,
            "rows": [
                {
                    "from_level": r.from_level,
                    "source": r.source,
                    "into_level": r.into_level,
                    "carried_out": r.carried_out,
                }
                for r in self.rows
            ],
            "cells": [
                {
                    "level": c.level,
                    "carried_in": c.carried_in,
                    "recorded": c.recorded,
                    "unbrought": c.unbrought,
                }
                for c in self.cells
            ],
            "carried_out": self.carried_out,
            "carried_in": self.carried_in,
            "balanced": self.balanced,
        }


def carry_over_reconcile(plan: Plan) -> CarryOverReconciliation | None:
    """Per level and source of the earlier plan (``plan.carried_from``), what its
    settlements carried over (the tranches) and into which level of ``plan``; per carried
    cell of ``plan``, what it holds against what was carried into its level. None when the
    plan carries nothing over from an earlier plan. Two queries."""
    earlier = plan.carried_from
    if earlier is None:
        return None
    mapping: dict[str, str] = dict(plan.carry_over_levels or {})
    sums = (
        Tranche.objects.filter(plan=earlier)
        .values("level", "source")
        .annotate(total=Sum("amount"))
        .order_by("level", "source")
    )
    rows = []
    recorded: dict[str, int] = defaultdict(int)
    for s in sorted(sums, key=lambda s: (_LEVEL_ORDER.get(s["level"], 99), s["source"])):
        into = mapping.get(s["level"], "")
        rows.append(
            CarryOverRow(
                from_level=s["level"],
                from_level_label=earlier.level_label(s["level"]),
                source=s["source"],
                source_label=source_label(earlier, s["source"]),
                into_level=into,
                into_level_label=plan.level_label(into) if into else "",
                carried_out=s["total"],
            )
        )
        if into:
            recorded[into] += s["total"]
    cells = [
        CarryOverCell(
            level=c.level,
            level_label=plan.level_label(c.level),
            carried_in=c.amount,
            recorded=recorded.get(c.level, 0),
        )
        for c in sorted(
            EnvelopeCell.objects.filter(plan=plan, source=Source.CARRIED),
            key=lambda c: _LEVEL_ORDER.get(c.level, 99),
        )
    ]
    return CarryOverReconciliation(plan=plan, earlier=earlier, rows=rows, cells=cells)
