"""The dashboard: where the plan's money stands, per envelope cell (level × source), per
commune and per content, and how disbursement progressed month by month.

The figures are the consolidated report's (``reports.consolidated``), so they equal the
ledger's to the đồng and obey the same access gate and filters; the month-by-month line
adds one query on the disbursements (their ``paid_on``), narrowed the same way, so that
its last point is the total disbursed. Six queries whatever the number of estimates.

The charts are drawn on the server as inline SVG (no script, nothing fetched from
elsewhere): this module only computes their geometry in whole units of the SVG's
coordinate system; the template draws them and the tables beside them.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from django.db.models import Q, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone
from django.utils.translation import gettext_lazy

from ledger.models import Disbursement

from .consolidated import ConsolidatedReport, Figures, consolidated_report
from .filters import ReportQuery

#: The measures each bar chart shows, in the order of their bars (settled is "spent").
MEASURES = ("allocated", "committed", "disbursed", "spent")

#: What each measure is called on the page.
MEASURE_LABELS = {
    "allocated": gettext_lazy("Allocated"),
    "committed": gettext_lazy("Committed"),
    "disbursed": gettext_lazy("Disbursed"),
    "spent": gettext_lazy("Settled"),
}

#: Width of the bar charts' and the line's coordinate system (the SVG scales to the page).
WIDTH = 360
#: A label longer than this is cut with "…" in the chart (the full label is its <title>).
LABEL_CHARS = 42
#: Heights in the bar charts: the label's line, one bar, the gap after an item.
LABEL_HEIGHT = 18
BAR_HEIGHT = 9
BAR_GAP = 2
ITEM_GAP = 10
#: The line chart's frame: height, and the room left for the axis labels.
LINE_HEIGHT = 180
LINE_LEFT = 4
LINE_BOTTOM = 22
LINE_TOP = 18


def _cut(label: str) -> str:
    return label if len(label) <= LABEL_CHARS else label[: LABEL_CHARS - 1].rstrip() + "…"


@dataclass(frozen=True)
class Bar:
    measure: str
    amount: int | None
    y: int
    width: int

    @property
    def label(self) -> str:
        return str(MEASURE_LABELS[self.measure])


@dataclass(frozen=True)
class Item:
    """One row of a chart and of its table: a label and its four figures."""

    label: str
    figures: Figures
    y: int = 0
    bars: tuple[Bar, ...] = ()

    @property
    def short_label(self) -> str:
        return _cut(self.label)

    @property
    def text_y(self) -> int:
        return self.y + LABEL_HEIGHT - 4


@dataclass
class BarChart:
    items: list[Item]
    height: int = 0
    scale: int = 0
    #: Whether the rows have an allocation (cells and communes do; contents do not).
    has_allocation: bool = True

    @property
    def total(self) -> Figures:
        total = Figures()
        for item in self.items:
            total = total + item.figures
        return total

    @property
    def track(self) -> int:
        return WIDTH


def bar_chart(rows: list[tuple[str, Figures]], *, allocation: bool = True) -> BarChart:
    """Items stacked from the top, each a label then one bar per measure, scaled to the
    largest amount of the chart (integer arithmetic: widths in whole units)."""
    scale = max(
        [getattr(f, m) or 0 for _label, f in rows for m in MEASURES] + [0],
    )
    items = []
    y = 0
    for label, figures in rows:
        bars = []
        top = y + LABEL_HEIGHT
        for n, measure in enumerate(MEASURES):
            amount = getattr(figures, measure)
            width = (amount or 0) * WIDTH // scale if scale else 0
            if amount and width == 0:
                width = 1  # a sliver, so that a small amount is not drawn as none
            bars.append(Bar(measure, amount, top + n * (BAR_HEIGHT + BAR_GAP), width))
        items.append(Item(label, figures, y, tuple(bars)))
        y = top + len(MEASURES) * (BAR_HEIGHT + BAR_GAP) + ITEM_GAP
    return BarChart(
        items=items, height=max(y - ITEM_GAP, 1), scale=scale, has_allocation=allocation
    )


@dataclass(frozen=True)
class Month:
    month: dt.date
    disbursed: int
    cumulative: int
    x: int = 0
    y: int = 0
    shown: bool = True  # False after the current month: no point is drawn
    tick: bool = False  # its label is written under the axis

    @property
    def label(self) -> str:
        return self.month.strftime("%m/%Y")


@dataclass
class LineChart:
    months: list[Month]
    top: int  # the cumulative amount at the top of the frame
    height: int = LINE_HEIGHT
    width: int = WIDTH

    @property
    def points(self) -> str:
        return " ".join(f"{m.x},{m.y}" for m in self.months if m.shown)

    @property
    def baseline(self) -> int:
        return LINE_HEIGHT - LINE_BOTTOM

    @property
    def top_y(self) -> int:
        return LINE_TOP

    @property
    def label_y(self) -> int:
        return LINE_HEIGHT - 6

    @property
    def first_label(self) -> str:
        return self.months[0].label

    @property
    def last_label(self) -> str:
        return self.months[-1].label

    @property
    def total(self) -> int:
        shown = [m for m in self.months if m.shown]
        return shown[-1].cumulative if shown else 0


def _month_range(first: dt.date, last: dt.date) -> list[dt.date]:
    months = []
    year, month = first.year, first.month
    while (year, month) <= (last.year, last.month):
        months.append(dt.date(year, month, 1))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def line_chart(plan: Any, paid: dict[dt.date, int], today: dt.date) -> LineChart:
    """The cumulative disbursed at the end of each month of the plan's period (extended to
    the months of any payment outside it); no point after the current month. A payment
    before the period counts in its first month."""
    first = min([plan.period_start, *paid])
    last = max([plan.period_end, *paid])
    months = _month_range(first, last)
    running = 0
    rows = []
    for month in months:
        running += paid.get(month, 0)
        rows.append((month, paid.get(month, 0), running))
    top = max(running, 1)
    span = WIDTH - 2 * LINE_LEFT
    plot = LINE_HEIGHT - LINE_BOTTOM - LINE_TOP
    step = max(1, -(-len(months) // 6))  # at most about six labels under the axis
    current = dt.date(today.year, today.month, 1)
    out = []
    for n, (month, amount, cumulative) in enumerate(rows):
        x = LINE_LEFT + (span * n // (len(rows) - 1) if len(rows) > 1 else span // 2)
        y = LINE_HEIGHT - LINE_BOTTOM - plot * cumulative // top
        out.append(
            Month(
                month,
                amount,
                cumulative,
                x=x,
                y=y,
                shown=month <= current,
                tick=n % step == 0 or n == len(rows) - 1,
            )
        )
    return LineChart(months=out, top=running)


@dataclass
class Dashboard:
    report: ConsolidatedReport
    cells: BarChart
    communes: BarChart
    contents: BarChart
    progress: LineChart

    @property
    def total(self) -> Figures:
        return self.report.total


def _paid_by_month(report: ConsolidatedReport) -> dict[dt.date, int]:
    """The disbursements of the report's estimates, summed per month paid."""
    query = report.query
    units = Q(pk__in=[])
    for g in report.groups:
        units |= Q(estimate__level=g.level, estimate__unit_id=g.unit_id)
    rows = Disbursement.objects.filter(units, estimate__plan=query.plan)
    if query.source:
        rows = rows.filter(source=query.source)
    if query.content is not None:
        rows = rows.filter(estimate__content=query.content)
    if query.activity is not None:
        rows = rows.filter(estimate__activity=query.activity)
    if query.statuses:
        rows = rows.filter(estimate__status__in=query.statuses)
    if query.start_from:
        rows = rows.filter(estimate__start_date__gte=query.start_from)
    if query.start_to:
        rows = rows.filter(estimate__start_date__lte=query.start_to)
    paid: dict[dt.date, int] = defaultdict(int)
    for row in (
        rows.annotate(month=TruncMonth("paid_on"))
        .values("month")
        .annotate(total=Sum("amount"))
        .order_by()
    ):
        month = row["month"]
        if isinstance(month, dt.datetime):
            month = month.date()
        paid[month.replace(day=1)] += row["total"]
    return dict(paid)


def dashboard(user: Any, query: ReportQuery, *, today: dt.date | None = None) -> Dashboard:
    """The dashboard of ``query`` for ``user`` (the caller validated the filters against
    what the user may see: ``ReportFilterForm``)."""
    report = consolidated_report(user, query)
    cells = [(f"{t.level_label} · {t.label}", t.figures) for t in report.level_totals]
    commune_level = query.plan.commune_level()
    communes = [(g.name, g.total) for g in report.groups if g.level == commune_level]
    by_content: dict[tuple[str, str], Figures] = {}
    for g in report.groups:
        for line in g.lines:
            key = (line.content_code, line.content_title)
            by_content[key] = by_content.get(key, Figures()) + line.figures
    contents = [(f"{code}. {title}", figures) for (code, title), figures in by_content.items()]
    contents.sort(key=lambda row: _content_order(row[0]))
    return Dashboard(
        report=report,
        cells=bar_chart(cells),
        communes=bar_chart(communes),
        contents=bar_chart(contents, allocation=False),
        progress=line_chart(query.plan, _paid_by_month(report), today or timezone.localdate()),
    )


def _content_order(label: str) -> tuple[Any, ...]:
    """Contents in the order of their codes ("1", "2", "10"; "1.2" after "1")."""
    code = label.split(". ", 1)[0]
    try:
        return (0, *(int(part) for part in code.split(".")))
    except ValueError:
        return (1, code)
