"""The estimate form (dự toán kinh phí) and the settlement form (quyết toán kinh phí) of one
estimate as Excel workbooks, in the layout Vietnamese offices file: the governing body and
the unit top-left, the national title and motto top-right, the title, the plan and the
activity, the line table with subtotals per funding source, the total in figures and in
words, and the signature blocks (người lập biểu, kế toán, thủ trưởng đơn vị).

The texts and column titles are module-level data below, so an office can adapt the form
without touching the code that fills it. Which official rule each form follows is in the
README ("Documents"); where the team could not confirm a form, it says so.

Money cells hold whole đồng as integers with the number format ``#,##0``: Excel shows
the grouping separator of the reader's locale (dots on a Vietnamese system, commas on an
English one). A fixed dot cannot be written into a number format without turning the
amount into text, and amounts are never stored as text or floats.

Each workbook reads with a fixed number of queries whatever the number of lines.
"""

from __future__ import annotations

import io
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from core.errors import Conflict
from core.words import amount_in_words
from estimates.models import Estimate, EstimateLine, Source
from ledger.models import Settlement
from ledger.selectors import estimate_money, estimate_settlement, source_label
from ledger.services import split_unspent

# --------------------------------------------------------------------------------------
# The layout: what an office may adapt

NATIONAL_TITLE = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
MOTTO = "Độc lập - Tự do - Hạnh phúc"
#: The spending unit's line below the governing body, by the kind of unit.
UNIT_LINE = "ĐƠN VỊ: {kind}{name}"
UNIT_KINDS = {"province": "TỈNH ", "district": "HUYỆN ", "commune": "XÃ "}
ESTIMATE_TITLE = "DỰ TOÁN KINH PHÍ"
SETTLEMENT_TITLE = "QUYẾT TOÁN KINH PHÍ"
UNIT_OF_ACCOUNT = "Đơn vị tính: đồng"
PLAN_LINE = "Thực hiện Kế hoạch số {number} ngày {date}: {title}"
ACTIVITY_LINE = "Nội dung {content}; hoạt động {code}: {title}"
ESTIMATE_LINE = "Số dự toán: {number}. Thời gian thực hiện: từ {start} đến {end}"
SUBTOTAL_LABEL = "Cộng nguồn: {label}"
TOTAL_LABEL = "TỔNG CỘNG"
WORDS_LABEL = "Số tiền bằng chữ: {words}"
SPENT_WORDS_LABEL = "Số quyết toán bằng chữ: {words}"
SOURCES_HEADING = "TÌNH HÌNH KINH PHÍ THEO NGUỒN"
SIGNATURES: tuple[tuple[str, str], ...] = (
    ("NGƯỜI LẬP BIỂU", "(Ký, ghi rõ họ tên)"),
    ("KẾ TOÁN", "(Ký, ghi rõ họ tên)"),
    ("THỦ TRƯỞNG ĐƠN VỊ", "(Ký, họ tên, đóng dấu)"),
)

#: The estimate form's columns: (key, title, width). "appraised" and "approved" appear
#: only once the estimate has been appraised or approved.
ESTIMATE_COLUMNS: tuple[tuple[str, str, int], ...] = (
    ("position", "STT", 6),
    ("description", "Nội dung chi", 40),
    ("unit_of_measure", "Đơn vị tính", 12),
    ("quantity", "Số lượng", 10),
    ("unit_price", "Đơn giá", 14),
    ("times", "Số lần (ngày)", 10),
    ("amount", "Thành tiền", 16),
    ("appraised", "Thẩm định", 16),
    ("approved", "Phê duyệt", 16),
    ("source", "Nguồn", 24),
)

#: The settlement form's line columns.
SETTLEMENT_COLUMNS: tuple[tuple[str, str, int], ...] = (
    ("position", "STT", 6),
    ("description", "Nội dung chi", 40),
    ("unit_of_measure", "Đơn vị tính", 12),
    ("quantity", "Số lượng", 10),
    ("unit_price", "Đơn giá", 14),
    ("times", "Số lần (ngày)", 10),
    ("approved", "Phê duyệt", 16),
    ("spent", "Thực chi (quyết toán)", 16),
    ("source", "Nguồn", 24),
    ("note", "Ghi chú", 24),
)

#: The settlement form's table per funding source (below the lines).
SETTLEMENT_SOURCE_COLUMNS: tuple[tuple[str, str], ...] = (
    ("label", "Nguồn kinh phí"),
    ("approved", "Phê duyệt"),
    ("disbursed", "Đã cấp (giải ngân)"),
    ("spent", "Thực chi"),
    ("returned", "Nộp trả"),
    ("carried", "Chuyển nguồn"),
)

MONEY_FORMAT = "#,##0"
_MONEY_KEYS = {"unit_price", "amount", "appraised", "approved", "spent", "disbursed"}
_MONEY_KEYS |= {"returned", "carried"}
_THIN = Side(style="thin")
_BOX = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_BOLD = Font(bold=True)
_CENTER = Alignment(horizontal="center", vertical="center", wrap_text=True)
_WRAP = Alignment(vertical="top", wrap_text=True)

# --------------------------------------------------------------------------------------
# Reads


def _estimate_for_form(estimate: Estimate) -> tuple[Estimate, list[EstimateLine]]:
    """The estimate with its plan, issuer, unit, content and activity (one query) and its
    lines in order (one query)."""
    full = Estimate.objects.select_related("plan__issuer", "unit", "content", "activity").get(
        pk=estimate.pk
    )
    return full, list(EstimateLine.objects.filter(estimate=full).order_by("position"))


def _source_order(sources: set[str]) -> list[str]:
    return [s for s in Source.values if s in sources]


# --------------------------------------------------------------------------------------
# Writing


@dataclass
class _Sheet:
    """A worksheet being written row by row."""

    ws: Worksheet
    widths: Sequence[int]
    row: int = 1

    @property
    def width(self) -> int:
        return len(self.widths)

    def merged(
        self,
        text: str,
        *,
        first: int = 1,
        last: int | None = None,
        bold: bool = False,
        alignment: Alignment = _CENTER,
    ) -> None:
        """``text`` across the columns ``first`` to ``last`` of the current row."""
        last = last or self.width
        cell = self.ws.cell(self.row, first, text)
        if last > first:
            self.ws.merge_cells(
                start_row=self.row, start_column=first, end_row=self.row, end_column=last
            )
        cell.alignment = alignment
        if bold:
            cell.font = _BOLD
        # Excel does not fit a row's height to wrapped text in merged cells: give the row
        # one line per (roughly) the merged columns' width in characters.
        room = sum(self.widths[first - 1 : last])
        lines = -(-len(text) * (12 if bold else 10) // (10 * room))
        if lines > 1:
            self.ws.row_dimensions[self.row].height = max(
                self.ws.row_dimensions[self.row].height or 0, 15 * lines
            )

    def table_row(
        self, values: Sequence[object], keys: Sequence[str], *, bold: bool = False, first: int = 1
    ) -> None:
        for column, (key, value) in enumerate(zip(keys, values, strict=True), start=first):
            cell = self.ws.cell(self.row, column, value)
            cell.border = _BOX
            cell.alignment = _WRAP
            if key in _MONEY_KEYS and isinstance(value, int):
                cell.number_format = MONEY_FORMAT
            if bold:
                cell.font = _BOLD
        self.row += 1

    def header(self, titles: Sequence[str], *, first: int = 1) -> None:
        for column, title in enumerate(titles, start=first):
            cell = self.ws.cell(self.row, column, title)
            cell.border = _BOX
            cell.alignment = _CENTER
            cell.font = _BOLD
        self.row += 1


def _new_workbook(title: str) -> tuple[Workbook, Worksheet]:
    wb = Workbook()
    ws = wb.worksheets[0]
    if not isinstance(ws, Worksheet):  # pragma: no cover - a new workbook's first sheet
        raise TypeError(type(ws))
    ws.title = title
    return wb, ws


def _top(sheet: _Sheet, estimate: Estimate, title: str) -> None:
    """Governing body and unit (left), national title and motto (right), the title, the
    plan, the activity and the estimate's number and dates."""
    split = 3
    plan = estimate.plan
    sheet.merged(plan.issuer.name.upper(), last=split, bold=True)
    sheet.merged(NATIONAL_TITLE, first=split + 1, bold=True)
    sheet.row += 1
    unit = estimate.unit
    sheet.merged(
        UNIT_LINE.format(kind=UNIT_KINDS.get(unit.kind, ""), name=unit.name.upper()),
        last=split,
        bold=True,
    )
    sheet.merged(MOTTO, first=split + 1, bold=True)
    sheet.row += 2
    sheet.merged(title, bold=True)
    sheet.row += 1
    sheet.merged(estimate.title, bold=True)
    sheet.row += 1
    sheet.merged(
        PLAN_LINE.format(
            number=plan.number, date=plan.issued_on.strftime("%d/%m/%Y"), title=plan.title
        )
    )
    sheet.row += 1
    sheet.merged(
        ACTIVITY_LINE.format(
            content=estimate.content.code,
            code=estimate.activity.code,
            title=estimate.activity.title,
        )
    )
    sheet.row += 1
    sheet.merged(
        ESTIMATE_LINE.format(
            number=estimate.number,
            start=estimate.start_date.strftime("%d/%m/%Y"),
            end=estimate.end_date.strftime("%d/%m/%Y"),
        )
    )
    sheet.row += 1
    sheet.merged(UNIT_OF_ACCOUNT, alignment=Alignment(horizontal="right"))
    sheet.row += 1


def _signatures(sheet: _Sheet) -> None:
    sheet.row += 1
    step = max(sheet.width // len(SIGNATURES), 1)
    for i, (role, hint) in enumerate(SIGNATURES):
        first = 1 + i * step
        last = sheet.width if i == len(SIGNATURES) - 1 else first + step - 1
        sheet.merged(role, first=first, last=last, bold=True)
        sheet.row += 1
        sheet.merged(hint, first=first, last=last, alignment=Alignment(horizontal="center"))
        sheet.row -= 1
    sheet.row += 2


def _finished(wb: Workbook, sheet: _Sheet, header_row: int) -> bytes:
    """Column widths; printed on A4 landscape, one page wide, the table's header repeated
    on every page; the workbook's bytes."""
    ws = sheet.ws
    for column, width in enumerate(sheet.widths, start=1):
        ws.column_dimensions[get_column_letter(column)].width = width
    ws.print_title_rows = f"{header_row}:{header_row}"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = ws.ORIENTATION_LANDSCAPE
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def estimate_workbook(estimate: Estimate) -> bytes:
    """The estimate form: every line with its requested amount, and the appraised and
    approved amounts once they exist; subtotals per source; the total in figures and in
    words (of the last stage reached)."""
    estimate, lines = _estimate_for_form(estimate)
    columns = [
        c
        for c in ESTIMATE_COLUMNS
        if (c[0] != "appraised" or estimate.appraised_amount is not None)
        and (c[0] != "approved" or estimate.approved_amount is not None)
    ]
    keys = [c[0] for c in columns]
    money = [k for k in ("amount", "appraised", "approved") if k in keys]
    wb, ws = _new_workbook("Dự toán")
    sheet = _Sheet(ws, [c[2] for c in columns])
    _top(sheet, estimate, f"{ESTIMATE_TITLE} {estimate.activity.title.upper()}")
    sheet.header([c[1] for c in columns])
    header_row = sheet.row - 1
    labels = {s: source_label(estimate.plan, s) for s in Source.values}
    sums: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for line in lines:
        row = {
            "position": line.position,
            "description": line.description,
            "unit_of_measure": line.unit_of_measure,
            "quantity": line.quantity,
            "unit_price": line.unit_price,
            "times": line.times,
            "amount": line.amount,
            "appraised": line.appraised_amount,
            "approved": line.approved_amount,
            "source": labels[line.source],
        }
        for key in money:
            sums[line.source][key] += row[key] or 0  # type: ignore[operator]
        sheet.table_row([row[k] for k in keys], keys)
    totals: dict[str, int] = defaultdict(int)
    for source in _source_order(set(sums)):
        label = SUBTOTAL_LABEL.format(label=labels[source])
        sheet.table_row(
            [
                label if k == "description" else (sums[source][k] if k in money else "")
                for k in keys
            ],
            keys,
            bold=True,
        )
        for key in money:
            totals[key] += sums[source][key]
    sheet.table_row(
        [TOTAL_LABEL if k == "description" else (totals[k] if k in money else "") for k in keys],
        keys,
        bold=True,
    )
    sheet.row += 1
    sheet.merged(
        WORDS_LABEL.format(words=amount_in_words(totals[money[-1]])),
        alignment=Alignment(horizontal="left", wrap_text=True),
    )
    sheet.row += 1
    _signatures(sheet)
    return _finished(wb, sheet, header_row)


@dataclass(frozen=True)
class SourceSettlement:
    """One funding source of a settled estimate: ``spent + returned + carried ==
    disbursed``."""

    source: str
    label: str
    approved: int
    disbursed: int
    spent: int
    returned: int
    carried: int


def _settlement_of(estimate: Estimate) -> Settlement:
    """The estimate's settlement with its lines; Conflict (409) while it has none."""
    settlement = estimate_settlement(estimate)
    if settlement is None:
        raise Conflict(
            _(
                "This estimate has no settlement yet: the settlement form exists once the "
                "spending unit has reported what it spent (it is now “%(status)s”)."
            )
            % {"status": estimate.get_status_display()}
        )
    return settlement


def settlement_by_source(estimate: Estimate, settlement: Settlement) -> list[SourceSettlement]:
    """Per source: approved and disbursed (the estimate's accounts), spent (the settled
    lines), and the unspent part returned or carried over, split among the sources as the
    ledger splits it at verification (:func:`ledger.services.split_unspent`)."""
    accounts = {s.source: s for s in estimate_money(estimate).sources}
    spent: dict[str, int] = defaultdict(int)
    for item in settlement.lines.all():
        spent[item.line.source] += item.spent
    sources = _source_order(set(accounts) | set(spent))
    unspent = {
        s: (accounts[s].disbursed if s in accounts else 0) - spent.get(s, 0) for s in sources
    }
    back, carry = split_unspent(unspent, settlement.carried)
    return [
        SourceSettlement(
            source=s,
            label=source_label(estimate.plan, s),
            approved=accounts[s].approved if s in accounts else 0,
            disbursed=accounts[s].disbursed if s in accounts else 0,
            spent=spent.get(s, 0),
            returned=back.get(s, 0),
            carried=carry.get(s, 0),
        )
        for s in sources
    ]


def settlement_workbook(estimate: Estimate) -> bytes:
    """The settlement form: per line the approved amount and what was spent, subtotals per
    source, and per source approved, disbursed, spent, returned and carried over; the
    amount spent in words. Conflict while the estimate has no settlement."""
    settlement = _settlement_of(estimate)
    estimate, lines = _estimate_for_form(estimate)
    by_source = settlement_by_source(estimate, settlement)
    settled = {item.line_id: item for item in settlement.lines.all()}
    keys = [c[0] for c in SETTLEMENT_COLUMNS]
    money = ("approved", "spent")
    wb, ws = _new_workbook("Quyết toán")
    sheet = _Sheet(ws, [c[2] for c in SETTLEMENT_COLUMNS])
    _top(sheet, estimate, f"{SETTLEMENT_TITLE} {estimate.activity.title.upper()}")
    sheet.header([c[1] for c in SETTLEMENT_COLUMNS])
    header_row = sheet.row - 1
    labels = {s: source_label(estimate.plan, s) for s in Source.values}
    sums: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for line in lines:
        item = settled.get(line.pk)
        row = {
            "position": line.position,
            "description": line.description,
            "unit_of_measure": line.unit_of_measure,
            "quantity": line.quantity,
            "unit_price": line.unit_price,
            "times": line.times,
            "approved": line.approved_amount or 0,
            "spent": item.spent if item else 0,
            "source": labels[line.source],
            "note": item.note if item else "",
        }
        for key in money:
            sums[line.source][key] += row[key]  # type: ignore[operator]
        sheet.table_row([row[k] for k in keys], keys)
    for source in _source_order(set(sums)):
        label = SUBTOTAL_LABEL.format(label=labels[source])
        sheet.table_row(
            [label if k == "description" else sums[source].get(k, "") for k in keys],
            keys,
            bold=True,
        )
    total_spent = sum(s.spent for s in by_source)
    sheet.table_row(
        [
            TOTAL_LABEL
            if k == "description"
            else (sum(s[k] for s in sums.values()) if k in money else "")
            for k in keys
        ],
        keys,
        bold=True,
    )
    sheet.row += 1
    sheet.merged(SOURCES_HEADING, bold=True, alignment=Alignment(horizontal="left"))
    sheet.row += 1
    source_keys = [c[0] for c in SETTLEMENT_SOURCE_COLUMNS]
    # The table starts in the description column (B), where the label has room.
    sheet.header([c[1] for c in SETTLEMENT_SOURCE_COLUMNS], first=2)
    for figures in by_source:
        sheet.table_row([getattr(figures, k) for k in source_keys], source_keys, first=2)
    sheet.table_row(
        [
            TOTAL_LABEL if k == "label" else sum(getattr(f, k) for f in by_source)
            for k in source_keys
        ],
        source_keys,
        bold=True,
        first=2,
    )
    sheet.row += 1
    sheet.merged(
        SPENT_WORDS_LABEL.format(words=amount_in_words(total_spent)),
        alignment=Alignment(horizontal="left", wrap_text=True),
    )
    sheet.row += 1
    _signatures(sheet)
    return _finished(wb, sheet, header_row)


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def estimate_form_xlsx(estimate: Estimate) -> tuple[bytes, str]:
    """The estimate form of an estimate (the caller went through the access gate) and its
    file name, 'DT-2024-00012.xlsx'."""
    return estimate_workbook(estimate), f"{estimate.number}.xlsx"


def settlement_form_xlsx(estimate: Estimate) -> tuple[bytes, str]:
    """The settlement form and its file name, 'QT-DT-2024-00012.xlsx'; Conflict while the
    estimate has no settlement."""
    return settlement_workbook(estimate), f"QT-{estimate.number}.xlsx"
