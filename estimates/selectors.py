"""Reads of plans and their envelopes. Reads that depend on who asks go through the access
gate in ``approvals.access``; these are the public, plan-level figures."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from django.db.models import Prefetch, QuerySet

from .models import Content, EnvelopeCell, Level, Plan, PlanCommune, Source


@dataclass(frozen=True)
class CellBalance:
    """Where one envelope cell's money stands. Every figure is whole đồng."""

    level: str
    source: str
    allocated: int
    committed: int = 0
    disbursed: int = 0
    settled: int = 0

    @property
    def free(self) -> int:
        return self.allocated - self.committed

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "free": self.free}


def plan_get_default() -> Plan | None:
    """The newest plan: what the home page and the commands show when none is named."""
    return Plan.objects.select_related("issuer", "area").order_by("-year", "-issued_on").first()


def plan_communes(plan: Plan) -> QuerySet[PlanCommune]:
    return plan.communes.select_related("commune").order_by("sort_order")


def plan_contents(plan: Plan) -> QuerySet[Content]:
    return plan.contents.prefetch_related(Prefetch("activities")).order_by("sort_order")


def plan_envelope(plan: Plan) -> list[CellBalance]:
    """The plan's envelope cells, district before commune, current before carried: the
    allocation only. Where the money stands (reserved, committed, disbursed, ...) is read
    from the ledger: ``ledger.selectors.cell_balances``."""
    level_order = {v: i for i, v in enumerate(Level.values)}
    source_order = {v: i for i, v in enumerate(Source.values)}
    cells = sorted(
        EnvelopeCell.objects.filter(plan=plan),
        key=lambda c: (level_order[c.level], source_order[c.source]),
    )
    return [CellBalance(level=c.level, source=c.source, allocated=c.amount) for c in cells]
