"""The district's report as Excel (``reports.list_workbooks``) and as a PDF in the
administrative format (Decree 30/2020/NĐ-CP, as the decision: ``reports.decisions``), with
the plan's recipients ("Nơi nhận"). Both read only the report's frozen figures
(``snapshot``): what was consolidated, or submitted upward, is what is printed."""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _
from weasyprint import HTML

from core.money import format_vnd
from reports.decisions import _fonts_dated, _SystemFontsOnly, date_line
from reports.list_workbooks import Column, ListWorkbook

from .models import ProgressReport, TargetSource
from .words import area_word


def _activities(snapshot: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        {**a, "content": c["code"]} for c in snapshot.get("contents", []) for a in c["activities"]
    ]


def _indicators(snapshot: dict[str, Any]) -> list[dict[str, Any]]:
    return [{**i, "activity": a["code"]} for a in _activities(snapshot) for i in a["indicators"]]


def _target_text(row: dict[str, Any], area_kind: str = "") -> str:
    if row["target"] is None:
        return str(_("not set"))
    if row["target_source"] == TargetSource.DISTRICT:
        return f"{row['target']} ({area_word('entered_by', area_kind)})"
    return str(row["target"])


#: The PDF's (Vietnamese, administrative) names of the levels.
LEVELS_VI = {"province": "Cấp tỉnh", "district": "Cấp huyện", "commune": "Cấp xã"}


def _group_count(code: str) -> Any:
    return lambda r: r.get("groups", {}).get(code, 0)


def district_report_workbook(report: ProgressReport) -> tuple[bytes, str]:
    """The area's report (a district's or a province's, after its plan) as Excel."""
    s = report.snapshot
    kind = report.area_kind
    words = report.words
    book = ListWorkbook(
        title=str(words["progress_report"]),
        filters=[
            (str(_("Period")), s["period"]["label"]),
            (str(words["area"]), s["district"]["name"]),
            (str(_("Status")), report.get_status_display()),
            (
                str(_("Communes reported")),
                f"{len(s['communes_accepted'])}/"
                f"{len(s['communes_accepted']) + len(s['communes_missing'])}",
            ),
        ],
        produced=report.submitted_at or report.updated_at,
    )
    book.table(
        [
            Column(str(_("Content")), lambda r: r["content"], width=9),
            Column(str(_("Activity")), lambda r: f"{r['code']} {r['title']}", width=50),
            Column(str(_("Communes")), lambda r: r["communes"], width=10),
            Column(str(_("Women")), lambda r: r["women"], width=10),
            Column(str(_("Girls")), lambda r: r["girls"], width=10),
            Column(str(_("Men and boys")), lambda r: r["men"], width=10),
            Column(str(_("Paid, communes (đồng)")), lambda r: r["spent_reported"], money=True),
            Column(f"{words['paid_area']} (đồng)", lambda r: r["paid_district"], money=True),
        ],
        _activities(s),
        heading=str(_("Per content and activity")),
    )
    groups = s.get("groups", [])
    if groups:
        book.table(
            [
                Column(str(_("Activity")), lambda r: f"{r['code']} {r['title']}".strip(), width=50),
                *(Column(g["name"], _group_count(g["code"]), width=14) for g in groups),
            ],
            [
                *_activities(s),
                {
                    "code": "",
                    "title": str(_("Total")),
                    "groups": {g["code"]: g["participants"] for g in groups},
                },
            ],
            heading=str(_("Participants per priority group")),
            totals=False,
        )
    book.table(
        [
            Column(str(_("Activity")), lambda r: r["activity"], width=9),
            Column(str(_("Indicator")), lambda r: r["name"], width=50),
            Column(str(_("Unit")), lambda r: r["unit"], width=10),
            Column(str(_("Target")), lambda r: _target_text(r, kind), width=24),
            Column(str(_("Result")), lambda r: r["result"], width=10),
        ],
        _indicators(s),
        heading=str(_("Indicators against targets")),
        totals=False,
    )
    book.table(
        [
            Column(str(_("Envelope cell")), lambda r: f"{r['level']} · {r['label']}", width=40),
            Column(str(_("Allocated (đồng)")), lambda r: r["allocated"], money=True),
            Column(str(_("Paid to date (đồng)")), lambda r: r["disbursed"], money=True),
        ],
        s.get("envelope", []),
        heading=str(_("Money against the envelope")),
    )
    return book.content(), f"BC-{s['district']['id']}-{report.period_id}-v{report.version}.xlsx"


def district_report_pdf(report: ProgressReport) -> tuple[bytes, str]:
    s = report.snapshot
    at = report.submitted_at or report.updated_at or timezone.now()
    on = timezone.localtime(at).date() if isinstance(at, dt.datetime) else at
    activities = [
        {
            **a,
            "spent_text": format_vnd(a["spent_reported"], symbol=False),
            "district_text": format_vnd(a["paid_district"], symbol=False),
        }
        for a in _activities(s)
    ]
    kind = report.area_kind
    indicators = [{**i, "target_text": _target_text(i, kind)} for i in _indicators(s)]
    envelope = [
        {
            **e,
            "level_vi": LEVELS_VI.get(e["level"], e["level"]),
            "allocated_text": format_vnd(e["allocated"], symbol=False),
            "disbursed_text": format_vnd(e["disbursed"], symbol=False),
        }
        for e in s.get("envelope", [])
    ]
    html = render_to_string(
        "progress/district_report.html",
        {
            "s": s,
            "report": report,
            "date_line": date_line(s.get("place") or s["district"]["name"], on),
            "activities": activities,
            "indicators": indicators,
            "envelope": envelope,
            "spent_total": format_vnd(s["totals"]["spent_reported"], symbol=False),
            "district_total": format_vnd(s["totals"]["paid_district"], symbol=False),
            "area_level_vi": LEVELS_VI.get(kind, "Cấp trên xã").lower(),
            "created": at.isoformat(),
        },
    )
    identifier = hashlib.sha256(f"report|{report.pk}|{at.isoformat()}".encode()).hexdigest()[:32]
    with _fonts_dated(at):
        document = HTML(string=html, url_fetcher=_SystemFontsOnly(allowed_protocols={"file"}))
        content = bytes(document.write_pdf(pdf_identifier=identifier.encode("ascii")))
    return content, f"BC-{s['district']['id']}-{report.period_id}-v{report.version}.pdf"
