"""A list page of the site as an Excel workbook: what the page shows under its current
filters (every row, not one page of them), with a header naming the list, its filters and
when it was produced, money as integer cells with a number format, and totals rows.

Each page only says what its columns are (``Column``) and hands over the rows it already
read; the workbook is written with openpyxl's write-only mode (rows are streamed, memory
does not grow with the list). Reading the rows is the page's business, through its own
selectors and access rules: this module never queries.
"""

from __future__ import annotations

import datetime
import io
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Border, Font, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from reports.workbooks import MONEY_FORMAT, XLSX

_THIN = Side(style="thin")
_BOX = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_BOLD = Font(bold=True)
_TITLE = Font(bold=True, size=14)
_HEAD = Alignment(horizontal="center", vertical="center", wrap_text=True)
_WRAP = Alignment(vertical="top", wrap_text=True)

__all__ = ["XLSX", "Column", "ListWorkbook", "Table"]


@dataclass(frozen=True)
class Column:
    """One column of an exported list: its title, how a row gives its value, whether it
    is an amount of money (whole đồng: an integer cell, formatted, totalled), its width."""

    title: str
    value: Callable[[Any], object]
    money: bool = False
    width: int = 18


@dataclass
class Table:
    """One table of a list: a heading (when a page shows several), the columns, the rows
    and whether a totals row follows (the number of rows, and the sum of each money
    column; the first column holds the label, so it is never a money column)."""

    columns: Sequence[Column]
    rows: Iterable[Any]
    heading: str = ""
    totals: bool = True


@dataclass
class ListWorkbook:
    """A list as one worksheet: ``title`` and ``filters`` (label, value) in the header,
    then each table. ``content()`` gives the bytes of the .xlsx file."""

    title: str
    filters: Sequence[tuple[str, str]] = ()
    tables: list[Table] = field(default_factory=list)
    produced: datetime.datetime | None = None

    def table(
        self,
        columns: Sequence[Column],
        rows: Iterable[Any],
        *,
        heading: str = "",
        totals: bool = True,
    ) -> ListWorkbook:
        self.tables.append(Table(columns, rows, heading=heading, totals=totals))
        return self

    def content(self) -> bytes:
        wb = Workbook(write_only=True)
        ws: WriteOnlyWorksheet = wb.create_sheet(title=self.title[:31] or "List")
        widths = [max(c.width for c in cols) for cols in _by_position(self.tables)]
        for index, width in enumerate(widths, start=1):
            ws.column_dimensions[get_column_letter(index)].width = width
        ws.append([_cell(ws, self.title, font=_TITLE)])
        produced = timezone.localtime(self.produced or timezone.now())
        filters = "; ".join(f"{label}: {value}" for label, value in self.filters)
        ws.append([_("Filters: %(filters)s") % {"filters": filters or _("none")}])
        ws.append([_("Produced on %(produced)s") % {"produced": f"{produced:%d/%m/%Y %H:%M}"}])
        for table in self.tables:
            ws.append([])
            if table.heading:
                ws.append([_cell(ws, table.heading, font=_BOLD)])
            _write_table(ws, table)
        out = io.BytesIO()
        wb.save(out)
        return out.getvalue()

    def filename(self, stem: str) -> str:
        """``stem-YYYY-MM-DD.xlsx``, dated like the header."""
        produced = timezone.localtime(self.produced or timezone.now())
        return f"{stem}-{produced:%Y-%m-%d}.xlsx"


def _by_position(tables: Sequence[Table]) -> list[list[Column]]:
    """The columns of every table at each position, for the sheet's column widths."""
    width = max((len(t.columns) for t in tables), default=0)
    return [[t.columns[i] for t in tables if i < len(t.columns)] for i in range(width)]


def _cell(
    ws: WriteOnlyWorksheet,
    value: object,
    *,
    font: Font | None = None,
    money: bool = False,
    box: bool = False,
    alignment: Alignment | None = None,
) -> WriteOnlyCell:
    cell = WriteOnlyCell(ws, value=value)
    if font is not None:
        cell.font = font
    if money and isinstance(value, int):
        cell.number_format = MONEY_FORMAT
    if box:
        cell.border = _BOX
    if alignment is not None:
        cell.alignment = alignment
    return cell


def _write_table(ws: WriteOnlyWorksheet, table: Table) -> None:
    columns = table.columns
    ws.append([_cell(ws, c.title, font=_BOLD, box=True, alignment=_HEAD) for c in columns])
    sums = [0 for _c in columns]
    count = 0
    for row in table.rows:
        count += 1
        values = [c.value(row) for c in columns]
        for index, (column, value) in enumerate(zip(columns, values, strict=True)):
            if column.money and isinstance(value, int):
                sums[index] += value
        ws.append(
            [
                _cell(ws, v, money=c.money, box=True, alignment=_WRAP)
                for c, v in zip(columns, values, strict=True)
            ]
        )
    if not table.totals:
        return
    label = _("Total (%(count)s rows)") % {"count": count}
    totals: list[object] = [label] + [
        sums[i] if c.money else None for i, c in enumerate(columns) if i > 0
    ]
    ws.append([_cell(ws, v, font=_BOLD, money=True, box=True) for v in totals])
