"""How a document leaves the site: one HTTP response for a file, shown in the browser
(``inline``: the decision) or saved (``attachment``: the workbooks), for the pages and the
API alike."""

from __future__ import annotations

from django.http import HttpResponse


def file_response(
    content: bytes, filename: str, *, content_type: str, inline: bool = False
) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    disposition = "inline" if inline else "attachment"
    response["Content-Disposition"] = f'{disposition}; filename="{filename}"'
    return response
