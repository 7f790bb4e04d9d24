"""Reads of plans and their envelopes. Reads that depend on who asks go through the access
gate in ``approvals.access``; these are the public, plan-level figures."""

from __future__ import annotations

from typing import Any

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet, TextField, Value
from django.db.models.functions import Concat

from core.db import CompiledQueries
from core.search import folded
from core.search import words as search_words
from organization.models import Unit
from organization.permissions import CommuneRule

from .models import STAGES, Content, Estimate, EstimateLine, Plan, PlanCommune, Scope


def plan_get_default() -> Plan | None:
    """The newest plan: what the home page and the commands show when none is named."""
    return Plan.objects.select_related("issuer", "area").order_by("-year", "-issued_on").first()


def plan_stage_actors() -> dict[int, CommuneRule]:
    """Per commune, the areas of the plans it is in and who acts at each stage at their
    communes' level (two queries). ``organization.permissions.access_sync`` grants the
    commune's permissions by it."""
    rules: dict[int, CommuneRule] = {}
    plans = {p.pk: p for p in Plan.objects.all()}
    for plan_id, commune_id in PlanCommune.objects.values_list("plan_id", "commune_id"):
        plan = plans[plan_id]
        rule = rules.setdefault(commune_id, CommuneRule())
        rule.areas.add(plan.area_id)
        for spec in plan.level_specs():
            if spec.scope != Scope.COMMUNES:
                continue
            for stage in STAGES:
                rule.stages.setdefault(stage, set()).add(spec.actor(stage))
    return rules


def plans_for_user(user: Any, codename: str = "view_unit_estimates") -> QuerySet[Plan]:
    """The plans in which ``user`` holds ``codename`` on a unit (the plan's area or one of
    its communes), newest first."""
    from organization.permissions import unit_ids_with

    units = unit_ids_with(user, codename)
    if not units:
        return Plan.objects.none()
    in_communes = PlanCommune.objects.filter(plan_id=OuterRef("pk"), commune_id__any=units)
    return (
        Plan.objects.filter(Q(area_id__any=units) | Exists(in_communes))
        .select_related("issuer", "area")
        .order_by("-year", "-issued_on", "-pk")
    )


def plan_default_for(user: Any, codename: str = "view_unit_estimates") -> Plan | None:
    """The plan a page shows when none is asked for: the newest plan in which ``user``
    holds ``codename`` on a unit, else the newest plan."""
    return plans_for_user(user, codename).first() or plan_get_default()


def plan_chosen(user: Any, raw: Any, codename: str = "view_unit_estimates") -> Plan | None:
    """The plan a page was asked for (``?plan=<id>``), else the user's default; None for
    an id that names no plan (the page answers 404, as for nothing loaded)."""
    if raw in (None, ""):
        return plan_default_for(user, codename)
    try:
        pk = int(raw)
    except (TypeError, ValueError):
        return None
    return Plan.objects.select_related("issuer", "area").filter(pk=pk).first()


def plan_choices() -> list[Plan]:
    """Every plan, newest first: the plan picker's options."""
    return list(Plan.objects.order_by("-year", "-issued_on", "-pk"))


def plan_communes(plan: Plan) -> QuerySet[PlanCommune]:
    return plan.communes.select_related("commune").order_by("sort_order")


def plan_contents(plan: Plan) -> QuerySet[Content]:
    return plan.contents.prefetch_related(Prefetch("activities")).order_by("sort_order")


def estimates_matching(queryset: QuerySet[Estimate], text: str) -> QuerySet[Estimate]:
    """The estimates whose number, title, purpose or unit holds every word of ``text``,
    ignoring accents and case (``core.search``).

    A word found in a unit's name is looked for among the units (a subquery run once, over
    the units' names) before the estimates' own text: searching a commune's name ("xa", in
    every commune's) folded the name again for each of a district's 100,000 estimates."""
    wanted = search_words(text)
    if not wanted:
        return queryset
    queryset = queryset.alias(
        searched=folded(
            Concat(
                "number",
                Value(" "),
                "title",
                Value(" "),
                "purpose",
                output_field=TextField(),
            )
        )
    )
    for word in wanted:
        named = _units_naming(Unit.objects.all(), [word]).values("pk")
        queryset = queryset.filter(Q(unit_id__in=named) | Q(searched__contains=word))
    return queryset


def _units_naming(units: QuerySet[Unit], words: list[str]) -> QuerySet[Unit]:
    """Of ``units``, those whose name, folded, holds every one of ``words``."""
    units = units.alias(folded_name=folded("name"))
    for word in words:
        units = units.filter(folded_name__contains=word)
    return units


def units_named_by(unit_ids: Any, text: str) -> list[int]:
    """Of ``unit_ids``, the units whose name holds every word of ``text`` (as
    ``estimates_matching`` folds them): every estimate of such a unit matches the search,
    whatever its own text (none when ``text`` has no word)."""
    wanted = search_words(text)
    if not wanted:
        return []
    units = _units_naming(Unit.objects.filter(pk__any=unit_ids), wanted)
    return sorted(units.values_list("pk", flat=True))


#: An estimate's lines, compiled once per connection (``core.db``): the transitions that
#: read them all (submit, appraise, approve, settle) each did the queryset's work anew.
_LINES = CompiledQueries()


def estimate_lines(estimate: Estimate, *, with_norm: bool = False) -> list[EstimateLine]:
    """The estimate's lines in order of position (with their norm when asked), each
    knowing its estimate, as ``estimate.lines`` gives them."""

    def build(estimate_id: int) -> QuerySet[EstimateLine]:
        rows = EstimateLine.objects.filter(estimate_id=estimate_id).order_by("position")
        return rows.select_related("norm") if with_norm else rows

    lines: list[EstimateLine] = _LINES.fetch(with_norm, build, [estimate.pk])
    for line in lines:
        line.estimate = estimate
    return lines
