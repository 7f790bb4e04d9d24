"""The consolidated report: where a plan's money stands per spending unit × content ×
funding source, the district's own money as its own group.

Figures per row (whole đồng): reserved, committed (approved less what lapsed at
settlement), disbursed, spent, returned and carried over, summed from the estimates'
ledger accounts (``ledger.models.EstimateAccount``, which ``ledger_reconcile`` holds equal
to the entries). "Allocated" is not per content: it is the envelope's, shown on each
group's rows per source — the district-level cell for the district, the commune's share
(sub-envelope) for a commune, "—" where the commune-level cell is not split yet — and in
the totals per level and source: the envelope cell when every unit of the level is in the
selection, else the sum of the shares shown. The estimate filters (content, activity,
status, period) narrow the money used, never the allocation.

Unfiltered, for a user who sees the whole district, the totals per level and source equal
``plan_summary --json``'s envelope cells, and each commune's per-source figures its
``communes`` rows, to the đồng (tests/reports/test_consolidated.py).

Reads only, in a fixed number of queries whatever the number of estimates: the plan's
communes, its contents, its cells, its shares, and one aggregate of the accounts.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field, fields, replace
from typing import Any

from django.db.models import Case, F, IntegerField, Sum, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _

from approvals.access import unit_ids_with
from estimates.models import Content, EnvelopeCell, Source
from ledger.models import EstimateAccount, SubEnvelope
from ledger.selectors import source_label
from organization import permissions as perms
from organization.models import Unit
from organization.selectors import unit_as_of
from reorganisations.selectors import shares_before, units_before

from .filters import ReportQuery

#: The figures of a row, in the order of the table's columns.
FIGURES = ("allocated", "reserved", "committed", "disbursed", "spent", "returned", "carried")


@dataclass(frozen=True)
class Figures:
    allocated: int | None = None
    reserved: int = 0
    committed: int = 0
    disbursed: int = 0
    spent: int = 0
    returned: int = 0
    carried: int = 0

    def __add__(self, other: Figures) -> Figures:
        if self.allocated is None and other.allocated is None:
            allocated = None
        else:
            allocated = (self.allocated or 0) + (other.allocated or 0)
        return Figures(
            allocated,
            *(getattr(self, f.name) + getattr(other, f.name) for f in fields(self)[1:]),
        )

    @property
    def used(self) -> bool:
        return any(getattr(self, f.name) for f in fields(self)[1:])

    def values(self) -> list[int | None]:
        return [getattr(self, name) for name in FIGURES]

    def as_dict(self) -> dict[str, int | None]:
        return {name: getattr(self, name) for name in FIGURES}


@dataclass(frozen=True)
class Line:
    """One content and source of a unit: the money its estimates used."""

    content_code: str
    content_title: str
    source: str
    source_label: str
    figures: Figures


@dataclass(frozen=True)
class SourceTotal:
    source: str
    label: str
    figures: Figures


@dataclass
class Group:
    """One spending unit: the district (its own money) or a commune."""

    unit_id: int
    code: str
    name: str
    level: str
    lines: list[Line] = field(default_factory=list)
    sources: list[SourceTotal] = field(default_factory=list)

    @property
    def total(self) -> Figures:
        total = Figures()
        for s in self.sources:
            total = total + s.figures
        return total


@dataclass(frozen=True)
class LevelTotal:
    level: str
    level_label: str
    source: str
    label: str
    figures: Figures


@dataclass
class ConsolidatedReport:
    query: ReportQuery
    groups: list[Group]
    level_totals: list[LevelTotal]

    @property
    def total(self) -> Figures:
        total = Figures()
        for t in self.level_totals:
            total = total + t.figures
        return total

    @property
    def line_count(self) -> int:
        return sum(len(g.lines) for g in self.groups)

    def as_dict(self) -> dict[str, Any]:
        """For the API: amounts as integers in đồng (``allocated`` may be null)."""
        plan = self.query.plan
        return {
            "plan": {"id": plan.pk, "number": plan.number, "title": plan.title},
            "filters": [{"label": k, "value": v} for k, v in self.query.described()],
            "groups": [
                {
                    "unit": {"id": g.unit_id, "code": g.code, "name": g.name},
                    "level": g.level,
                    "lines": [
                        {
                            "content": line.content_code,
                            "content_title": line.content_title,
                            "source": line.source,
                            "source_label": line.source_label,
                            **line.figures.as_dict(),
                        }
                        for line in g.lines
                    ],
                    "sources": [
                        {"source": s.source, "label": s.label, **s.figures.as_dict()}
                        for s in g.sources
                    ],
                    "total": g.total.as_dict(),
                }
                for g in self.groups
            ],
            "totals": [
                {"level": t.level, "source": t.source, "label": t.label, **t.figures.as_dict()}
                for t in self.level_totals
            ],
            "total": self.total.as_dict(),
        }

    def rows(self) -> Iterator[tuple[str, list[Any]]]:
        """The table as shown and exported: ("line" | "subtotal" | "group", cells), each
        ``[unit, content, source, *figures]``."""
        all_contents, total = _("All contents"), _("Total")  # once, not per row
        for g in self.groups:
            for line in g.lines:
                yield "line", [g.name, line.content_code, line.source_label, *line.figures.values()]
            for s in g.sources:
                yield "subtotal", [g.name, all_contents, s.label, *s.figures.values()]
            yield "group", [g.name, total, "", *g.total.values()]


def consolidated_report(user: Any, query: ReportQuery) -> ConsolidatedReport:
    """The report of ``query`` restricted to the units ``user`` may see (the caller has
    validated a named unit against them: ``ReportFilterForm``)."""
    plan = query.plan
    visible = unit_ids_with(user, perms.VIEW)
    # Units as they stood at the end of the period (today without one): a reorganisation
    # effective later is not applied yet, one effective before has its successors carry
    # their predecessors' money, closed estimates included.
    as_of = query.start_to or timezone.localdate()
    # The lineage comes with the plan's communes and area (no query of its own): a
    # reorganisation lists its successors among the plan's communes.
    every_commune = [
        pc.commune for pc in plan.communes.select_related("commune").order_by("sort_order")
    ]
    lineage = [*every_commune, plan.area]
    succession = {
        u.pk: (u.successor_id, u.abolished_on)
        for u in lineage
        if u.successor_id is not None and u.abolished_on is not None
    }
    later = any(
        (u.abolished_on is not None and u.abolished_on > as_of)
        or (u.established_on is not None and u.established_on > as_of)
        for u in lineage
    )
    moved_back = units_before(as_of) if later else {}

    def unit_then(unit_id: int) -> int:
        return unit_as_of(unit_id, as_of, succession)

    district_id = unit_then(plan.area_id)
    district: Unit = plan.area if district_id == plan.area_id else Unit.objects.get(pk=district_id)
    plan_communes = [c for c in every_commune if c.exists_on(as_of)]
    communes = [c for c in plan_communes if c.pk in visible]
    units: list[tuple[Unit, str]] = []
    area_level = plan.level_for_unit(district) or ""
    commune_level = plan.commune_level() or ""
    if district.pk in visible:
        units.append((district, area_level))
    units += [(c, commune_level) for c in communes]
    plan_commune_ids = {c.pk for c in communes}
    all_communes = len(plan_communes) == len(communes)
    if query.unit is not None:
        units = [(u, lvl) for u, lvl in units if u.pk == query.unit.pk]
        all_communes = False
    sources = [query.source] if query.source else list(Source.values)
    labels = {s: source_label(plan, s) for s in Source.values}

    cells = {(c.level, c.source): c for c in EnvelopeCell.objects.filter(plan=plan)}
    shares = {
        (s.commune_id, s.cell.source): s.amount
        for s in SubEnvelope.objects.filter(
            cell__plan=plan, commune_id__in=plan_commune_ids
        ).select_related("cell")
    }
    if moved_back:
        shares.update(
            {
                key: amount
                for key, amount in shares_before(as_of).items()
                if key[0] in plan_commune_ids
            }
        )
    contents = {c.pk: c for c in Content.objects.filter(plan=plan).order_by("sort_order")}
    order = {pk: n for n, pk in enumerate(contents)}

    listed = {u.pk for u, _lvl in units}
    # An estimate counts under the unit that carried it then: its own, or the one a later
    # reorganisation moved it from; then the successor of that as of the period's end.
    unit_expr: Any = F("estimate__unit_id")
    by_origin: dict[int, list[int]] = defaultdict(list)
    for estimate_id, origin in moved_back.items():
        by_origin[origin].append(estimate_id)
    if by_origin:
        unit_expr = Case(
            *[When(estimate_id__in=ids, then=Value(origin)) for origin, ids in by_origin.items()],
            default=F("estimate__unit_id"),
            output_field=IntegerField(),
        )
    accounts = EstimateAccount.objects.filter(estimate__plan=plan).annotate(unit_then=unit_expr)
    if query.source:
        accounts = accounts.filter(source=query.source)
    if query.content is not None:
        accounts = accounts.filter(estimate__content=query.content)
    if query.activity is not None:
        accounts = accounts.filter(estimate__activity=query.activity)
    if query.statuses:
        accounts = accounts.filter(estimate__status__in=query.statuses)
    if query.start_from:
        accounts = accounts.filter(estimate__start_date__gte=query.start_from)
    if query.start_to:
        accounts = accounts.filter(estimate__start_date__lte=query.start_to)
    used: dict[tuple[str, int], dict[tuple[int, str], Figures]] = defaultdict(dict)
    for row in (
        accounts.values("estimate__level", "unit_then", "estimate__content_id", "source")
        .annotate(
            reserved=Sum("reserved"),
            approved=Sum("approved"),
            lapsed=Sum("lapsed"),
            disbursed=Sum("disbursed"),
            spent=Sum("spent"),
            returned=Sum("returned"),
            carried=Sum("carried"),
        )
        .order_by()
    ):
        figures = Figures(
            None,
            reserved=row["reserved"],
            committed=row["approved"] - row["lapsed"],
            disbursed=row["disbursed"],
            spent=row["spent"],
            returned=row["returned"],
            carried=row["carried"],
        )
        key = (row["estimate__level"], unit_then(row["unit_then"]))
        if key[1] not in listed:
            continue
        cell_key = (row["estimate__content_id"], row["source"])
        known = used[key].get(cell_key)
        used[key][cell_key] = figures if known is None else known + figures

    groups: list[Group] = []
    level_sums: dict[tuple[str, str], Figures] = defaultdict(Figures)
    for unit, level in units:
        group = Group(unit_id=unit.pk, code=unit.code, name=unit.name, level=level)
        money = used.get((level, unit.pk), {})
        for content_id, source in sorted(
            money, key=lambda k: (order.get(k[0], 0), Source.values.index(k[1]))
        ):
            figures = money[(content_id, source)]
            if not figures.used:
                continue
            content = contents[content_id]
            group.lines.append(Line(content.code, content.title, source, labels[source], figures))
        for source in sources:
            total = Figures()
            for (_content, s), figures in money.items():
                if s == source:
                    total = total + figures
            allocated: int | None
            if level == area_level:
                cell = cells.get((area_level, source))
                allocated = cell.amount if cell else 0
            else:
                allocated = shares.get((unit.pk, source))
            total = replace(total, allocated=allocated)
            group.sources.append(SourceTotal(source, labels[source], total))
            level_sums[(level, source)] = level_sums[(level, source)] + total
        groups.append(group)

    level_totals = []
    for level in (area_level, commune_level):
        if not any(lvl == level for _u, lvl in units):
            continue
        for source in sources:
            figures = level_sums[(level, source)]
            if level == commune_level and all_communes:
                cell = cells.get((commune_level, source))
                figures = replace(figures, allocated=cell.amount if cell else 0)
            level_totals.append(
                LevelTotal(level, plan.level_label(level), source, labels[source], figures)
            )
    return ConsolidatedReport(query=query, groups=groups, level_totals=level_totals)
