"""The progress module's words for the level above the commune: named after the plan's area
(a district's plan, or a province's with no district) where a page or a message is about one
plan, level-neutral where no plan is at hand. The stored values (a report's level
``district``, a target's source ``district``) stay as they are."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from organization.models import UnitKind

D, P = UnitKind.DISTRICT, UnitKind.PROVINCE

#: key → {area kind ("" when no plan is at hand): words}
WORDS: dict[str, dict[str, Any]] = {
    "area": {"": _("Area"), D: _("District"), P: _("Province")},
    "area_level": {"": _("Above the commune"), D: _("District level"), P: _("Province level")},
    "area_report": {"": _("The area's report"), D: _("District report"), P: _("Province report")},
    "progress_report": {
        "": _("Progress report of the area"),
        D: _("District progress report"),
        P: _("Province progress report"),
    },
    "submit": {
        "": _("Submit to the Women's Union above the commune"),
        D: _("Submit to the district Women's Union"),
        P: _("Submit to the province Women's Union"),
    },
    "submitted": {
        "": _("The report was submitted to the Women's Union above the commune."),
        D: _("The report was submitted to the district Women's Union."),
        P: _("The report was submitted to the province Women's Union."),
    },
    "paid_area": {"": _("Paid, above the commune"), D: _("Paid, district"), P: _("Paid, province")},
    "entered_by": {
        "": _("entered by the Women's Union above the commune"),
        D: _("entered by the district Women’s Union"),
        P: _("entered by the province Women's Union"),
    },
    "target_entered": {
        "": _("Entered by the Women's Union above the commune"),
        D: _("Entered by the district Women's Union"),
        P: _("Entered by the province Women's Union"),
    },
    "consolidated": {
        "": _("The area's report was consolidated."),
        D: _("The district report was consolidated."),
        P: _("The province report was consolidated."),
    },
    "consolidated_again": {
        "": _("The area's report was consolidated again."),
        D: _("The district report was consolidated again."),
        P: _("The province report was consolidated again."),
    },
    # A district's report goes to the province; a province's plan has no level above it.
    "submit_upward": {
        "": _("Submit upward"),
        D: _("Submit to the province"),
        P: _("Submit upward"),
    },
    "submitted_upward": {
        "": _("The area's report was submitted upward."),
        D: _("The district report was submitted to the province."),
        P: _("The province report was submitted upward."),
    },
}


def area_word(key: str, area_kind: Any = "") -> Any:
    """The words ``key`` for a plan whose area is of ``area_kind`` (neutral without one)."""
    words = WORDS[key]
    return words.get(str(area_kind or ""), words[""])


def area_words(area_kind: Any = "") -> dict[str, Any]:
    """All the words for a plan whose area is of ``area_kind`` (templates: ``words.submit``)."""
    return {key: area_word(key, area_kind) for key in WORDS}
