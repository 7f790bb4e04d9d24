"""The approval decision as a PDF, printed from the decision's frozen snapshot.

The layout follows Decree 30/2020/NĐ-CP on administrative documents (Appendix I: the
issuing body and the number top-left, the national title, the motto and the place and
date top-right, title and summary, bases, articles, recipients bottom-left, signature
bottom-right) with the line table as an annex. Same bytes for the same decision: the
PDF's dates and identifier come from the snapshot, and nothing else varies.

The text is set in DejaVu Serif, which has every Vietnamese glyph; WeasyPrint embeds the
subset it uses. The system font is used (Debian package ``fonts-dejavu-core``), no font
file ships with the product.
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from typing import Any

from django.template.loader import render_to_string
from weasyprint import HTML
from weasyprint.urls import URLFetcher

from approvals.selectors import amendment_decision, estimate_decision
from core.money import format_vnd
from estimates.models import Estimate

_RENDERING = threading.Lock()


def date_line(place: str, on: date) -> str:
    """'Phong Thổ, ngày 05 tháng 6 năm 2024': a day below 10 and the months 1 and 2 with
    a leading zero (Decree 30/2020/NĐ-CP, Appendix I)."""
    month = f"{on.month:02d}" if on.month < 3 else str(on.month)
    return f"{place}, ngày {on.day:02d} tháng {month} năm {on.year}"


def _vnd(amount: int) -> str:
    return format_vnd(amount, symbol=False)


def _dmy(iso: str) -> str:
    return date.fromisoformat(iso).strftime("%d/%m/%Y")


def decision_context(snapshot: dict[str, Any]) -> dict[str, Any]:
    issued_on = date.fromisoformat(snapshot["issued_on"])
    plan_on = date.fromisoformat(snapshot["plan"]["issued_on"])
    lines = [
        {
            **line,
            "unit_price_text": _vnd(line["unit_price"]),
            "approved_text": _vnd(line["approved"]),
        }
        for line in snapshot["lines"]
    ]
    sources = [{**s, "amount_text": _vnd(s["amount"])} for s in snapshot["sources"]]
    return {
        "d": snapshot,
        "date_line": date_line(snapshot["issuer"]["place"], issued_on),
        "plan_date": f"ngày {plan_on.day:02d}/{plan_on.month:02d}/{plan_on.year}",
        "lines": lines,
        "sources": sources,
        "total_text": _vnd(snapshot["total"]),
        "start_text": _dmy(snapshot["estimate"]["start_date"]),
        "end_text": _dmy(snapshot["estimate"]["end_date"]),
        "issued_text": _dmy(snapshot["issued_on"]),
        **_amendment_context(snapshot),
    }


def _amendment_context(snapshot: dict[str, Any]) -> dict[str, Any]:
    """An amendment's decision also prints the total before and the decision it amends."""
    amendment = snapshot.get("amendment")
    if not amendment:
        return {}
    original_on = amendment.get("original_issued_on")
    return {
        "previous_total_text": _vnd(amendment["previous_total"]),
        "original_text": _dmy(original_on) if original_on else "",
    }


@contextmanager
def _fonts_dated(at: datetime) -> Iterator[None]:
    """Without HarfBuzz-Subset, WeasyPrint subsets fonts with fontTools, which stamps each
    subset with the current time unless SOURCE_DATE_EPOCH (the reproducible-builds
    convention) is set: set it to the decision's time while rendering, one render at a
    time in a process."""
    with _RENDERING:
        before = os.environ.get("SOURCE_DATE_EPOCH")
        os.environ["SOURCE_DATE_EPOCH"] = str(int(at.timestamp()))
        try:
            yield
        finally:
            if before is None:
                del os.environ["SOURCE_DATE_EPOCH"]
            else:
                os.environ["SOURCE_DATE_EPOCH"] = before


class _SystemFontsOnly(URLFetcher):
    """The decision needs nothing from anywhere but its font, which the @font-face names
    and fontconfig finds on this machine (a file: URL to a font file): refuse every other
    fetch, so typed text could never make the renderer read a file or a URL."""

    def fetch(self, url: str, headers: Any = None) -> Any:
        if not (url.startswith("file://") and url.lower().endswith(_FONT_FILES)):
            raise ValueError(f"the decision fetches no resource but its font ({url[:60]})")
        return super().fetch(url, headers)


_FONT_FILES = (".ttf", ".otf", ".ttc")


def decision_pdf(snapshot: dict[str, Any]) -> bytes:
    """The decision's PDF: the same bytes for the same snapshot."""
    html = render_to_string("reports/decision.html", decision_context(snapshot))
    identifier = hashlib.sha256(
        f"{snapshot['symbol']}|{snapshot['year']}|{snapshot['issued_at']}".encode()
    ).hexdigest()[:32]
    with _fonts_dated(datetime.fromisoformat(snapshot["issued_at"])):
        document = HTML(string=html, url_fetcher=_SystemFontsOnly(allowed_protocols={"file"}))
        return bytes(document.write_pdf(pdf_identifier=identifier.encode("ascii")))


def decision_filename(snapshot: dict[str, Any]) -> str:
    """'QD-12-2024.pdf'."""
    return f"QD-{snapshot['number']}-{snapshot['year']}.pdf"


def estimate_decision_pdf(estimate: Estimate) -> tuple[bytes, str]:
    """The PDF of an estimate's decision and its file name (the caller went through the
    access gate); Conflict when the estimate has no decision yet."""
    snapshot = estimate_decision(estimate).snapshot
    return decision_pdf(snapshot), decision_filename(snapshot)


def amendment_decision_pdf(amendment: Any) -> tuple[bytes, str]:
    """The PDF of an approved amendment's decision and its file name (the caller went
    through the access gate); Conflict when the amendment has no decision."""
    snapshot = amendment_decision(amendment).snapshot
    return decision_pdf(snapshot), decision_filename(snapshot)
