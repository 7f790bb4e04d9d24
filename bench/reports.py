"""Reports: a 100,000-line consolidated workbook, its seconds and peak memory.

The report is built in memory (``BENCH_REPORT_LINES`` lines, default 100,000: 10 per unit,
5 contents × 2 sources, with each unit's subtotals per source and its total, and the
totals per level), then written by the same code as the site's export
(``reports.sheets.consolidated_sheet`` through ``reports.xlsx.xlsx_table``, XlsxWriter in
constant-memory mode). Its reading from the database is not part of it: the selector is
one aggregate query whose count is pinned in the tests.

Returned (and printed): seconds to write the workbook (wall clock, and the CPU time of
the process, which a busy machine inflates less), the peak memory allocated by Python while writing
it (``tracemalloc``, measured in a second, untimed run since tracing slows Python down) and
the process's peak resident memory (``resource.getrusage``), the size of the file, and the
same workbook written with openpyxl's ``write_only`` mode for comparison. The issue's
targets: at most 5 s and 250 MB.
"""

from __future__ import annotations

import gc
import os
import resource
import time
import tracemalloc
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from typing import Any

#: The targets of the issue (printed next to the figures; nothing is asserted).
TARGET_SECONDS = 5.0
TARGET_MB = 250


def _report(lines: int) -> Any:
    from estimates.models import Level, Plan, Source
    from reports.consolidated import (
        ConsolidatedReport,
        Figures,
        Group,
        LevelTotal,
        Line,
        SourceTotal,
    )
    from reports.filters import ReportQuery

    plan = Plan(number="117/KH-UBND", title="Kế hoạch thực hiện Dự án 8 (bench)")
    groups = []
    per_unit = 10
    totals = {s: Figures(allocated=0) for s in Source.values}
    for u in range(max(1, lines // per_unit)):
        group = Group(unit_id=u, code=f"xa-{u}", name=f"Xã số {u}", level=Level.COMMUNE)
        for c in range(5):
            for s in Source.values:
                n = u * per_unit + c * 2
                group.lines.append(
                    Line(
                        f"{c + 1}",
                        f"Nội dung {c + 1}",
                        s,
                        str(Source(s).label),
                        Figures(None, n * 1000, n * 7000, n * 5000, n * 3000, n * 1000, n * 500),
                    )
                )
        for s in Source.values:
            figures = Figures(allocated=9_000_000_000)
            for line in group.lines:
                if line.source == s:
                    figures = figures + line.figures
            group.sources.append(SourceTotal(s, str(Source(s).label), figures))
            totals[s] = totals[s] + figures
        groups.append(group)
    level_totals = [
        LevelTotal(Level.COMMUNE, str(Level.COMMUNE.label), s, str(Source(s).label), totals[s])
        for s in Source.values
    ]
    return ConsolidatedReport(ReportQuery(plan=plan), groups, level_totals)


def _openpyxl(sheet: Any) -> bytes:
    """The same sheet through openpyxl's write_only mode (for comparison only)."""
    import io

    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    from reports.xlsx import MONEY_FORMAT, Row

    book = Workbook(write_only=True)
    ws = book.create_sheet(sheet.title[:31])
    proto = WriteOnlyCell(ws, value=0)
    proto.number_format = MONEY_FORMAT
    money_style = proto._style
    moneys = [c.money for c in sheet.columns]
    for line in sheet.heading:
        ws.append([line])
    ws.append([c.title for c in sheet.columns])
    for item in [*sheet.rows, *sheet.totals]:
        values = item.values if isinstance(item, Row) else item
        row: list[Any] = []
        for n, value in enumerate(values):
            if moneys[n] and isinstance(value, int):
                cell = WriteOnlyCell(ws, value=value)
                cell._style = money_style
                row.append(cell)
            else:
                row.append(value)
        ws.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _measure(lines: int) -> dict[str, Any]:
    """Build the report and write it, in the process that calls it (a fresh one: see
    ``run``)."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
    import django

    django.setup()
    from django.utils import translation

    from reports.sheets import consolidated_sheet
    from reports.xlsx import xlsx_table

    rows: list[list[Any]] = []
    with translation.override("vi"):
        report = _report(lines)
        table_rows = report.line_count + sum(len(g.sources) + 1 for g in report.groups)

        gc.collect()
        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        started, cpu = time.perf_counter(), time.process_time()
        content = xlsx_table(consolidated_sheet(report)[0])
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
        rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        size_mb = len(content) / 1e6
        del content
        gc.collect()
        tracemalloc.start()
        xlsx_table(consolidated_sheet(report)[0])
        _current, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        rows.append(
            [
                "XlsxWriter, constant memory (the product)",
                round(seconds, 2),
                round(cpu, 2),
                round(peak / 1e6, 1),
                round(rss_after),
                round(size_mb, 1),
            ]
        )
        if os.environ.get("BENCH_REPORT_OPENPYXL", "1") != "0":
            gc.collect()
            started, cpu = time.perf_counter(), time.process_time()
            _openpyxl(consolidated_sheet(report)[0])
            rows.append(
                [
                    "openpyxl write_only (comparison)",
                    round(time.perf_counter() - started, 2),
                    round(time.process_time() - cpu, 2),
                    "–",
                    "–",
                    "–",
                ]
            )
    return {
        "rows": rows,
        "line_count": report.line_count,
        "table_rows": table_rows,
        "rss_before": rss_before,
        "seconds": seconds,
        "cpu": cpu,
        "peak": peak,
        "rss_after": rss_after,
    }


def run(quick: bool = False) -> dict[str, Any]:
    from bench._support import result, tiny

    default = "200" if tiny() else "20000" if quick else "100000"
    lines = int(os.environ.get("BENCH_REPORT_LINES", default))
    # In a process of its own: the peak resident memory of a process is the highest it
    # ever reached, so measured in the process that has just built 100,000 estimates for
    # the pages benchmark it would be that benchmark's peak, not the report's.
    with ProcessPoolExecutor(max_workers=1, mp_context=get_context("spawn")) as pool:
        m = pool.submit(_measure, lines).result()
    rows, peak, seconds, cpu = m["rows"], m["peak"], m["seconds"], m["cpu"]
    rss_before, rss_after = m["rss_before"], m["rss_after"]
    return result(
        "reports",
        f"Consolidated report: {m['line_count']:,} lines ({m['table_rows']:,} rows with "
        "subtotals) written as Excel",
        ["writer", "wall s", "CPU s", "peak Python MB", "process peak RSS MB", "file MB"],
        rows,
        notes=[
            f"Targets: at most {TARGET_SECONDS:.0f} s and {TARGET_MB} MB for 100,000 lines.",
            f"Process peak RSS includes the report built in memory ({rss_before:.0f} MB "
            "before writing; measured in a process of its own).",
        ],
        figures={
            "lines": m["line_count"],
            "seconds": seconds,
            "cpu_seconds": cpu,
            "peak_mb": peak / 1e6,
            "rss_mb": rss_after,
        },
    )
