"""Renderers for the API's documents."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rest_framework.renderers import BaseRenderer, JSONRenderer


class PDFRenderer(BaseRenderer):
    """Lets a client ask for ``Accept: application/pdf``. The views return the PDF bytes
    themselves; an error answered to such a request still goes out as JSON."""

    media_type = "application/pdf"
    format = "pdf"
    charset: str | None = None
    render_style = "binary"

    def render(
        self,
        data: Any,
        accepted_media_type: str | None = None,
        renderer_context: Mapping[str, Any] | None = None,
    ) -> bytes:
        if isinstance(data, bytes):
            return data
        response = (renderer_context or {}).get("response")
        if response is not None:
            response["Content-Type"] = JSONRenderer.media_type
        return JSONRenderer().render(data, JSONRenderer.media_type, renderer_context)


class XLSXRenderer(PDFRenderer):
    """The same for an Excel workbook (``Accept:`` the spreadsheet media type)."""

    media_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    format = "xlsx"
