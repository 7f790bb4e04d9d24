"""A list page of the site as an Excel workbook: what the page shows under its current
filters (every row, not one page of them), with a header naming the list, its filters and
when it was produced, money as integer cells with a number format, and totals rows.

Each page only says what its columns are (``Column``) and hands over the rows it already
read; the workbook is written with XlsxWriter in constant-memory mode, as the reports are
(``reports.xlsx``, the one Excel writer of the reports: rows are streamed, memory does not
grow with the list). Reading the rows is the page's business, through its own selectors
and access rules: this module never queries.
"""

from __future__ import annotations

import datetime
import io
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import xlsxwriter
from django.utils import timezone
from django.utils.translation import gettext as _

from reports.workbooks import MONEY_FORMAT, XLSX
from reports.xlsx import PROGRESS_EVERY

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

    def content(self, progress: Callable[[int], None] | None = None) -> bytes:
        """The file's bytes; ``progress(rows_written)`` every ``PROGRESS_EVERY`` rows (a
        long list exported in the background reports how far it got)."""
        out = io.BytesIO()
        book = xlsxwriter.Workbook(
            out, {"constant_memory": True, "in_memory": False, "strings_to_numbers": False}
        )
        ws = book.add_worksheet(self.title[:31] or "List")
        styles = _Styles(book)
        widths = [max(c.width for c in cols) for cols in _by_position(self.tables)]
        for index, width in enumerate(widths):
            ws.set_column(index, index, width)
        produced = timezone.localtime(self.produced or timezone.now())
        filters = "; ".join(f"{label}: {value}" for label, value in self.filters)
        ws.write_string(0, 0, self.title, styles.title)
        ws.write_string(1, 0, _("Filters: %(filters)s") % {"filters": filters or _("none")})
        ws.write_string(
            2, 0, _("Produced on %(produced)s") % {"produced": f"{produced:%d/%m/%Y %H:%M}"}
        )
        row = 3
        for table in self.tables:
            row += 1  # a blank line
            if table.heading:
                ws.write_string(row, 0, table.heading, styles.bold)
                row += 1
            row = _write_table(ws, styles, table, row, progress)
        book.close()
        return out.getvalue()

    def filename(self, stem: str) -> str:
        """``stem-YYYY-MM-DD.xlsx``, dated like the header."""
        produced = timezone.localtime(self.produced or timezone.now())
        return f"{stem}-{produced:%Y-%m-%d}.xlsx"


def _by_position(tables: Sequence[Table]) -> list[list[Column]]:
    """The columns of every table at each position, for the sheet's column widths."""
    width = max((len(t.columns) for t in tables), default=0)
    return [[t.columns[i] for t in tables if i < len(t.columns)] for i in range(width)]


class _Styles:
    """The workbook's formats: the title, bold, the boxed header, boxed cells (money or
    not) and the boxed bold totals."""

    def __init__(self, book: Any) -> None:
        box = {"border": 1}
        self.title = book.add_format({"bold": True, "font_size": 14})
        self.bold = book.add_format({"bold": True})
        self.head = book.add_format(
            {**box, "bold": True, "align": "center", "valign": "vcenter", "text_wrap": True}
        )
        self.cell = book.add_format({**box, "valign": "top", "text_wrap": True})
        self.money = book.add_format({**box, "valign": "top", "num_format": MONEY_FORMAT})
        self.total = book.add_format({**box, "bold": True})
        self.total_money = book.add_format({**box, "bold": True, "num_format": MONEY_FORMAT})


def _put(ws: Any, row: int, col: int, value: object, text: Any, number: Any) -> None:
    """A cell: whole đồng and counts as numbers, nothing as an empty boxed cell, the rest
    as text. It runs for every cell of an export (a district's inbox in the background:
    tens of thousands of rows), so it calls XlsxWriter's undecorated writers, as
    ``reports.xlsx`` does: the public ones only add a decorator turning "A1" notation
    into a row and a column, which this code never passes."""
    if value is None or value == "":
        ws._write_blank(row, col, None, text)
    elif isinstance(value, int) and not isinstance(value, bool):
        ws._write_number(row, col, value, number)
    else:
        ws._write_string(row, col, str(value), text)


def _write_table(
    ws: Any,
    styles: _Styles,
    table: Table,
    row: int,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Write the table from ``row``; the next free row."""
    columns = table.columns
    for index, column in enumerate(columns):
        ws.write_string(row, index, column.title, styles.head)
    row += 1
    sums = [0 for _c in columns]
    count = 0
    for item in table.rows:
        count += 1
        for index, column in enumerate(columns):
            value = column.value(item)
            if column.money and isinstance(value, int):
                sums[index] += value
            _put(ws, row, index, value, styles.cell, styles.money if column.money else styles.cell)
        row += 1
        if progress is not None and count % PROGRESS_EVERY == 0:
            progress(count)
    if not table.totals:
        return row
    ws.write_string(row, 0, _("Total (%(count)s rows)") % {"count": count}, styles.total)
    for index, column in enumerate(columns):
        if index > 0:
            _put(
                ws,
                row,
                index,
                sums[index] if column.money else None,
                styles.total,
                styles.total_money,
            )
    return row + 1
