"""The list workbook: header, integer money cells with their number format, totals."""

from __future__ import annotations

import datetime as dt
import io

from django.utils import timezone
from openpyxl import load_workbook

from reports.list_workbooks import Column, ListWorkbook
from reports.workbooks import MONEY_FORMAT


def test_a_list_workbook_has_its_header_money_cells_and_totals() -> None:
    produced = timezone.make_aware(dt.datetime(2024, 6, 12, 9, 30))
    book = ListWorkbook("Dự toán", filters=[("Xã", "Sì Lở Lầu")], produced=produced)
    columns = [Column("Số", lambda r: r[0]), Column("Đề nghị", lambda r: r[1], money=True)]
    book.table(columns, iter([("A", 7_588_630_000), ("B", None), ("C", 5)]))
    book.table(columns, [], heading="Trống")
    assert book.filename("estimates") == "estimates-2024-06-12.xlsx"

    ws = load_workbook(io.BytesIO(book.content())).worksheets[0]
    values = [tuple(c.value for c in row) for row in ws.iter_rows(max_col=2)]
    assert values[:4] == [
        ("Dự toán", None),
        ("Filters: Xã: Sì Lở Lầu", None),
        ("Produced on 12/06/2024 09:30", None),
        (None, None),
    ]
    assert values[4:9] == [
        ("Số", "Đề nghị"),
        ("A", 7_588_630_000),
        ("B", None),
        ("C", 5),
        ("Total (3 rows)", 7_588_630_005),
    ]
    assert values[10:] == [("Trống", None), ("Số", "Đề nghị"), ("Total (0 rows)", 0)]
    assert ws["B6"].number_format == MONEY_FORMAT and isinstance(ws["B6"].value, int)
    assert ws["B9"].number_format == MONEY_FORMAT and ws["B9"].font.bold
    assert ws["A1"].font.bold
