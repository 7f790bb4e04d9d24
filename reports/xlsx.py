"""One table as an Excel workbook, written row by row in constant memory: the shared
helper of the reports (the consolidated report, the decisions, the overdue advances).

``xlsx_table`` writes a few heading lines (the report's title, the plan, the filters, the
date produced), the column titles, the rows and the totals rows. It uses XlsxWriter's
``constant_memory`` mode: each row goes to a temporary file as soon as it is written, so
memory stays flat whatever the number of rows (``make bench`` measures a 100,000-line
workbook). XlsxWriter is used rather than openpyxl's ``write_only`` mode because it writes
the same workbook several times faster (figures in the README).

Money cells hold whole đồng as integers with the number format ``#,##0``, as in the forms
(``reports.workbooks``): never text, never float. A money cell given ``None`` (no figure,
e.g. a commune whose share of the envelope is not set) is left empty.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import xlsxwriter

#: The media type of an .xlsx file.
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MONEY_FORMAT = "#,##0"
#: How often (in rows) the progress callback is told how far the writing got.
PROGRESS_EVERY = 1000


@dataclass(frozen=True)
class Column:
    title: str
    width: int = 14
    money: bool = False


@dataclass(frozen=True)
class Row:
    """A row with a look: ``bold`` for subtotals and totals."""

    values: Sequence[Any]
    bold: bool = False


@dataclass
class Sheet:
    """What ``xlsx_table`` writes: heading lines above the table, its columns, its rows
    (plain sequences or :class:`Row`), totals rows below (bold)."""

    title: str
    heading: Sequence[str]
    columns: Sequence[Column]
    rows: Iterable[Sequence[Any] | Row]
    totals: Sequence[Sequence[Any]] = field(default_factory=list)


def xlsx_table(sheet: Sheet, *, progress: Callable[[int], None] | None = None) -> bytes:
    """The workbook's bytes. ``progress(rows_written)`` is called every
    :data:`PROGRESS_EVERY` rows and once at the end."""
    out = io.BytesIO()
    book = xlsxwriter.Workbook(
        out, {"constant_memory": True, "in_memory": False, "strings_to_numbers": False}
    )
    book.set_properties({"title": sheet.title})
    ws = book.add_worksheet(sheet.title[:31])
    title = book.add_format({"bold": True, "font_size": 13})
    header = book.add_format(
        {"bold": True, "border": 1, "align": "center", "valign": "vcenter", "text_wrap": True}
    )
    plain = book.add_format({})
    money = book.add_format({"num_format": MONEY_FORMAT})
    bold = book.add_format({"bold": True})
    bold_money = book.add_format({"bold": True, "num_format": MONEY_FORMAT})
    moneys = [c.money for c in sheet.columns]
    for n, col in enumerate(sheet.columns):
        ws.set_column(n, n, col.width)

    r = 0
    for n, line in enumerate(sheet.heading):
        ws.write_string(r, 0, line, title if n == 0 else plain)
        r += 1
    r += 1
    for n, col in enumerate(sheet.columns):
        ws.write_string(r, n, col.title, header)
    ws.freeze_panes(r + 1, 0)
    r += 1

    # Per column, the (plain, bold) format of a number; a plain text or a plain number in a
    # column that is not money gets no format at all (Excel's default style: no style
    # attribute to write). This loop runs for every cell of a 100,000-line report (``make
    # bench``), so the writers are bound once, and they are XlsxWriter's undecorated
    # ``_write_number`` / ``_write_string``: the public ``write_number`` / ``write_string``
    # only add a decorator that turns "A1" notation into row and column, which this code
    # never passes, and it costs 8 % of the report's time. XlsxWriter is pinned (constraints.txt)
    # and tests/reports read the exported cells back.
    number_formats = [(money, bold_money) if m else (None, bold) for m in moneys]
    text_formats = (None, bold)
    write_number, write_string = ws._write_number, ws._write_string

    def put(values: Sequence[Any], strong: bool) -> None:
        text = text_formats[strong]
        for n, value in enumerate(values):
            if value is None or value == "":
                continue
            if type(value) is int:
                write_number(r, n, value, number_formats[n][strong])
            else:
                write_string(r, n, str(value), text)

    written = 0
    for item in sheet.rows:
        if isinstance(item, Row):
            put(item.values, item.bold)
        else:
            put(item, False)
        r += 1
        written += 1
        if progress is not None and written % PROGRESS_EVERY == 0:
            progress(written)
    for values in sheet.totals:
        put(values, True)
        r += 1
    book.close()
    if progress is not None:
        progress(written)
    return out.getvalue()
